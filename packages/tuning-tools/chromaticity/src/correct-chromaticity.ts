/**
 * Chromaticity correction (MML stepchro / setchro): the sextupole family steps
 * that change the chromaticities by a given amount (minimum-norm solution of the
 * 2 x n response), checked against the limits of every device before anything
 * moves, applied in steps when large; setchro iterates measure-and-step.
 */
import type { Accelerator } from '@mlayer/core';
import { chooseResponse, iteratePair, stepFamilyPair } from '@mlayer/tuning-common';
import { type ChromaticityResponse, modelChromaticityResponse } from './chromaticity-response.js';
import { ChromaticityError } from './errors.js';
import { type ChromaticityMeasurement, type MeasureChromaticityOptions, measureChromaticity } from './measure-chromaticity.js';

export interface StepChromaticityOptions {
  /** Sextupole families (two or more); default: those of the response. */
  readonly families?: readonly string[];
  /** Response to use (default: the model response of the families). */
  readonly response?: ChromaticityResponse;
  /** Largest chromaticity change per step (default 2): larger moves are split into equal steps. */
  readonly maxStep?: number;
  /** Relative singular-value cut of the 2 x n response (default 1e-6). */
  readonly rcond?: number;
  /** Extra wait after each step, ms, on top of the families' settle times (default 0). */
  readonly settle?: number;
  /** Warnings of the steps (settling defaults) as they are raised. */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface StepChromaticityResult {
  readonly families: readonly string[];
  /** Change of each family in physics units (every device). */
  readonly deltas: Float64Array;
  readonly steps: number;
  /** Chromaticity change the response predicts. */
  readonly predicted: readonly [number, number];
}

function responseFor(acc: Accelerator, options: StepChromaticityOptions): ChromaticityResponse {
  return chooseResponse(options, 'sextupole', (families) => modelChromaticityResponse(acc, families), ChromaticityError);
}

/** Steps the sextupole families to change the chromaticities by d = [dξx, dξy] (MML stepchro). */
export async function stepChromaticity(acc: Accelerator, d: readonly [number, number], options: StepChromaticityOptions = {}): Promise<StepChromaticityResult> {
  return stepFamilyPair(acc, responseFor(acc, options), d, { quantity: 'chromaticity', maxStep: options.maxStep ?? 2, rcond: options.rcond, settle: options.settle, onWarning: options.onWarning, signal: options.signal });
}

export interface SetChromaticityOptions extends StepChromaticityOptions {
  /** Most correction steps (default 3). */
  readonly iterations?: number;
  /** Stop when both chromaticities are within this of the target (default 0.05). */
  readonly tolerance?: number;
  /** How the chromaticities are measured (no directory: the scans are not saved). */
  readonly measure?: Omit<MeasureChromaticityOptions, 'dir' | 'signal'>;
  /** Called after each measurement of the chromaticities: `step` of at most `total` (iterations + 1), and the chromaticities measured. */
  readonly onProgress?: (step: number, total: number, chromaticity: readonly [number, number]) => void;
}

export interface SetChromaticityResult {
  readonly target: readonly [number, number];
  /** Measurements before each step and after the last one. */
  readonly history: readonly ChromaticityMeasurement[];
  readonly steps: readonly StepChromaticityResult[];
  readonly chromaticity: readonly [number, number];
  readonly converged: boolean;
}

/** Brings the chromaticities to a target (MML setchro): measure, step, up to `iterations` times. */
export async function setChromaticity(acc: Accelerator, target: readonly [number, number], options: SetChromaticityOptions = {}): Promise<SetChromaticityResult> {
  if (!target.every(Number.isFinite)) throw new ChromaticityError(`target chromaticities [${target.join(', ')}] are not finite`);
  const response = responseFor(acc, options);
  const r = await iteratePair({
    target,
    iterations: options.iterations ?? 3,
    tolerance: options.tolerance ?? 0.05,
    measure: () => measureChromaticity(acc, { ...options.measure, signal: options.signal }),
    value: (m) => m.chromaticity,
    onProgress: options.onProgress,
    step: (change) => stepChromaticity(acc, change, { ...options, response }),
  });
  return { target, history: r.history, steps: r.steps, chromaticity: r.last.chromaticity, converged: r.converged };
}
