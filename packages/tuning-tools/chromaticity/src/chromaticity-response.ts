/**
 * Response of the chromaticities to sextupole families (MML measchroresp): from
 * the model (`LatticeModel.chromaticityResponse`), or measured by stepping each
 * family up and down and measuring the chromaticities.
 */
import type { Accelerator, ResponseCheckOptions } from '@mlayer/core';
import { type FamilyPairResponse, measureFamilyPairResponse, modelPairResponse } from '@mlayer/tuning-common';
import { ChromaticityError } from './errors.js';
import { type MeasureChromaticityOptions, measureChromaticity } from './measure-chromaticity.js';

/** The chromaticity response: matrix rows d(ξx)/dk and d(ξy)/dk per family, for a step of every device of the family by 1 physics unit. */
export type ChromaticityResponse = FamilyPairResponse;

/** The chromaticity response of the design model (the accelerator's model). */
export function modelChromaticityResponse(acc: Accelerator, families: readonly string[]): ChromaticityResponse {
  return modelPairResponse(acc, families, { quantity: 'chromaticity', compute: (model, groups) => model.chromaticityResponse(groups), error: ChromaticityError });
}

export interface MeasureChromaticityResponseOptions {
  /** Half of the bipolar step of each family in physics units (default: the step that moves a chromaticity by `chromaticityStep` in the model). */
  readonly steps?: readonly number[];
  /** Chromaticity change the default steps aim at (default 1). */
  readonly chromaticityStep?: number;
  /** How each chromaticity is measured (no directory: the scans are not saved). */
  readonly measure?: Omit<MeasureChromaticityOptions, 'dir' | 'signal'>;
  /** Sanity checks of the columns (core's ResponseCheckOptions); false: none. */
  readonly checks?: ResponseCheckOptions | false;
  readonly onWarning?: (message: string) => void;
  /** Extra wait after each step, ms, on top of the families' settle times (default 0). */
  readonly settle?: number;
  readonly signal?: AbortSignal;
}

/** Measures the chromaticity response: each family stepped by ±step, the chromaticities measured; every setpoint is restored. */
export async function measureChromaticityResponse(acc: Accelerator, families: readonly string[], options: MeasureChromaticityResponseOptions = {}): Promise<ChromaticityResponse> {
  return measureFamilyPairResponse(acc, families, {
    quantity: 'chromaticity',
    steps: options.steps,
    model: () => modelChromaticityResponse(acc, families).matrix,
    change: options.chromaticityStep ?? 1,
    read: (signal) => measureChromaticity(acc, { ...options.measure, signal }).then((m) => ({ value: m.chromaticity, std: m.uncertainty })),
    checks: options.checks,
    onWarning: options.onWarning,
    settle: options.settle,
    signal: options.signal,
  });
}
