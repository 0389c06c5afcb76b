/**
 * Response of the chromaticities to sextupole families (MML measchroresp): from
 * the model (`LatticeModel.chromaticityResponse`), or measured by stepping each
 * family up and down and measuring the chromaticities.
 */
import { type Accelerator, type CheckSummary, type ResponseCheckOptions } from '@mlayer/core';
import { measurePairResponse, modelFamilyResponse, pairResponseFamilies } from '@mlayer/tuning-common';
import { ChromaticityError } from './errors.js';
import { type MeasureChromaticityOptions, measureChromaticity } from './measure-chromaticity.js';

export interface ChromaticityResponse {
  readonly families: readonly string[];
  /** d(ξx)/dk and d(ξy)/dk per family, for a step of every device of the family by 1 physics unit. */
  readonly matrix: readonly [Float64Array, Float64Array];
  /** Physics units of each family's setpoint. */
  readonly units: readonly string[];
  readonly source: 'model' | 'measured';
  /** Measured: half of the bipolar step of each family (physics units). */
  readonly steps?: Float64Array;
  /** Measured: the sanity checks of every column (symmetry, model), retries and flags. */
  readonly checks?: CheckSummary;
  /** Measured: warnings raised (settling defaults, checks skipped). */
  readonly warnings?: readonly string[];
}

/** The chromaticity response of the design model (the accelerator's model). */
export function modelChromaticityResponse(acc: Accelerator, families: readonly string[]): ChromaticityResponse {
  const fams = pairResponseFamilies(acc, families, 'chromaticity');
  const model = acc.model;
  if (!model) throw new ChromaticityError(`${acc.name}: no lattice model for a model chromaticity response (mode '${acc.mode}'); measure it instead`);
  const matrix = modelFamilyResponse(model, fams, (groups) => model.chromaticityResponse(groups));
  return { families: [...families], matrix, units: fams.map((f) => f.units('setpoint').physics), source: 'model' };
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
  const fams = pairResponseFamilies(acc, families, 'chromaticity');
  const { matrix, steps, checks, warnings } = await measurePairResponse(acc, fams, {
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
  return { families: [...families], matrix, units: fams.map((f) => f.units('setpoint').physics), source: 'measured', steps, checks, warnings };
}
