/**
 * Orbit response matrix measurement (MML measbpmresp): each corrector in turn is
 * stepped by +k and −k around its setpoint, the orbit is averaged after each step,
 * and the column is the difference over 2k. Every corrector is restored after its
 * column; an error or an abort restores every setpoint the measurement changed.
 */
import {
  type Accelerator,
  type ColumnCheck,
  type Family,
  type LatticeModel,
  type MeasurementContext,
  type ResponseCheckOptions,
  type Units,
  checkColumn,
  sleep,
  summariseChecks,
} from '@mlayer/core';
import { OrbitError } from './errors.js';
import { type Matrix, zeros } from '@mlayer/tuning-common';
import { type AveragingOptions, type OrbitReading, type ProgressOptions, checkAveraging, readOrbit, runMeasurement } from './measure-orbit.js';
import { type OrbitFamiliesOptions, planesOf, resolveOrbitFamilies } from './orbit-families.js';
import { bpmNoise, checkSetup, checkSnr, modelResponseIn, readSteadyOrbit } from './orm-checks.js';
import { type CorrectorAxis, type DeviceAxis, type OrbitResponseMatrix, type PerPlane, type Plane, type RfColumn, block } from './orm.js';

export interface MeasureOrmOptions extends OrbitFamiliesOptions, AveragingOptions, ProgressOptions {
  /** Corrector planes to step (default both). Both BPM planes are read unless `observe` says otherwise. */
  readonly planes?: Plane | readonly Plane[] | 'both';
  /** BPM planes to read (default both). */
  readonly observe?: Plane | readonly Plane[] | 'both';
  /** Half-amplitude of the bipolar step per corrector, in `units`: one number, or per plane a number or one per corrector. */
  readonly kick: number | PerPlane<number | ArrayLike<number>>;
  /** Unit system of the kicks, the BPM readings and the matrix (default hardware). */
  readonly units?: Units;
  /** Extra wait after each step, ms, on top of the family's settle time and readback check (default 0). */
  readonly settle?: number;
  /** Also measure the RF column: the half-amplitude of the RF step in `units` (Hz). */
  readonly rf?: { readonly step: number };
  /**
   * Sanity checks of every column (bipolar symmetry, model correlation and ratio,
   * retries, flags; the SNR of the kicks before anything moves); false: none.
   */
  readonly checks?: ResponseCheckOptions | false;
  /** Model the columns are compared with (default: the accelerator's); false: no comparison, no SNR check. */
  readonly model?: LatticeModel | false;
  /** Floor of the BPM noise (rms of one reading, BPM `units`) when the readings show less (default 0). */
  readonly bpmNoise?: number;
  /** Warnings (settling defaults, checks skipped) as they are raised; also in the result's `warnings`. */
  readonly onWarning?: (message: string) => void;
}

function kicksFor(kick: MeasureOrmOptions['kick'], plane: Plane, n: number, family: string): Float64Array {
  const k = typeof kick === 'number' ? kick : kick[plane];
  if (k === undefined) throw new OrbitError(`kick: no step given for plane ${plane} (${family})`);
  const arr = typeof k === 'number' ? new Float64Array(n).fill(k) : Float64Array.from(k);
  if (arr.length !== n) throw new OrbitError(`kick.${plane}: ${arr.length} steps for ${n} correctors of ${family}`);
  arr.forEach((v, j) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new OrbitError(`kick.${plane}[${j}] (${family}): the step must be a finite number > 0 (got ${v})`);
  });
  return arr;
}

/** Checks before anything moves that every ±step stays within the hardware limits. */
function checkSteps(fam: Family, v0: Float64Array, steps: Float64Array, units: Units): void {
  const lim = fam.limits;
  for (const sign of [1, -1]) {
    const target = v0.map((v, j) => v + sign * steps[j]);
    const hw = units === 'physics' ? fam.toHardware(target) : target;
    hw.forEach((h, j) => {
      const l = lim[j];
      if (l && (h < l[0] || h > l[1])) throw new OrbitError(`${fam.name} ${fam.names[j]}: the step to ${h} (hardware) would pass the limits [${l[0]}, ${l[1]}]; choose a smaller kick (nothing was changed)`);
    });
  }
}

async function settle(m: MeasurementContext, fam: Family, extraMs: number): Promise<void> {
  await m.settle(fam);
  if (extraMs > 0) await sleep(extraMs, m.signal);
}

/** Difference of two readings over 2k, with its standard error. */
function column(plus: OrbitReading, minus: OrbitReading, plane: Plane, k: number): { value: Float64Array; std: Float64Array } {
  const a = plus[plane]!;
  const b = minus[plane]!;
  const value = a.values.map((v, i) => (v - b.values[i]) / (2 * k));
  const std = a.values.map((_v, i) => Math.sqrt(a.std[i] ** 2 / a.count[i] + b.std[i] ** 2 / b.count[i]) / (2 * k));
  return { value, std };
}

/** Measures the orbit response matrix (and the RF column) on the machine. */
export async function measureOrm(acc: Accelerator, options: MeasureOrmOptions): Promise<OrbitResponseMatrix> {
  const planes = planesOf(options.planes);
  const observe = planesOf(options.observe);
  const units = options.units ?? 'hardware';
  const avg = checkAveraging(options);
  const extra = options.settle ?? 0;
  if (!(extra >= 0)) throw new OrbitError(`settle must be >= 0 ms (got ${options.settle})`);
  if (options.rf && !(options.rf.step > 0 && Number.isFinite(options.rf.step))) throw new OrbitError(`rf.step must be a finite number > 0 (got ${options.rf.step})`);
  const bpmFams = resolveOrbitFamilies(acc, options, observe, { bpms: true }).bpms;
  const fams = resolveOrbitFamilies(acc, options, planes, { correctors: true, rf: options.rf !== undefined });
  const steps: Partial<Record<Plane, Float64Array>> = {};
  const start: Partial<Record<Plane, { hw: Float64Array; v: Float64Array }>> = {};
  for (const p of planes) {
    const f = fams.correctors[p]!;
    steps[p] = kicksFor(options.kick, p, f.size, f.name);
    const hw = await f.get({ field: 'setpoint', signal: options.signal });
    const v = units === 'physics' ? f.toPhysics(hw) : hw;
    checkSteps(f, v, steps[p]!, units);
    start[p] = { hw, v };
  }
  let rfStart: { hw: Float64Array; v: Float64Array } | undefined;
  if (fams.rf && options.rf) {
    const hw = await fams.rf.get({ field: 'setpoint', signal: options.signal });
    rfStart = { hw, v: units === 'physics' ? fams.rf.toPhysics(hw) : hw };
    checkSteps(fams.rf, rfStart.v, Float64Array.of(options.rf.step), units);
  }
  const setpoints = await acc.snapshot({ signal: options.signal });
  const total = planes.reduce((s, p) => s + fams.correctors[p]!.size, 0) + (options.rf ? 1 : 0);
  const drives = [...planes.map((p) => fams.correctors[p]!), ...(fams.rf && options.rf ? [fams.rf] : [])];

  const blocks: Partial<Record<string, Matrix>> = {};
  const stds: Partial<Record<string, Matrix>> = {};
  for (const kp of planes) {
    for (const op of observe) {
      blocks[`R${op}${kp}`] = zeros(bpmFams[op]!.size, fams.correctors[kp]!.size);
      stds[`R${op}${kp}`] = zeros(bpmFams[op]!.size, fams.correctors[kp]!.size);
    }
  }
  const rfCols: Partial<Record<Plane, { value: Float64Array; std: Float64Array }>> = {};
  const { checkOpts, floor, warnings, warn } = checkSetup(options);
  const model = checkOpts
    ? await modelResponseIn(acc, options.model, units, { bpms: bpmFams, correctors: fams.correctors, rf: fams.rf }, { ...options, planes, observe, rf: options.rf !== undefined, hwStart: Object.fromEntries(planes.map((p) => [p, start[p]!.hw])) })
    : { unavailable: 'checks switched off' };
  if (checkOpts && model.unavailable) warn(`orbit response matrix: columns not compared with a model, kicks not checked against the BPM noise (${model.unavailable})`);
  const checks: ColumnCheck[] = [];

  await runMeasurement(acc, { name: 'orbit response matrix', drives, freshTimeout: avg.freshTimeout, observes: observe.map((p) => bpmFams[p]!), signal: options.signal, total, restoreOnSuccess: true, onProgress: options.onProgress, onWarning: (w) => warn(w.message) }, async (m) => {
    let step = 0;
    // The starting orbit (with the noise of each BPM) for the symmetry of the columns and the SNR of the kicks.
    const nBase = Math.max(avg.n, 4);
    const base = checkOpts ? await readSteadyOrbit(() => readOrbit(m, bpmFams, units, { n: nBase, interval: avg.interval }), observe, floor, warn, { signal: m.signal }) : undefined;
    const noise: Partial<Record<Plane, Float64Array>> = {};
    if (base) for (const op of observe) noise[op] = bpmNoise(base, op, floor);
    const concat = (r: OrbitReading | undefined, pick: (o: NonNullable<OrbitReading['x']>) => Float64Array): Float64Array => Float64Array.from(observe.flatMap((op) => Array.from(pick(r![op]!))));
    // Refuse kicks too weak for the BPM noise before anything moves.
    if (checkOpts && base && model.orm) {
      for (const kp of planes) {
        const fam = fams.correctors[kp]!;
        const mb = block(model.orm, kp, kp);
        if (!mb || !noise[kp]) continue;
        for (let j = 0; j < fam.size; j++) {
          checkSnr(`${fam.name} ${fam.names[j]}`, mb.map((row) => row[j]), noise[kp]!, steps[kp]![j], fam.units('setpoint')[units], bpmFams[kp]!.units()[units], avg.n, checkOpts.minSnr);
        }
      }
      const rfModel = model.orm.rf;
      if (fams.rf && options.rf && rfModel?.x && noise.x) checkSnr(`${fams.rf.name} ${fams.rf.names[0]}`, rfModel.x, noise.x, options.rf.step, fams.rf.units('setpoint')[units], bpmFams.x!.units()[units], avg.n, checkOpts.minSnr);
    }
    // The orbit the columns are symmetric about: the starting reading, then the centre (plus + minus) / 2 of the
    // last column that passed, so that a slow drift of the machine over the measurement is not taken for asymmetry.
    let centre: Float64Array | undefined = base ? concat(base, (o) => o.values) : undefined;
    let centreReadings = nBase;
    const asymStd = (): Float64Array => Float64Array.from(observe.flatMap((op) => Array.from(noise[op]!, (s) => s * Math.sqrt(2 / avg.n + 4 / centreReadings))));
    /** Checks a column, returns true when it passed or may not be retried. */
    const judge = (name: string, attempt: number, plus: OrbitReading, minus: OrbitReading, measured: ArrayLike<number>, modelCol: ArrayLike<number> | undefined): boolean => {
      if (!checkOpts || !base) return true;
      const [p, q] = [concat(plus, (o) => o.values), concat(minus, (o) => o.values)];
      const c = checkColumn({ column: name, attempt, plus: p, minus: q, base: centre!, asymmetryStd: asymStd(), measured, model: modelCol }, checkOpts);
      checks.push(c);
      if (c.passed) {
        centre = p.map((v, i) => (v + q[i]) / 2);
        centreReadings = 2 * avg.n;
        return true;
      }
      if (attempt > checkOpts.retries) {
        m.note(`${name}: flagged after ${attempt} measurements: ${c.reason}`);
        return true;
      }
      m.note(`${name}: measured again (${c.reason})`);
      return false;
    };
    const bipolar = async (one: Family, v0: number, hw0: number, k: number): Promise<[OrbitReading, OrbitReading]> => {
      await m.set(one, [v0 + k], { units });
      await settle(m, one, extra);
      const plus = await readOrbit(m, bpmFams, units, avg);
      await m.set(one, [v0 - k], { units });
      await settle(m, one, extra);
      const minus = await readOrbit(m, bpmFams, units, avg);
      await m.set(one, [hw0]);
      await settle(m, one, extra);
      return [plus, minus];
    };
    for (const kp of planes) {
      const fam = fams.correctors[kp]!;
      const list = fam.deviceList;
      for (let j = 0; j < fam.size; j++) {
        const one = fam.devices([list[j]]);
        const k = steps[kp]![j];
        const name = `${fam.name} ${fam.names[j]}`;
        const mb = model.orm ? block(model.orm, kp, kp) : undefined;
        const modelCol = mb && observe.includes(kp) ? mb.map((row) => row[j]) : undefined;
        for (let attempt = 1; ; attempt++) {
          const [plus, minus] = await bipolar(one, start[kp]!.v[j], start[kp]!.hw[j], k);
          for (const op of observe) {
            const c = column(plus, minus, op, k);
            c.value.forEach((v, i) => (blocks[`R${op}${kp}`]![i][j] = v));
            c.std.forEach((v, i) => (stds[`R${op}${kp}`]![i][j] = v));
          }
          const inPlane = observe.includes(kp) ? column(plus, minus, kp, k).value : undefined;
          if (judge(name, attempt, plus, minus, inPlane ?? [], inPlane ? modelCol : undefined)) break;
        }
        m.progress(++step, name);
      }
    }
    if (fams.rf && options.rf && rfStart) {
      const name = `${fams.rf.name} ${fams.rf.names[0]}`;
      const rfModel = model.orm?.rf;
      for (let attempt = 1; ; attempt++) {
        const [plus, minus] = await bipolar(fams.rf, rfStart.v[0], rfStart.hw[0], options.rf.step);
        for (const op of observe) rfCols[op] = column(plus, minus, op, options.rf.step);
        const measured = Float64Array.from(observe.flatMap((op) => Array.from(rfCols[op]!.value)));
        const modelCol = rfModel && observe.every((op) => rfModel[op]) ? Float64Array.from(observe.flatMap((op) => Array.from(rfModel[op]!))) : undefined;
        if (judge(name, attempt, plus, minus, measured, modelCol)) break;
      }
      m.progress(++step, name);
    }
  });

  const bpmAxis = (p: Plane): DeviceAxis | undefined => {
    const f = bpmFams[p];
    return f && { family: f.name, devices: f.deviceList, names: f.names, unit: f.units()[units] };
  };
  const corAxis = (p: Plane): CorrectorAxis | undefined => {
    const f = fams.correctors[p];
    return f && { family: f.name, devices: f.deviceList, names: f.names, unit: f.units('setpoint')[units], kicks: steps[p]! };
  };
  const rf: RfColumn | undefined =
    fams.rf && options.rf
      ? { family: fams.rf.name, device: fams.rf.deviceList[0], name: fams.rf.names[0], unit: fams.rf.units('setpoint')[units], step: options.rf.step, x: rfCols.x?.value, y: rfCols.y?.value }
      : undefined;
  const get = (obs: Plane, kick: Plane, from: Partial<Record<string, Matrix>>) => from[`R${obs}${kick}`];
  return {
    units,
    source: 'measured',
    bpms: { x: bpmAxis('x'), y: bpmAxis('y') },
    correctors: { x: corAxis('x'), y: corAxis('y') },
    Rxx: get('x', 'x', blocks),
    Ryx: get('y', 'x', blocks),
    Rxy: get('x', 'y', blocks),
    Ryy: get('y', 'y', blocks),
    rf,
    std: {
      Rxx: get('x', 'x', stds),
      Ryx: get('y', 'x', stds),
      Rxy: get('x', 'y', stds),
      Ryy: get('y', 'y', stds),
      rfx: rfCols.x?.std,
      rfy: rfCols.y?.std,
    },
    setpoints,
    checks: checkOpts ? summariseChecks(checks) : undefined,
    warnings,
  };
}
