/** Orbit reading: averaged BPM readings of enabled BPMs, NaN readings excluded. */
import { type Accelerator, type DeviceId, type Family, Measurement, type MeasurementContext, type MeasurementOptions, type MeasurementProgress, type Units } from '@mlayer/core';
import { OrbitError } from './errors.js';
import { type OrbitFamiliesOptions, planesOf, resolveOrbitFamilies } from './orbit-families.js';
import { type PerPlane, type Plane } from './orm.js';

/** Averaged readings of one BPM family. */
export interface PlaneOrbit {
  readonly family: string;
  readonly devices: readonly DeviceId[];
  readonly names: readonly string[];
  readonly unit: string;
  /** Mean of the finite readings (NaN where a BPM gave none). */
  readonly values: Float64Array;
  /** Standard deviation of the readings (NaN with fewer than 2). */
  readonly std: Float64Array;
  /** Number of finite readings per BPM. */
  readonly count: Int32Array;
  /** The readings averaged, in order (one array over the BPMs per reading). */
  readonly samples?: readonly Float64Array[];
}

export interface OrbitReading extends PerPlane<PlaneOrbit> {
  readonly units: Units;
  /** Readings averaged per BPM. */
  readonly average: number;
}

export interface AveragingOptions {
  /** Readings averaged per point (default 1). */
  readonly average?: number;
  /** Time between readings, ms (default 0). */
  readonly interval?: number;
  /** How long a reading may take to become fresh after a change, ms (default 10 s): past it the step fails naming the BPM family. */
  readonly freshTimeout?: number;
}

export interface ProgressOptions {
  readonly signal?: AbortSignal;
  /** Called at every step (also available as the measurement's progress$). */
  readonly onProgress?: (progress: MeasurementProgress) => void;
}

export interface MeasureOrbitOptions extends OrbitFamiliesOptions, AveragingOptions, ProgressOptions {
  readonly planes?: Plane | readonly Plane[] | 'both';
  /** Unit system of the readings (default hardware). */
  readonly units?: Units;
}

export function checkAveraging(o: AveragingOptions): { n: number; interval: number; freshTimeout?: number } {
  const n = o.average ?? 1;
  const interval = o.interval ?? 0;
  if (!Number.isInteger(n) || n < 1) throw new OrbitError(`average must be a positive integer (got ${o.average})`);
  if (!(interval >= 0) || !Number.isFinite(interval)) throw new OrbitError(`interval must be a finite number of ms >= 0 (got ${o.interval})`);
  if (o.freshTimeout !== undefined && !(o.freshTimeout > 0 && Number.isFinite(o.freshTimeout))) throw new OrbitError(`freshTimeout must be a finite number of ms > 0 (got ${o.freshTimeout})`);
  return { n, interval, freshTimeout: o.freshTimeout };
}

/** Reads the orbit of the given BPM families inside a measurement. */
export async function readOrbit(m: MeasurementContext, bpms: PerPlane<Family>, units: Units, avg: { n: number; interval: number }): Promise<OrbitReading> {
  const out: { x?: PlaneOrbit; y?: PlaneOrbit } = {};
  for (const p of ['x', 'y'] as const) {
    const f = bpms[p];
    if (!f) continue;
    const r = await m.average(f, avg.n, { interval: avg.interval, units });
    out[p] = {
      family: f.name,
      devices: f.deviceList,
      names: f.names,
      unit: f.units()[units],
      values: r.mean,
      std: r.std,
      count: r.count,
      samples: r.samples,
    };
  }
  return { ...out, units, average: avg.n };
}

/** Runs a measurement, forwarding its progress to `onProgress`. */
export async function runMeasurement<T>(acc: Accelerator, options: MeasurementOptions & { onProgress?: (p: MeasurementProgress) => void }, body: (m: MeasurementContext) => Promise<T>): Promise<T> {
  const { onProgress, ...rest } = options;
  const measurement = new Measurement(acc, rest);
  const sub = onProgress ? measurement.progress$.subscribe({ next: onProgress, error: () => undefined }) : undefined;
  try {
    return await measurement.run(body);
  } finally {
    sub?.unsubscribe();
  }
}

/** Measures the orbit (MML getam with averaging): enabled BPMs, NaN readings excluded per BPM. */
export async function measureOrbit(acc: Accelerator, options: MeasureOrbitOptions = {}): Promise<OrbitReading> {
  const planes = planesOf(options.planes);
  const avg = checkAveraging(options);
  const units = options.units ?? 'hardware';
  const fams = resolveOrbitFamilies(acc, options, planes, { bpms: true });
  return runMeasurement(acc, { name: 'orbit', drives: [], observes: planes.map((p) => fams.bpms[p]!), freshTimeout: avg.freshTimeout, signal: options.signal, total: 1, onProgress: options.onProgress }, async (m) => {
    const r = await readOrbit(m, fams.bpms, units, avg);
    m.progress(1, 'orbit read');
    return r;
  });
}
