/**
 * Dispersion measurement (MML measdisp): the RF frequency is stepped by ±step, the
 * orbit change over the frequency change is the dispersion per RF unit; with the
 * momentum compaction α it becomes the dispersion per unit δ (δ = −Δf / (f α)).
 */
import { type Accelerator, type CheckSummary, type ColumnCheck, type DeviceId, type LatticeModel, type ResponseCheckOptions, type Snapshot, type Units, checkColumn, sleep, summariseChecks } from '@mlayer/core';
import { OrbitError } from './errors.js';
import { type AveragingOptions, type OrbitReading, type ProgressOptions, checkAveraging, readOrbit, runMeasurement } from './measure-orbit.js';
import { type OrbitFamiliesOptions, planesOf, resolveOrbitFamilies } from './orbit-families.js';
import { bpmNoise, checkSetup, checkSnr, modelResponseIn, readSteadyOrbit } from './orm-checks.js';
import type { PerPlane, Plane } from './orm.js';

export interface MeasureDispersionOptions extends OrbitFamiliesOptions, AveragingOptions, ProgressOptions {
  /** BPM planes to read (default both). */
  readonly planes?: Plane | readonly Plane[] | 'both';
  /** Half-amplitude of the RF step in RF `units`. */
  readonly step: number;
  /** Unit system of the RF step and the BPM readings (default hardware). */
  readonly units?: Units;
  /** Momentum compaction factor; when given, the dispersion is also given per unit δ. */
  readonly momentumCompaction?: number;
  /** Extra wait after each RF step, ms (default 0). */
  readonly settle?: number;
  /** Sanity checks (bipolar symmetry, model correlation and ratio, retries; the SNR of the step before it is made); false: none. */
  readonly checks?: ResponseCheckOptions | false;
  /** Model the dispersion is compared with (default: the accelerator's); false: none. */
  readonly model?: LatticeModel | false;
  /** Floor of the BPM noise (rms of one reading, BPM `units`; default 0). */
  readonly bpmNoise?: number;
  readonly onWarning?: (message: string) => void;
}

export interface PlaneDispersion {
  readonly family: string;
  readonly devices: readonly DeviceId[];
  readonly names: readonly string[];
  /** BPM unit. */
  readonly unit: string;
  /** Orbit change per RF unit (BPM unit / RF unit). */
  readonly perRf: Float64Array;
  readonly perRfStd: Float64Array;
  /** Dispersion per unit δ in the BPM unit (when the momentum compaction is given). */
  readonly eta?: Float64Array;
  readonly etaStd?: Float64Array;
}

export interface DispersionMeasurement extends PerPlane<PlaneDispersion> {
  readonly units: Units;
  readonly rf: { readonly family: string; readonly device: DeviceId; readonly name: string; readonly unit: string; readonly frequency: number; readonly step: number };
  readonly momentumCompaction?: number;
  readonly average: number;
  readonly setpoints: Snapshot;
  /** The sanity checks of each measurement of the column, retries and flags. */
  readonly checks?: CheckSummary;
  readonly warnings?: readonly string[];
}

/** Measures the dispersion at the BPMs by stepping the RF frequency. */
export async function measureDispersion(acc: Accelerator, options: MeasureDispersionOptions): Promise<DispersionMeasurement> {
  const planes = planesOf(options.planes);
  const units = options.units ?? 'hardware';
  const avg = checkAveraging(options);
  const { step } = options;
  if (!(step > 0) || !Number.isFinite(step)) throw new OrbitError(`step must be a finite RF change > 0 (got ${step})`);
  const alpha = options.momentumCompaction;
  if (alpha !== undefined && !(Number.isFinite(alpha) && alpha !== 0)) throw new OrbitError(`momentumCompaction must be a finite non-zero number (got ${alpha})`);
  const extra = options.settle ?? 0;
  if (!(extra >= 0)) throw new OrbitError(`settle must be >= 0 ms (got ${options.settle})`);
  const fams = resolveOrbitFamilies(acc, options, planes, { bpms: true, rf: true });
  const rf = fams.rf!;
  const hw0 = (await rf.get({ field: 'setpoint', signal: options.signal }))[0];
  const f0 = units === 'physics' ? rf.toPhysics([hw0])[0] : hw0;
  const lim = rf.limits[0];
  for (const f of [f0 + step, f0 - step]) {
    const h = units === 'physics' ? rf.toHardware([f])[0] : f;
    if (lim && (h < lim[0] || h > lim[1])) throw new OrbitError(`${rf.name} ${rf.names[0]}: the step to ${h} would pass the limits [${lim[0]}, ${lim[1]}] (nothing was changed)`);
  }
  const setpoints = await acc.snapshot({ signal: options.signal });
  const { checkOpts, floor, warnings, warn } = checkSetup(options);
  const model = checkOpts ? await modelResponseIn(acc, options.model, units, { bpms: fams.bpms, correctors: {}, rf }, { ...options, planes: [], observe: planes, rf: true }) : { unavailable: 'checks switched off' };
  if (checkOpts && model.unavailable) warn(`dispersion: not compared with a model, the RF step not checked against the BPM noise (${model.unavailable})`);
  const modelCol = model.orm?.rf && planes.every((p) => model.orm!.rf![p]) ? Float64Array.from(planes.flatMap((p) => Array.from(model.orm!.rf![p]!))) : undefined;
  const checks: ColumnCheck[] = [];
  const column = `${rf.name} ${rf.names[0]}`;
  const readings = await runMeasurement(acc, { name: 'dispersion', drives: [rf], freshTimeout: avg.freshTimeout, observes: planes.map((p) => fams.bpms[p]!), signal: options.signal, total: 2, restoreOnSuccess: true, onProgress: options.onProgress, onWarning: (w) => warn(w.message) }, async (m) => {
    const nBase = Math.max(avg.n, 4);
    const base = checkOpts ? await readSteadyOrbit(() => readOrbit(m, fams.bpms, units, { n: nBase, interval: avg.interval }), planes, floor, warn, { signal: m.signal }) : undefined;
    const noise = base ? planes.flatMap((p) => Array.from(bpmNoise(base, p, floor))) : [];
    if (checkOpts && base && modelCol) checkSnr(column, modelCol, noise, step, rf.units('setpoint')[units], fams.bpms[planes[0]]!.units()[units], avg.n, checkOpts.minSnr);
    const flat = (r: OrbitReading) => Float64Array.from(planes.flatMap((p) => Array.from(r[p]!.values)));
    for (let attempt = 1; ; attempt++) {
      const out: OrbitReading[] = [];
      for (const [k, sign] of [1, -1].entries()) {
        await m.set(rf, [f0 + sign * step], { units });
        await m.settle(rf);
        if (extra > 0) await sleep(extra, m.signal);
        out.push(await readOrbit(m, fams.bpms, units, avg));
        m.progress(k + 1, `${rf.name} ${sign > 0 ? '+' : '-'}${step}`);
      }
      if (checkOpts && base) {
        const [p, q] = [flat(out[0]), flat(out[1])];
        const c = checkColumn({ column, attempt, plus: p, minus: q, base: flat(base), asymmetryStd: noise.map((s) => s * Math.sqrt(2 / avg.n + 4 / nBase)), measured: p.map((v, i) => (v - q[i]) / (2 * step)), model: modelCol }, checkOpts);
        checks.push(c);
        if (!c.passed && attempt <= checkOpts.retries) {
          m.note(`${column}: measured again (${c.reason})`);
          continue;
        }
        if (!c.passed) m.note(`${column}: flagged after ${attempt} measurements: ${c.reason}`);
      }
      await m.set(rf, [hw0]);
      await m.settle(rf);
      return out;
    }
  });
  const [plus, minus] = readings;
  const result: Partial<Record<Plane, PlaneDispersion>> = {};
  for (const p of planes) {
    const a = plus[p]!;
    const b = minus[p]!;
    const perRf = a.values.map((v, i) => (v - b.values[i]) / (2 * step));
    const perRfStd = a.values.map((_v, i) => Math.sqrt(a.std[i] ** 2 / a.count[i] + b.std[i] ** 2 / b.count[i]) / (2 * step));
    // δ = −Δf / (f α): the orbit per unit δ is −(dx/df) f α.
    const eta = alpha !== undefined ? perRf.map((d) => -d * f0 * alpha) : undefined;
    const etaStd = alpha !== undefined ? perRfStd.map((d) => Math.abs(d * f0 * alpha)) : undefined;
    result[p] = { family: a.family, devices: a.devices, names: a.names, unit: a.unit, perRf, perRfStd, eta, etaStd };
  }
  return {
    ...result,
    units,
    rf: { family: rf.name, device: rf.deviceList[0], name: rf.names[0], unit: rf.units('setpoint')[units], frequency: f0, step },
    momentumCompaction: alpha,
    average: avg.n,
    setpoints,
    checks: checkOpts ? summariseChecks(checks) : undefined,
    warnings,
  };
}
