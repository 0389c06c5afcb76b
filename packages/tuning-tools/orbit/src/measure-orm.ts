/**
 * Orbit response matrix measurement (MML measbpmresp): each corrector in turn is
 * stepped by +k and −k around its setpoint, the orbit is averaged after each step,
 * and the column is the difference over 2k. Every corrector is restored after its
 * column; an error or an abort restores every setpoint the measurement changed.
 */
import { type Accelerator, type Family, type MeasurementContext, type Units, sleep } from '@mlayer/core';
import { OrbitError } from './errors.js';
import { type Matrix, zeros } from './linalg.js';
import { type AveragingOptions, type OrbitReading, type ProgressOptions, checkAveraging, readOrbit, runMeasurement } from './measure-orbit.js';
import { type OrbitFamiliesOptions, planesOf, resolveOrbitFamilies } from './orbit-families.js';
import { type CorrectorAxis, type DeviceAxis, type OrbitResponseMatrix, type PerPlane, type Plane, type RfColumn } from './orm.js';

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

  await runMeasurement(acc, { name: 'orbit response matrix', drives, signal: options.signal, total, restoreOnSuccess: true, onProgress: options.onProgress }, async (m) => {
    let step = 0;
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
        const [plus, minus] = await bipolar(one, start[kp]!.v[j], start[kp]!.hw[j], k);
        for (const op of observe) {
          const c = column(plus, minus, op, k);
          c.value.forEach((v, i) => (blocks[`R${op}${kp}`]![i][j] = v));
          c.std.forEach((v, i) => (stds[`R${op}${kp}`]![i][j] = v));
        }
        m.progress(++step, `${fam.name} ${fam.names[j]}`);
      }
    }
    if (fams.rf && options.rf && rfStart) {
      const [plus, minus] = await bipolar(fams.rf, rfStart.v[0], rfStart.hw[0], options.rf.step);
      for (const op of observe) rfCols[op] = column(plus, minus, op, options.rf.step);
      m.progress(++step, `${fams.rf.name} ${fams.rf.names[0]}`);
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
  };
}
