/**
 * Tune correction (MML steptune / settune): the family steps that move the tunes
 * by a given amount (minimum-norm solution of the 2 x n response), checked
 * against the limits of every device before anything moves, applied in steps
 * when the move is large; settune iterates measure-and-step to a target.
 */
import type { Accelerator } from '@mlayer/core';
import { chooseResponse, iteratePair, stepFamilyPair } from '@mlayer/tuning-common';
import { TuneError } from './errors.js';
import { type MeasureTuneOptions, type TuneMeasurement, measureTunes } from './measure-tune.js';
import { type TuneResponse, modelTuneResponse } from './tune-response.js';

export interface StepTunesOptions {
  /** Quadrupole families (two or more); default: those of the response. */
  readonly families?: readonly string[];
  /** Response to use (default: the model response of the families). */
  readonly response?: TuneResponse;
  /** Largest tune change per step (default 0.02): larger moves are split into equal steps. */
  readonly maxStep?: number;
  /** Relative singular-value cut of the 2 x n response (default 1e-6). */
  readonly rcond?: number;
  /** Extra wait after each step, ms, on top of the families' settle times (default 0). */
  readonly settle?: number;
  /** Warnings of the steps (settling defaults) as they are raised. */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface StepTunesResult {
  readonly families: readonly string[];
  /** Change of each family in physics units (every device). */
  readonly deltas: Float64Array;
  /** Number of steps the move was split into. */
  readonly steps: number;
  /** Tune change the response predicts. */
  readonly predicted: readonly [number, number];
}

function responseFor(acc: Accelerator, options: StepTunesOptions): TuneResponse {
  return chooseResponse(options, 'quadrupole', (families) => modelTuneResponse(acc, families), TuneError);
}

/** Steps the quadrupole families to change the tunes by dq = [dqx, dqy] (MML steptune). */
export async function stepTunes(acc: Accelerator, dq: readonly [number, number], options: StepTunesOptions = {}): Promise<StepTunesResult> {
  return stepFamilyPair(acc, responseFor(acc, options), dq, { quantity: 'tune', maxStep: options.maxStep ?? 0.02, rcond: options.rcond, settle: options.settle, onWarning: options.onWarning, signal: options.signal });
}

export interface SetTunesOptions extends StepTunesOptions {
  /** Most correction steps (default 3). */
  readonly iterations?: number;
  /** Stop when both tunes are within this of the target (default 1e-4). */
  readonly tolerance?: number;
  /** How the tunes are measured. */
  readonly measure?: MeasureTuneOptions;
  /** Called after each measurement of the tunes: `step` of at most `total` (iterations + 1), and the tunes measured. */
  readonly onProgress?: (step: number, total: number, tunes: readonly [number, number]) => void;
}

export interface SetTunesResult {
  readonly target: readonly [number, number];
  /** Measured tunes before each step and after the last one. */
  readonly history: readonly TuneMeasurement[];
  readonly steps: readonly StepTunesResult[];
  /** Tunes measured last. */
  readonly tunes: readonly [number, number];
  readonly converged: boolean;
}

/** Distance from a to b on the unit circle of fractional tunes, in (-0.5, 0.5]. */
export function tuneDifference(target: number, measured: number): number {
  const d = target - measured;
  return d - Math.round(d);
}

/** Brings the fractional tunes to a target (MML settune): measure, step, up to `iterations` times. */
export async function setTunes(acc: Accelerator, target: readonly [number, number], options: SetTunesOptions = {}): Promise<SetTunesResult> {
  if (!target.every((t) => Number.isFinite(t) && t >= 0 && t < 1)) throw new TuneError(`target tunes [${target.join(', ')}] must be fractional tunes in [0, 1)`);
  const response = responseFor(acc, options);
  const r = await iteratePair({
    target,
    iterations: options.iterations ?? 3,
    tolerance: options.tolerance ?? 1e-4,
    measure: () => measureTunes(acc, { ...options.measure, signal: options.signal }),
    value: (m) => m.tunes,
    difference: tuneDifference,
    onProgress: options.onProgress,
    step: (change) => stepTunes(acc, change, { ...options, response }),
  });
  return { target, history: r.history, steps: r.steps, tunes: r.last.tunes, converged: r.converged };
}
