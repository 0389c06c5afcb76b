/**
 * Chromaticity correction (MML stepchro / setchro): the sextupole family steps
 * that change the chromaticities by a given amount (minimum-norm solution of the
 * 2 x n response), checked against the limits of every device before anything
 * moves, applied in steps when large; setchro iterates measure-and-step.
 */
import { stepAlongPairResponse } from '@mlayer/tuning-common';
import { type Accelerator } from '@mlayer/core';
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
  if (options.response) {
    if (options.families && options.families.join() !== options.response.families.join()) {
      throw new ChromaticityError(`the response is for families ${options.response.families.join(', ')}, not ${options.families.join(', ')}`);
    }
    return options.response;
  }
  if (!options.families) throw new ChromaticityError('give the sextupole families (options.families) or a response');
  return modelChromaticityResponse(acc, options.families);
}


/** Steps the sextupole families to change the chromaticities by d = [dξx, dξy] (MML stepchro). */
export async function stepChromaticity(acc: Accelerator, d: readonly [number, number], options: StepChromaticityOptions = {}): Promise<StepChromaticityResult> {
  const response = responseFor(acc, options);
  const fams = response.families.map((f) => acc.family(f));
  const r = await stepAlongPairResponse(acc, fams, response.matrix, d, { quantity: 'chromaticity', maxStep: options.maxStep ?? 2, rcond: options.rcond, settle: options.settle, onWarning: options.onWarning, signal: options.signal });
  return { families: response.families, ...r };
}

export interface SetChromaticityOptions extends StepChromaticityOptions {
  /** Most correction steps (default 3). */
  readonly iterations?: number;
  /** Stop when both chromaticities are within this of the target (default 0.05). */
  readonly tolerance?: number;
  /** How the chromaticities are measured (no directory: the scans are not saved). */
  readonly measure?: Omit<MeasureChromaticityOptions, 'dir' | 'signal'>;
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
  const iterations = options.iterations ?? 3;
  const tol = options.tolerance ?? 0.05;
  const response = responseFor(acc, options);
  const history: ChromaticityMeasurement[] = [];
  const steps: StepChromaticityResult[] = [];
  let m = await measureChromaticity(acc, { ...options.measure, signal: options.signal });
  history.push(m);
  const off = () => [target[0] - m.chromaticity[0], target[1] - m.chromaticity[1]] as const;
  for (let it = 0; it < iterations && Math.max(...off().map(Math.abs)) > tol; it++) {
    steps.push(await stepChromaticity(acc, off(), { ...options, response }));
    m = await measureChromaticity(acc, { ...options.measure, signal: options.signal });
    history.push(m);
  }
  return { target, history, steps, chromaticity: m.chromaticity, converged: Math.max(...off().map(Math.abs)) <= tol };
}
