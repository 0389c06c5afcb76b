/**
 * What the response measurements (ORM, dispersion) check against: the model's
 * response in the measurement's units, the BPM noise of a starting reading, and
 * the expected signal-to-noise ratio of a step (refused before anything moves).
 */
import { type Accelerator, type Family, type LatticeModel, type ResponseCheckOptions, type Units, WeakStepError, responseCheckOptions, sleep } from '@mlayer/core';
import { OrbitError } from './errors.js';
import type { Matrix } from '@mlayer/tuning-common';
import type { OrbitReading, PlaneOrbit } from './measure-orbit.js';
import { modelOrm } from './model-orm.js';
import type { OrbitFamiliesOptions } from './orbit-families.js';
import { type OrbitResponseMatrix, type Plane, block } from './orm.js';

/** The model's response in the units of a measurement, or why there is none. */
export interface ModelResponse {
  readonly orm?: OrbitResponseMatrix;
  /** Why the model is not used (no model, no binding, ...). */
  readonly unavailable?: string;
}

/** d(physics)/d(hardware) of each device of a family around `hw` (finite difference of ±h). */
function slopes(fam: Family, field: 'setpoint' | 'monitor' | 'readback', hw: ArrayLike<number>, h: ArrayLike<number>): Float64Array {
  const up = fam.toPhysics(Array.from(hw, (v, i) => v + h[i]), field);
  const dn = fam.toPhysics(Array.from(hw, (v, i) => v - h[i]), field);
  return Float64Array.from(up, (u, i) => (u - dn[i]) / (2 * h[i]));
}

/**
 * The model ORM (LatticeModel port) in the measurement's units: physics as the model
 * gives it, hardware through the local slope of each corrector's and BPM's conversion.
 */
export async function modelResponseIn(
  acc: Accelerator,
  model: LatticeModel | false | undefined,
  units: Units,
  fams: { bpms: Partial<Record<Plane, Family>>; correctors: Partial<Record<Plane, Family>>; rf?: Family },
  options: OrbitFamiliesOptions & { planes: readonly Plane[]; observe: readonly Plane[]; rf: boolean; hwStart?: Partial<Record<Plane, Float64Array>> },
  // (planes may be empty: the RF column only)
): Promise<ModelResponse> {
  if (model === false) return { unavailable: 'model comparison switched off' };
  const m = model ?? acc.model;
  if (!m) return { unavailable: 'no lattice model' };
  let orm: OrbitResponseMatrix;
  try {
    orm = await modelOrm(acc, { model: m, bpms: options.bpms, correctors: options.correctors, rfFamily: options.rfFamily, planes: options.planes.length > 0 ? [...options.planes] : 'none', observe: [...options.observe], rf: options.rf });
  } catch (e) {
    return { unavailable: `model response not available: ${(e as Error).message}` };
  }
  if (units === 'physics') return { orm };
  // Hardware units: R_hw = R_phys × (dθ/dI of the corrector) / (dx_phys/dx_hw of the BPM).
  const bpmScale: Partial<Record<Plane, Float64Array>> = {};
  for (const p of options.observe) {
    const f = fams.bpms[p]!;
    const field = f.readField as 'monitor' | 'readback';
    bpmScale[p] = slopes(f, field, new Float64Array(f.size), new Float64Array(f.size).fill(1e-3));
  }
  const corScale: Partial<Record<Plane, Float64Array>> = {};
  for (const p of options.planes) {
    const f = fams.correctors[p]!;
    const hw = options.hwStart?.[p] ?? (await f.get({ field: 'setpoint' }));
    corScale[p] = slopes(f, 'setpoint', hw, Float64Array.from(hw, (v) => Math.max(1e-6, Math.abs(v) * 1e-6)));
  }
  const convert = (obs: Plane, kick: Plane): Matrix | undefined => {
    const b = block(orm, obs, kick);
    return b?.map((row, i) => row.map((v, j) => (v * corScale[kick]![j]) / bpmScale[obs]![i]));
  };
  let rf = orm.rf;
  if (rf && fams.rf) {
    const hw = await fams.rf.get({ field: 'setpoint' });
    const s = slopes(fams.rf, 'setpoint', hw, [Math.max(1e-3, Math.abs(hw[0]) * 1e-9)])[0];
    rf = { ...rf, x: rf.x?.map((v, i) => (v * s) / bpmScale.x![i]), y: rf.y?.map((v, i) => (v * s) / bpmScale.y![i]) };
  }
  return { orm: { ...orm, units: 'hardware', Rxx: convert('x', 'x'), Ryx: convert('y', 'x'), Rxy: convert('x', 'y'), Ryy: convert('y', 'y'), rf } };
}

/** Median of a chi-square variable with one degree of freedom. */
const CHI2_1_MEDIAN = 0.454936;

/**
 * How much the orbit moved while a reading was averaged: the pooled standard
 * deviation of the readings against a pooled estimate that a moving orbit barely
 * changes, from each BPM's successive differences d_k = x_(k+1) - x_k: for
 * independent noise sigma, d_k^2 / (2 sigma^2) is chi-square with one degree of
 * freedom, so sigma^2 ~ median_k(d_k^2) / (2 * 0.4549). One step of the orbit (a
 * change made by someone else just before) touches one difference and the median
 * ignores it; a steady drift shows in every difference and counts as noise (it is
 * noise for the measurement too). A ratio well above 1 means the standard deviation
 * measured a step of the orbit, not its noise.
 */
export function orbitMotion(p: PlaneOrbit): { std: number; robust: number; ratio: number } {
  let s2 = 0;
  let r2 = 0;
  let n = 0;
  const samples = p.samples ?? [];
  for (let i = 0; i < p.std.length; i++) {
    if (!Number.isFinite(p.std[i])) continue;
    const d2: number[] = [];
    for (let k = 1; k < samples.length; k++) {
      const d = samples[k][i] - samples[k - 1][i];
      if (Number.isFinite(d)) d2.push(d * d);
    }
    if (d2.length < 3) continue;
    d2.sort((a, b) => a - b);
    const med = d2.length % 2 ? d2[(d2.length - 1) / 2] : (d2[d2.length / 2 - 1] + d2[d2.length / 2]) / 2;
    s2 += p.std[i] ** 2;
    r2 += med / (2 * CHI2_1_MEDIAN);
    n++;
  }
  if (n === 0) return { std: Number.NaN, robust: Number.NaN, ratio: 1 };
  const std = Math.sqrt(s2 / n);
  const robust = Math.sqrt(r2 / n);
  return { std, robust, ratio: robust > 0 ? std / robust : std > 0 ? Number.POSITIVE_INFINITY : 1 };
}

/**
 * The starting orbit whose spread gives the BPM noise: read again (up to `tries`
 * times, waiting longer each time) while the orbit moves during the reading
 * (orbitMotion ratio above `maxRatio` and above the noise floor), e.g. after a
 * corrector change made by another client just before. A noise measured on a
 * moving orbit would refuse good steps as too weak and loosen every check.
 */
export async function readSteadyOrbit(
  read: () => Promise<OrbitReading>,
  planes: readonly Plane[],
  floor: number,
  warn: (w: string) => void,
  opts: { readonly tries?: number; readonly maxRatio?: number; readonly waitMs?: number; readonly signal?: AbortSignal } = {},
): Promise<OrbitReading> {
  const tries = opts.tries ?? 4;
  const maxRatio = opts.maxRatio ?? 2.5;
  for (let attempt = 1; ; attempt++) {
    const base = await read();
    const moving = planes
      .filter((p) => base[p])
      .map((p) => ({ p, m: orbitMotion(base[p]!) }))
      .filter(({ m }) => m.ratio > maxRatio && m.std > floor);
    if (moving.length === 0) return base;
    const what = moving.map(({ p, m }) => `${p}: spread ${m.std.toPrecision(3)} against ${m.robust.toPrecision(3)} from successive readings`).join('; ');
    if (attempt >= tries) {
      warn(`the orbit kept moving while its noise was read (${what}, ${attempt} tries): the noise estimate and the checks that use it are pessimistic`);
      return base;
    }
    warn(`the orbit moved while its noise was read (${what}): reading it again`);
    await sleep((opts.waitMs ?? 250) * attempt, opts.signal);
  }
}

/** Reading noise per BPM (rms of one reading), with a floor. */
export function bpmNoise(base: OrbitReading, plane: Plane, floor: number): Float64Array {
  const o = base[plane]!;
  return Float64Array.from(o.std, (s) => Math.max(Number.isFinite(s) ? s : 0, floor));
}

const rms = (v: ArrayLike<number>): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) continue;
    s += v[i] * v[i];
    n++;
  }
  return n > 0 ? Math.sqrt(s / n) : 0;
};

/**
 * Refuses, before anything is written, a step whose expected change of the readings
 * (model column × 2 × step, rms) is below `minSnr` × the noise of the difference of
 * two averages of `n` readings.
 */
export function checkSnr(column: string, expected: ArrayLike<number>, noise: ArrayLike<number>, step: number, stepUnit: string, readingUnit: string, n: number, minSnr: number): number {
  const signal = rms(Array.from(expected, (v) => 2 * step * v));
  const sigma = rms(noise) * Math.sqrt(2 / n);
  const snr = sigma > 0 ? signal / sigma : Number.POSITIVE_INFINITY;
  if (snr < minSnr) {
    throw new WeakStepError(
      column,
      snr,
      minSnr,
      `a step of ±${step} ${stepUnit} should change the readings by ${signal.toPrecision(3)} ${readingUnit} rms (model), against a noise of ${sigma.toPrecision(3)} ${readingUnit} for the difference of two averages of ${n} reading${n === 1 ? '' : 's'}; is the step in the right units (hardware ${stepUnit})?`,
    );
  }
  return snr;
}

/** What a response measurement (ORM, dispersion) sets up before anything moves. */
export interface CheckSetup {
  /** The column checks with their defaults filled in; undefined when switched off. */
  readonly checkOpts?: Required<ResponseCheckOptions>;
  /** BPM noise floor (the measurement's units). */
  readonly floor: number;
  /** Warnings raised so far (also passed on to `onWarning` as they come). */
  readonly warnings: string[];
  readonly warn: (w: string) => void;
}

export function checkSetup(options: { readonly checks?: ResponseCheckOptions | false; readonly bpmNoise?: number; readonly onWarning?: (w: string) => void }): CheckSetup {
  const floor = options.bpmNoise ?? 0;
  if (!(floor >= 0) || !Number.isFinite(floor)) throw new OrbitError(`bpmNoise must be a finite number >= 0 (got ${options.bpmNoise})`);
  const warnings: string[] = [];
  return {
    checkOpts: options.checks === false ? undefined : responseCheckOptions(options.checks),
    floor,
    warnings,
    warn: (w) => {
      warnings.push(w);
      options.onWarning?.(w);
    },
  };
}
