/**
 * Response of the tunes to quadrupole families (MML meastuneresp): from the
 * model (`LatticeModel.tuneResponse`), or measured by stepping each family up
 * and down and measuring the tunes.
 */
import { type Accelerator, measurePairResponse, modelFamilyResponse, pairResponseFamilies } from '@mlayer/core';
import { TuneError } from './errors.js';
import { type MeasureTuneOptions, measureTunes } from './measure-tune.js';

export interface TuneResponse {
  readonly families: readonly string[];
  /** d(qx)/dk and d(qy)/dk per family, for a step of every device of the family by 1 physics unit. */
  readonly matrix: readonly [Float64Array, Float64Array];
  /** Physics units of each family's setpoint. */
  readonly units: readonly string[];
  readonly source: 'model' | 'measured';
  /** Measured: half of the bipolar step of each family (physics units). */
  readonly steps?: Float64Array;
}

/** The tune response of the design model (the accelerator's model). */
export function modelTuneResponse(acc: Accelerator, families: readonly string[]): TuneResponse {
  const fams = pairResponseFamilies(acc, families, 'tune');
  const model = acc.model;
  if (!model) throw new TuneError(`${acc.name}: no lattice model for a model tune response (mode '${acc.mode}'); measure it instead`);
  const matrix = modelFamilyResponse(model, fams, (groups) => model.tuneResponse(groups));
  return { families: [...families], matrix, units: fams.map((f) => f.units('setpoint').physics), source: 'model' };
}

export interface MeasureTuneResponseOptions {
  /** Half of the bipolar step of each family in physics units (default: the step that moves a tune by `tuneStep` in the model). */
  readonly steps?: readonly number[];
  /** Tune change the default steps aim at (default 0.01). */
  readonly tuneStep?: number;
  /** How the tunes are measured. */
  readonly measure?: MeasureTuneOptions;
  readonly signal?: AbortSignal;
}

/** Measures the tune response: each family is stepped by ±step, the tunes measured; every setpoint is restored. */
export async function measureTuneResponse(acc: Accelerator, families: readonly string[], options: MeasureTuneResponseOptions = {}): Promise<TuneResponse> {
  const fams = pairResponseFamilies(acc, families, 'tune');
  const { matrix, steps } = await measurePairResponse(acc, fams, {
    quantity: 'tune',
    steps: options.steps,
    model: () => modelTuneResponse(acc, families).matrix,
    change: options.tuneStep ?? 0.01,
    read: (signal) => measureTunes(acc, { ...options.measure, signal }).then((m) => m.tunes),
    // Fractional tunes: the difference on the unit circle.
    difference: (up, down) => up - down - Math.round(up - down),
    signal: options.signal,
  });
  return { families: [...families], matrix, units: fams.map((f) => f.units('setpoint').physics), source: 'measured', steps };
}
