/**
 * Orbit-tool results as measurement files (core data module): the response matrix,
 * orbits, dispersion and corrections, with units and device axes.
 */
import type { Accelerator, DeviceId, Snapshot } from '@mlayer/core';
import { type AxisSpec, type DatasetRecord, MeasurementFile, type MeasurementHeader, readMeasurement } from '@mlayer/data';
import { type Matrix, acceleratorProvenance, datasetUnit, measurementAuthor, ratioUnit, readResponseChecks, unitInfo, writeResponseChecks } from '@mlayer/tuning-common';
import type { CorrectOrbitResult } from './correct-orbit.js';
import { OrbitError } from './errors.js';
import type { DispersionMeasurement } from './measure-dispersion.js';
import type { OrbitReading } from './measure-orbit.js';
import { type CorrectorAxis, type DeviceAxis, type OrbitResponseMatrix, type Plane, PLANES, type RfColumn, blockName, checkOrm } from './orm.js';

export const ORM_DATA_TYPE = 'orbit_response_matrix';
export const ORBIT_DATA_TYPE = 'orbit';
export const DISPERSION_DATA_TYPE = 'dispersion';
export const CORRECTION_DATA_TYPE = 'orbit_correction';

export interface SaveOptions {
  /** "Name <email>" (default: $MLAYER_AUTHOR, else the login name). */
  readonly author?: string;
  readonly description?: string;
  readonly overwrite?: boolean;
  /** Lattice provenance (default: the SHA-256 of the facility's lattice file). */
  readonly lattice?: { readonly sha256: string; readonly file?: string };
}

/** The header of a measurement file for this accelerator (facility, lattice, mode, error seed, setpoints). */
export async function measurementHeader(acc: Accelerator, dataType: string, setpoints: Snapshot | undefined, options: SaveOptions = {}): Promise<MeasurementHeader> {
  const { errorsApplied, ...provenance } = await acceleratorProvenance(acc, {
    setpoints,
    lattice: options.lattice,
    what: 'measurement',
    missingLattice: 'pass options.lattice ({ sha256, file }) to save a measurement',
    error: OrbitError,
  });
  const attributes: Record<string, string | number | boolean> = { units: 'hardware' };
  if (provenance.mode === 'twin') attributes.errorsApplied = errorsApplied ?? false;
  return { dataType, author: measurementAuthor(options.author), description: options.description, ...provenance, attributes };
}

const flat = (m: Matrix): Float64Array => {
  const rows = m.length;
  const cols = rows > 0 ? m[0].length : 0;
  const out = new Float64Array(rows * cols);
  m.forEach((r, i) => out.set(r, i * cols));
  return out;
};

const axisOf = (label: string, a: DeviceAxis): AxisSpec => ({ label, devices: a.devices, names: a.names });

/** Writes a response matrix as a measurement file; returns the path written. */
export async function saveOrm(path: string, orm: OrbitResponseMatrix, acc: Accelerator, options: SaveOptions = {}): Promise<string> {
  checkOrm(orm);
  const header = await measurementHeader(acc, ORM_DATA_TYPE, orm.setpoints, options);
  const f = await MeasurementFile.create(path, { ...header, attributes: { ...header.attributes, units: orm.units, ormSource: orm.source } }, { overwrite: options.overwrite });
  try {
    for (const p of PLANES) {
      const c = orm.correctors[p];
      if (c) {
        f.writeDataset(`kicks/${p}`, c.kicks, { ...datasetUnit(unitInfo(c.unit)), axes: [axisOf(`corrector_${p}`, c)], description: `half-amplitude of the bipolar step of each ${p} corrector (0: model)`, attributes: { family: c.family } });
      }
    }
    for (const obs of PLANES) {
      for (const kick of PLANES) {
        const name = blockName(obs, kick);
        const m = orm[name];
        if (!m) continue;
        const b = orm.bpms[obs]!;
        const c = orm.correctors[kick]!;
        const opts = {
          ...datasetUnit(ratioUnit(b.unit, c.unit)),
          shape: [b.devices.length, c.devices.length],
          axes: [axisOf(`bpm_${obs}`, b), axisOf(`corrector_${kick}`, c)],
          attributes: { bpmFamily: b.family, bpmUnit: b.unit, correctorFamily: c.family, correctorUnit: c.unit },
        };
        f.writeDataset(name, flat(m), { ...opts, description: `${obs} orbit per ${kick} corrector step` });
        const s = orm.std?.[name];
        if (s) f.writeDataset(`std/${name}`, flat(s), { ...opts, description: `standard error of ${name}` });
      }
    }
    if (orm.checks) writeResponseChecks(f, orm.checks, orm.bpms.x?.unit ?? orm.bpms.y?.unit ?? '');
    if (orm.rf) {
      const rf = orm.rf;
      for (const p of PLANES) {
        const col = rf[p];
        if (!col) continue;
        const b = orm.bpms[p]!;
        const attributes = { bpmFamily: b.family, bpmUnit: b.unit, rfFamily: rf.family, rfName: rf.name, rfUnit: rf.unit, rfStep: rf.step, rfDevice: Int32Array.from(rf.device) };
        f.writeDataset(`rf/${p}`, col, { ...datasetUnit(ratioUnit(b.unit, rf.unit)), axes: [axisOf(`bpm_${p}`, b)], description: `${p} orbit per RF step`, attributes });
        const s = p === 'x' ? orm.std?.rfx : orm.std?.rfy;
        if (s) f.writeDataset(`std/rf_${p}`, s, { ...datasetUnit(ratioUnit(b.unit, rf.unit)), axes: [axisOf(`bpm_${p}`, b)], description: `standard error of rf/${p}` });
      }
    }
  } catch (e) {
    f.abort();
    throw e;
  }
  return f.close();
}

function matrixOf(d: DatasetRecord, path: string): Matrix {
  const [r, c] = d.shape;
  if (d.shape.length !== 2) throw new OrbitError(`${path}: dataset ${d.path} has shape [${d.shape.join(', ')}], expected 2 dimensions`);
  const v = d.value as Float64Array;
  return Array.from({ length: r }, (_r, i) => Float64Array.from(v.subarray(i * c, (i + 1) * c)));
}

function axisFrom(d: DatasetRecord, dim: number, family: string, unit: string, path: string): DeviceAxis {
  const a = d.axes[dim];
  if (!a?.devices || !a.names) throw new OrbitError(`${path}: dataset ${d.path} has no device axis ${dim}`);
  return { family, devices: a.devices as DeviceId[], names: a.names, unit };
}

const str = (d: DatasetRecord, key: string, path: string): string => {
  const v = d.attributes[key];
  if (typeof v !== 'string') throw new OrbitError(`${path}: dataset ${d.path} lacks the attribute '${key}'`);
  return v;
};

/** Reads a response matrix written by saveOrm. */
export async function loadOrm(path: string): Promise<OrbitResponseMatrix> {
  const c = await readMeasurement(path);
  if (c.dataType !== ORM_DATA_TYPE) throw new OrbitError(`${path}: dataType is '${c.dataType}', expected '${ORM_DATA_TYPE}'`);
  const units = c.attributes.units;
  if (units !== 'hardware' && units !== 'physics') throw new OrbitError(`${path}: root attribute 'units' is ${JSON.stringify(units)}, expected 'hardware' or 'physics'`);
  const has = (p: string) => c.datasets.some((d) => d.path === p);
  const bpms: Partial<Record<Plane, DeviceAxis>> = {};
  const correctors: Partial<Record<Plane, CorrectorAxis>> = {};
  const blocks: Partial<Record<string, Matrix>> = {};
  const stds: Partial<Record<string, Matrix>> = {};
  for (const obs of PLANES) {
    for (const kick of PLANES) {
      const name = blockName(obs, kick);
      if (!has(name)) continue;
      const d = c.dataset(name);
      blocks[name] = matrixOf(d, path);
      bpms[obs] ??= axisFrom(d, 0, str(d, 'bpmFamily', path), str(d, 'bpmUnit', path), path);
      if (!correctors[kick]) {
        const axis = axisFrom(d, 1, str(d, 'correctorFamily', path), str(d, 'correctorUnit', path), path);
        const k = has(`kicks/${kick}`) ? Float64Array.from(c.dataset(`kicks/${kick}`).value as Float64Array) : new Float64Array(axis.devices.length);
        correctors[kick] = { ...axis, kicks: k };
      }
      if (has(`std/${name}`)) stds[name] = matrixOf(c.dataset(`std/${name}`), path);
    }
  }
  let rf: RfColumn | undefined;
  for (const p of PLANES) {
    if (!has(`rf/${p}`)) continue;
    const d = c.dataset(`rf/${p}`);
    const dev = d.attributes.rfDevice as number[];
    rf = {
      ...(rf ?? { family: str(d, 'rfFamily', path), name: str(d, 'rfName', path), unit: str(d, 'rfUnit', path), step: Number(d.attributes.rfStep), device: [dev[0], dev[1]] as DeviceId }),
      [p]: Float64Array.from(d.value as Float64Array),
    };
    bpms[p] ??= axisFrom(d, 0, str(d, 'bpmFamily', path), str(d, 'bpmUnit', path), path);
  }
  const vec = (p: string) => (has(p) ? Float64Array.from(c.dataset(p).value as Float64Array) : undefined);
  const setpoints: Snapshot = {
    facility: c.facility.name,
    mode: c.mode,
    date: c.date,
    families: Object.fromEntries(c.setpoints.map((s) => [s.family, { devices: s.devices, names: s.names, channels: s.channels ?? [], values: Array.from(s.values), units: s.unit }])),
  };
  const orm: OrbitResponseMatrix = {
    units,
    source: c.attributes.ormSource === 'model' ? 'model' : 'measured',
    bpms,
    correctors,
    Rxx: blocks.Rxx,
    Ryx: blocks.Ryx,
    Rxy: blocks.Rxy,
    Ryy: blocks.Ryy,
    rf,
    std: { Rxx: stds.Rxx, Ryx: stds.Ryx, Rxy: stds.Rxy, Ryy: stds.Ryy, rfx: vec('std/rf_x'), rfy: vec('std/rf_y') },
    setpoints,
    checks: readResponseChecks(c.datasets),
  };
  checkOrm(orm, path);
  return orm;
}

/** Writes an orbit reading as a measurement file. */
export async function saveOrbit(path: string, orbit: OrbitReading, acc: Accelerator, options: SaveOptions = {}): Promise<string> {
  const header = await measurementHeader(acc, ORBIT_DATA_TYPE, undefined, options);
  const f = await MeasurementFile.create(path, { ...header, attributes: { ...header.attributes, units: orbit.units, average: orbit.average } }, { overwrite: options.overwrite });
  try {
    for (const p of PLANES) {
      const o = orbit[p];
      if (!o) continue;
      const axes = [axisOf(`bpm_${p}`, o)];
      f.writeDataset(`${p}/mean`, o.values, { ...datasetUnit(unitInfo(o.unit)), axes, description: `${p} orbit, mean of the finite readings`, attributes: { family: o.family } });
      f.writeDataset(`${p}/std`, o.std, { ...datasetUnit(unitInfo(o.unit)), axes, description: 'standard deviation of the readings' });
      f.writeDataset(`${p}/count`, o.count, { unit: '', dtype: 'int32', axes, description: 'number of finite readings' });
    }
  } catch (e) {
    f.abort();
    throw e;
  }
  return f.close();
}

/** Writes a dispersion measurement as a measurement file. */
export async function saveDispersion(path: string, d: DispersionMeasurement, acc: Accelerator, options: SaveOptions = {}): Promise<string> {
  const header = await measurementHeader(acc, DISPERSION_DATA_TYPE, d.setpoints, options);
  const attributes = { ...header.attributes, units: d.units, rfFamily: d.rf.family, rfFrequency: d.rf.frequency, rfStep: d.rf.step, rfUnit: d.rf.unit, average: d.average, ...(d.momentumCompaction !== undefined ? { momentumCompaction: d.momentumCompaction } : {}) };
  const f = await MeasurementFile.create(path, { ...header, attributes }, { overwrite: options.overwrite });
  try {
    for (const p of PLANES) {
      const x = d[p];
      if (!x) continue;
      const axes = [axisOf(`bpm_${p}`, x)];
      const perRf = ratioUnit(x.unit, d.rf.unit);
      f.writeDataset(`${p}/per_rf`, x.perRf, { ...datasetUnit(perRf), axes, description: `${p} orbit change per RF change`, attributes: { family: x.family } });
      f.writeDataset(`${p}/per_rf_std`, x.perRfStd, { ...datasetUnit(perRf), axes, description: 'standard error' });
      if (x.eta) f.writeDataset(`${p}/eta`, x.eta, { ...datasetUnit(unitInfo(x.unit)), axes, description: `${p} dispersion per unit momentum deviation` });
      if (x.etaStd) f.writeDataset(`${p}/eta_std`, x.etaStd, { ...datasetUnit(unitInfo(x.unit)), axes, description: 'standard error' });
    }
    if (d.checks) writeResponseChecks(f, d.checks, d.x?.unit ?? d.y?.unit ?? '');
  } catch (e) {
    f.abort();
    throw e;
  }
  return f.close();
}

/** Writes a correction (orbits before and after, rms per step, setpoint changes) as a measurement file. */
export async function saveCorrection(path: string, r: CorrectOrbitResult, acc: Accelerator, options: SaveOptions = {}): Promise<string> {
  const header = await measurementHeader(acc, CORRECTION_DATA_TYPE, r.orm.setpoints, options);
  const attributes = { ...header.attributes, units: r.units, dryRun: r.dryRun, stopReason: r.stopReason, status: r.status, message: r.message, steps: r.steps.length, undoneSteps: r.steps.filter((s) => s.undone).length };
  const f = await MeasurementFile.create(path, { ...header, attributes }, { overwrite: options.overwrite });
  try {
    for (const p of r.planes) {
      for (const [tag, o] of [['initial', r.initial[p]], ['final', r.final[p]]] as const) {
        if (!o) continue;
        f.writeDataset(`${p}/orbit_${tag}`, o.values, { ...datasetUnit(unitInfo(o.unit)), axes: [axisOf(`bpm_${p}`, o)], description: `${p} orbit ${tag === 'initial' ? 'before' : 'after'} the correction` });
      }
      const rmsSteps = Float64Array.from([...r.steps.map((s) => s.rms[p] ?? Number.NaN), r.rmsFinal[p] ?? Number.NaN]);
      const bu = r.orm.bpms[p]?.unit ?? '';
      f.writeDataset(`${p}/rms`, rmsSteps, { ...datasetUnit(unitInfo(bu)), description: `rms ${p} orbit error before each step, then after the last` });
      f.writeDataset(`${p}/rms_predicted`, Float64Array.from(r.steps, (s) => s.rmsPredicted[p] ?? Number.NaN), { ...datasetUnit(unitInfo(bu)), description: `rms ${p} orbit error the matrix predicted after each step (as applied)` });
      f.writeDataset(`${p}/rms_measured`, Float64Array.from(r.steps, (s) => s.rmsMeasured?.[p] ?? Number.NaN), { ...datasetUnit(unitInfo(bu)), description: `rms ${p} orbit error measured after each step (NaN: not made; an undone step keeps what it gave)` });
    }
    // Total setpoint change of every written device, per family.
    const byFamily = new Map<string, { devices: DeviceId[]; names: string[]; first: number[]; last: number[]; unit: string }>();
    for (const s of r.steps) {
      // An undone step left its setpoints where they were.
      if (s.undone) continue;
      for (const w of s.writes) {
        const g = byFamily.get(w.family) ?? { devices: [], names: [], first: [], last: [], unit: w.unit };
        w.devices.forEach((d, k) => {
          const i = g.devices.findIndex((e) => e[0] === d[0] && e[1] === d[1]);
          if (i < 0) {
            g.devices.push(d);
            g.names.push(w.names[k]);
            g.first.push(w.current[k]);
            g.last.push(w.target[k]);
          } else g.last[i] = w.target[k];
        });
        byFamily.set(w.family, g);
      }
    }
    for (const [family, g] of byFamily) {
      f.writeDataset(`setpoints/${family}/before`, g.first, { ...datasetUnit(unitInfo(g.unit)), axes: [{ label: `written_${family}`, devices: g.devices, names: g.names }], description: `${family} setpoints before the correction (devices written)` });
      f.writeDataset(`setpoints/${family}/after`, g.last, { ...datasetUnit(unitInfo(g.unit)), axes: [{ label: `written_${family}`, devices: g.devices, names: g.names }], description: `${family} setpoints after the correction` });
    }
  } catch (e) {
    f.abort();
    throw e;
  }
  return f.close();
}
