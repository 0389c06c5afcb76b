/**
 * MML's LOCO input files as LOCO input (issue 20 item 7): a folder with
 * `BPMRespMat*.mat` (the response matrix as MML's measbpmresp saves it: structs
 * with Monitor, Actuator, Data, ActuatorDelta, Units, one per BPM family and
 * corrector family), optionally `BPMData*.mat` (the BPM standard deviations:
 * a struct per BPM family with FamilyName, DeviceList, Data, CreatedBy
 * 'measbpmsigma' or 'monbpm' with Sigma) and `Disp*.mat` (the dispersion: a
 * struct with Monitor = a BPM family and Actuator = the RF, Data the
 * dispersion in m per dp/p, ActuatorDelta the RF step, Actuator.Data the RF
 * frequency, MCF). As MML's getrespmat, every variable is searched for such
 * structs (struct arrays and cells of structs too).
 *
 * Units: MML saves in 'Physics' (m per rad, rad, m) or 'Hardware' (MML's
 * default: orbit in mm per A, steps in A, sigma in mm, dispersion in mm per RF
 * unit). Hardware values are converted per device with the facility's
 * conversions: the file's unit (Monitor/Actuator UnitsString) is first scaled
 * to the facility's hardware unit (SI prefixes: mm -> m), then a step v
 * becomes toPhysics(v) - toPhysics(0). A device the facility lacks is an error
 * naming the file, the family and the device.
 *
 * MML device lists [sector, index] are the facility's device ids: each BPM and
 * corrector is placed at its lattice element through the facility family of
 * the same name. The matrix entries become the orbit change per step
 * (Data × ActuatorDelta); the noise of an entry is √2 × the BPM sigma (a
 * difference of two orbits, as MML's buildlocoinput); the dispersion column the
 * orbit change for the RF step, −η ΔRF / (f_RF α).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Accelerator, type DeviceId, type Family, type FieldName, MlayerError, UnknownDeviceError } from '@mlayer/core';
import { type MatValue, readMat5 } from '@mlayer/engine/io';
import { type LocoOrm, parseOrm } from '@mlayer/loco';

export interface MmlFamilies {
  readonly bpmx: string;
  readonly bpmy: string;
  readonly hcm: string;
  readonly vcm: string;
}

export interface MmlReadOptions {
  /** False: the facility is the default one (no -f), and hardware-unit files are refused rather than converted with it. */
  readonly facilityGiven?: boolean;
}

/** MML's default family names (gethbpmfamily, getvbpmfamily, gethcmfamily, getvcmfamily). */
export const MML_FAMILIES: MmlFamilies = { bpmx: 'BPMx', bpmy: 'BPMy', hcm: 'HCM', vcm: 'VCM' };

type Rec = Readonly<Record<string, MatValue>>;

const text = (v: MatValue | undefined): string | undefined => (v?.kind === 'char' ? v.text.trim() : undefined);
const numbers = (v: MatValue | undefined): Float64Array | undefined => (v?.kind === 'numeric' ? v.data : undefined);

/** Every struct element of the file (variables, struct arrays, cells of structs), with where it was found. */
function structsOf(vars: ReadonlyMap<string, MatValue>): { rec: Rec; where: string }[] {
  const out: { rec: Rec; where: string }[] = [];
  const walk = (v: MatValue, where: string) => {
    if (v.kind === 'struct') v.data.forEach((rec, k) => out.push({ rec, where: v.data.length > 1 ? `${where}(${k + 1})` : where }));
    else if (v.kind === 'cell') v.data.forEach((c, k) => walk(c, `${where}{${k + 1}}`));
  };
  for (const [name, v] of vars) walk(v, name);
  return out;
}

function fileWith(dir: string, prefix: string, required: boolean): string | undefined {
  const found = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.mat')).sort();
  if (found.length === 0) {
    if (required) throw new MlayerError(`${dir}: no ${prefix}*.mat (MML's response matrix file) in the folder`);
    return undefined;
  }
  if (found.length > 1) throw new MlayerError(`${dir}: several ${prefix}*.mat files (${found.join(', ')}); keep one per LOCO input folder`);
  return join(dir, found[0]);
}

/** A [n x 2] DeviceList as device ids. */
function deviceList(v: MatValue | undefined, file: string, where: string): DeviceId[] {
  if (v?.kind !== 'numeric' || v.dims.length !== 2 || v.dims[1] !== 2) throw new MlayerError(`${file}: ${where}.DeviceList is not an n x 2 [sector, index] list`);
  const n = v.dims[0];
  return Array.from({ length: n }, (_v, k) => [v.data[k], v.data[k + n]] as DeviceId);
}

interface Response {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly monitors: DeviceId[];
  readonly actuators: DeviceId[];
  readonly delta: Float64Array;
  readonly rec: Rec;
  readonly where: string;
  readonly monitor: string;
  readonly actuator: string;
  /** Set when the block is in hardware units: the file's units of the monitor and the actuator, where it states them. */
  readonly hardware?: { readonly monitor?: string; readonly actuator?: string };
}

const PREFIX: Readonly<Record<string, number>> = { '': 1, n: 1e-9, u: 1e-6, 'µ': 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9 };

/** The factor from a unit of the file to the facility's hardware unit (same base, SI prefixes); undefined: not comparable. */
export function unitScale(fileUnit: string, facilityUnit: string): number | undefined {
  if (fileUnit === facilityUnit) return 1;
  for (const [p1, f1] of Object.entries(PREFIX)) {
    if (!fileUnit.startsWith(p1) || fileUnit.length === p1.length) continue;
    const base = fileUnit.slice(p1.length);
    for (const [p2, f2] of Object.entries(PREFIX)) if (facilityUnit === p2 + base) return f1 / f2;
  }
  return undefined;
}

/** The facility's devices of an MML family and device list; a missing family or device names the file. */
function select(acc: Accelerator, family: string, devices: readonly DeviceId[], file: string, where: string): Family {
  let fam: Family;
  try {
    fam = acc.family(family);
  } catch (e) {
    throw new MlayerError(`${file}: ${where}: family ${family} is not in facility ${acc.name} (${(e as Error).message})`);
  }
  try {
    return fam.devices(devices);
  } catch (e) {
    if (!(e instanceof UnknownDeviceError)) throw e;
    const missing = devices.find((d) => {
      try {
        fam.devices([d]);
        return false;
      } catch {
        return true;
      }
    });
    throw new MlayerError(`${file}: ${where}: ${family} device [${missing?.[0]}, ${missing?.[1]}] is not in facility ${acc.name}`);
  }
}

/**
 * Hardware steps (one per device, in the file's unit) as physics steps: scaled to the
 * facility's hardware unit, then toPhysics(v) - toPhysics(0) per device.
 */
function stepsToPhysics(fam: Family, field: FieldName, values: ArrayLike<number>, fileUnit: string | undefined, file: string, where: string): Float64Array {
  const hw = fam.units(field).hardware;
  const scale = fileUnit === undefined ? 1 : unitScale(fileUnit, hw);
  if (scale === undefined) throw new MlayerError(`${file}: ${where}: unit '${fileUnit}' cannot be converted to ${fam.name}'s hardware unit '${hw}'`);
  const p = fam.toPhysics(Array.from(values, (v) => v * scale), field);
  const p0 = fam.toPhysics(new Float64Array(values.length), field);
  return p.map((v, k) => v - p0[k]);
}

/** A block in physics units: the matrix in m per step, the steps in the actuator's physics unit. */
function toPhysicsBlock(b: Response, acc: Accelerator, file: string): Response {
  if (!b.hardware) return b;
  const where = `${b.where} (${b.monitor} / ${b.actuator}, Hardware)`;
  const bpm = select(acc, b.monitor, b.monitors, file, `${b.where}.Monitor`);
  const cor = select(acc, b.actuator, b.actuators, file, `${b.where}.Actuator`);
  const data = new Float64Array(b.rows * b.cols);
  for (let j = 0; j < b.cols; j++) {
    // Data is per unit of actuator: the orbit change of the step is Data x ActuatorDelta.
    const col = stepsToPhysics(bpm, 'monitor', Array.from({ length: b.rows }, (_v, i) => b.data[i + j * b.rows] * b.delta[j]), b.hardware.monitor, file, where);
    col.forEach((v, i) => (data[i + j * b.rows] = v));
  }
  const delta = stepsToPhysics(cor, 'setpoint', b.delta, b.hardware.actuator, file, where);
  // The matrix now holds the orbit change per step; keep Data x ActuatorDelta = that change.
  return { ...b, data: data.map((v, k) => v / delta[Math.floor(k / b.rows)]), delta, hardware: undefined };
}

function response(structs: { rec: Rec; where: string }[], monitor: string, actuator: ((name: string) => boolean) | string, file: string): Response | undefined {
  for (const { rec, where } of structs) {
    if (!rec.Monitor || !rec.Actuator || !rec.Data) continue;
    const m = rec.Monitor.kind === 'struct' ? rec.Monitor.data[0] : undefined;
    const a = rec.Actuator.kind === 'struct' ? rec.Actuator.data[0] : undefined;
    if (!m || !a) continue;
    const aName = text(a.FamilyName) ?? '';
    if (text(m.FamilyName) !== monitor || !(typeof actuator === 'string' ? aName === actuator : actuator(aName))) continue;
    const units = text(rec.Units);
    if (units !== undefined && !/^(physics|hardware)$/i.test(units)) throw new MlayerError(`${file}: ${where} (${monitor} / ${aName}) has Units '${units}'; expected 'Physics' or 'Hardware'`);
    const d = rec.Data;
    if (d.kind !== 'numeric' || d.dims.length !== 2) throw new MlayerError(`${file}: ${where}.Data is not a numeric matrix`);
    const delta = numbers(rec.ActuatorDelta);
    if (!delta) throw new MlayerError(`${file}: ${where} has no numeric ActuatorDelta (the step of each actuator)`);
    const monitors = deviceList(m.DeviceList, file, `${where}.Monitor`);
    const actuators = deviceList(a.DeviceList, file, `${where}.Actuator`);
    if (monitors.length !== d.dims[0] || actuators.length !== d.dims[1] || delta.length !== actuators.length) {
      throw new MlayerError(`${file}: ${where}.Data is ${d.dims.join(' x ')} for ${monitors.length} monitors, ${actuators.length} actuators and ${delta.length} steps`);
    }
    const unitOf = (s: Rec, k: 0 | 1) => text(s.UnitsString) ?? text(rec.UnitsString)?.split('/')[k]?.trim();
    const hardware = units?.toLowerCase() === 'hardware' ? { monitor: unitOf(m, 0), actuator: unitOf(a, 1) } : undefined;
    return { data: d.data, rows: d.dims[0], cols: d.dims[1], monitors, actuators, delta, rec, where, monitor, actuator: aName, hardware };
  }
  return undefined;
}

const sameDevices = (a: DeviceId[], b: DeviceId[]) => a.length === b.length && a.every((d, k) => d[0] === b[k][0] && d[1] === b[k][1]);

/** The LOCO input of an MML LOCO folder, placed in the lattice through the facility's families. */
export function locoOrmFromMml(dir: string, acc: Accelerator, families: MmlFamilies = MML_FAMILIES, options: MmlReadOptions = {}): LocoOrm {
  const hardwareOk = (file: string, what: string) => {
    if (options.facilityGiven === false) throw new MlayerError(`${file}: ${what} is in 'Hardware' units; give the facility that measured it with -f FACILITY: its unit conversions convert them (or save the files in 'Physics' units)`);
  };
  const model = acc.model;
  if (!model) throw new MlayerError(`${acc.name}: no lattice model; the BPMs and correctors of ${dir} cannot be placed in the lattice`);
  const respFile = fileWith(dir, 'BPMRespMat', true)!;
  const structs = structsOf(readMat5(readFileSync(respFile)));
  const block = (m: string, a: string) => {
    const b = response(structs, m, a, respFile);
    if (b?.hardware) hardwareOk(respFile, `${b.where} (${b.monitor} / ${b.actuator})`);
    return b && toPhysicsBlock(b, acc, respFile);
  };
  const xx = block(families.bpmx, families.hcm);
  const yy = block(families.bpmy, families.vcm);
  const xy = block(families.bpmx, families.vcm);
  const yx = block(families.bpmy, families.hcm);
  if (!xx && !yy) throw new MlayerError(`${respFile}: no response of ${families.bpmx} to ${families.hcm} nor of ${families.bpmy} to ${families.vcm}`);
  const bx = (xx ?? xy)?.monitors ?? (yy ?? yx)!.monitors;
  for (const [b, name] of [[xx, 'xx'], [xy, 'xy'], [yx, 'yx'], [yy, 'yy']] as const) {
    if (b && !sameDevices(b.monitors, bx)) throw new MlayerError(`${respFile}: ${b.where} (${name}) has other BPMs than the ${families.bpmx} response; LOCO needs one BPM list for both planes`);
  }
  const hcm = (xx ?? yx)?.actuators ?? [];
  const vcm = (yy ?? xy)?.actuators ?? [];
  const hDelta = (xx ?? yx)?.delta ?? new Float64Array(0);
  const vDelta = (yy ?? xy)?.delta ?? new Float64Array(0);
  const elements = (family: string, devices: DeviceId[]) => select(acc, family, devices, respFile, family).latticeElements(model);
  const bpmEls = elements(families.bpmx, bx);
  const name = (family: string, devices: DeviceId[]) => select(acc, family, devices, respFile, family).names;
  const bpmNames = name(families.bpmx, bx);
  const cors = (family: string, devices: DeviceId[], delta: Float64Array) => {
    const els = elements(family, devices);
    const names = name(family, devices);
    return devices.map((_d, j) => ({ name: names[j], element: els[j], kick: delta[j] }));
  };
  const matrix = (b: Response | undefined) =>
    b ? Array.from({ length: b.rows }, (_r, i) => Array.from({ length: b.cols }, (_c, j) => {
      const v = b.data[i + j * b.rows] * b.delta[j];
      return Number.isFinite(v) ? v : null;
    })) : undefined;
  const raw: Record<string, unknown> = {
    bpms: bpmEls.map((e, i) => ({ name: bpmNames[i], element: e })),
    correctors: { x: cors(families.hcm, hcm, hDelta), y: cors(families.vcm, vcm, vDelta) },
    orm: Object.fromEntries(([['xx', xx], ['xy', xy], ['yx', yx], ['yy', yy]] as const).filter(([, b]) => b).map(([k, b]) => [k, matrix(b)])),
  };
  const sigmaFile = fileWith(dir, 'BPMData', false);
  if (sigmaFile) {
    const s = structsOf(readMat5(readFileSync(sigmaFile)));
    const sigma = (family: string) => {
      const hit = s.find(({ rec }) => text(rec.FamilyName) === family && rec.Data);
      if (!hit) throw new MlayerError(`${sigmaFile}: no BPM sigma of family ${family}`);
      const units = text(hit.rec.Units);
      if (units !== undefined && !/^(physics|hardware)$/i.test(units)) throw new MlayerError(`${sigmaFile}: ${hit.where} has Units '${units}'; expected 'Physics' or 'Hardware'`);
      const raw = text(hit.rec.CreatedBy) === 'monbpm' ? numbers(hit.rec.Sigma) : numbers(hit.rec.Data);
      const devices = deviceList(hit.rec.DeviceList, sigmaFile, hit.where);
      if (!raw || raw.length !== devices.length) throw new MlayerError(`${sigmaFile}: ${hit.where} has no sigma per device`);
      if (units?.toLowerCase() === 'hardware') hardwareOk(sigmaFile, hit.where);
      const values = units?.toLowerCase() === 'hardware'
        ? stepsToPhysics(select(acc, family, devices, sigmaFile, hit.where), 'monitor', raw, text(hit.rec.UnitsString), sigmaFile, `${hit.where} (${family}, Hardware)`)
        : raw;
      const byId = new Map(devices.map((d, k) => [`${d[0]},${d[1]}`, values[k]]));
      return bx.map((d) => {
        const v = byId.get(`${d[0]},${d[1]}`);
        if (v === undefined) throw new MlayerError(`${sigmaFile}: ${family} [${d[0]}, ${d[1]}] has no sigma`);
        return Math.SQRT2 * v;
      });
    };
    raw.noise = { x: sigma(families.bpmx), y: sigma(families.bpmy) };
  }
  const dispFile = fileWith(dir, 'Disp', false);
  if (dispFile) {
    const s = structsOf(readMat5(readFileSync(dispFile)));
    const notCm = (a: string) => a !== families.hcm && a !== families.vcm;
    const column = (family: string) => {
      const found = response(s, family, notCm, dispFile);
      if (!found) return { values: bpmEls.map(() => null), step: Number.NaN };
      if (found.hardware) {
        hardwareOk(dispFile, found.where);
        // Hardware: Data is the orbit change per RF unit (MML's mm per Hz or MHz), no MCF needed.
        const p = toPhysicsBlock(found, acc, dispFile);
        if (!sameDevices(p.monitors, bx)) throw new MlayerError(`${dispFile}: ${p.where} has other BPMs than the response matrix`);
        return { values: Array.from({ length: p.rows }, (_v, i) => p.data[i] * p.delta[0]), step: p.delta[0] };
      }
      const d = found;
      if (!d) return { values: bpmEls.map(() => null), step: Number.NaN };
      if (!sameDevices(d.monitors, bx)) throw new MlayerError(`${dispFile}: ${d.where} has other BPMs than the response matrix`);
      const act = d.rec.Actuator.kind === 'struct' ? d.rec.Actuator.data[0] : undefined;
      const rf = numbers(act?.Data)?.[0];
      const mcf = numbers(d.rec.MCF)?.[0];
      const step = d.delta[0];
      if (!(rf !== undefined && rf > 0 && mcf !== undefined && mcf !== 0 && Number.isFinite(step) && step !== 0)) throw new MlayerError(`${dispFile}: ${d.where} lacks the RF frequency (Actuator.Data), the momentum compaction (MCF) or the RF step (ActuatorDelta)`);
      return { values: Array.from({ length: d.rows }, (_v, i) => -d.data[i] * step / (rf * mcf)), step };
    };
    const x = column(families.bpmx);
    const y = column(families.bpmy);
    const step = Number.isFinite(x.step) ? x.step : y.step;
    if (Number.isFinite(step)) raw.dispersion = { x: x.values, y: y.values, rfStep: step };
  }
  return parseOrm(raw, dir);
}
