/**
 * Dispersion measurement (MML measdisp): the RF frequency is stepped by ±step, the
 * orbit change over the frequency change is the dispersion per RF unit; with the
 * momentum compaction α it becomes the dispersion per unit δ (δ = −Δf / (f α)).
 */
import { type Accelerator, type DeviceId, type Snapshot, type Units, sleep } from '@mlayer/core';
import { OrbitError } from './errors.js';
import { type AveragingOptions, type OrbitReading, type ProgressOptions, checkAveraging, readOrbit, runMeasurement } from './measure-orbit.js';
import { type OrbitFamiliesOptions, planesOf, resolveOrbitFamilies } from './orbit-families.js';
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
  const readings = await runMeasurement(acc, { name: 'dispersion', drives: [rf], signal: options.signal, total: 2, restoreOnSuccess: true, onProgress: options.onProgress }, async (m) => {
    const out: OrbitReading[] = [];
    for (const [k, sign] of [1, -1].entries()) {
      await m.set(rf, [f0 + sign * step], { units });
      await m.settle(rf);
      if (extra > 0) await sleep(extra, m.signal);
      out.push(await readOrbit(m, fams.bpms, units, avg));
      m.progress(k + 1, `${rf.name} ${sign > 0 ? '+' : '-'}${step}`);
    }
    await m.set(rf, [hw0]);
    await m.settle(rf);
    return out;
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
  };
}
