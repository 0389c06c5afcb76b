/**
 * Response of the tunes to quadrupole families (MML meastuneresp): from the
 * model (`LatticeModel.tuneResponse`), or measured by stepping each family up
 * and down and measuring the tunes.
 */
import type { Accelerator, Family, ResponseCheckOptions } from '@mlayer/core';
import { type FamilyPairResponse, measureFamilyPairResponse, modelPairResponse } from '@mlayer/tuning-common';
import { TuneError } from './errors.js';
import { type MeasureTuneOptions, measureTunes, tuneMethod } from './measure-tune.js';
import { tuneMonitors } from './tune-sources.js';

/** The tune response: matrix rows d(qx)/dk and d(qy)/dk per family, for a step of every device of the family by 1 physics unit. */
export type TuneResponse = FamilyPairResponse;

/** The tune response of the design model (the accelerator's model). */
export function modelTuneResponse(acc: Accelerator, families: readonly string[]): TuneResponse {
  return modelPairResponse(acc, families, { quantity: 'tune', compute: (model, groups) => model.tuneResponse(groups), error: TuneError });
}

export interface MeasureTuneResponseOptions {
  /** Half of the bipolar step of each family in physics units (default: the step that moves a tune by `tuneStep` in the model). */
  readonly steps?: readonly number[];
  /** Tune change the default steps aim at (default 0.01). */
  readonly tuneStep?: number;
  /** How the tunes are measured. */
  readonly measure?: MeasureTuneOptions;
  /** Sanity checks of the columns (core's ResponseCheckOptions); false: none. */
  readonly checks?: ResponseCheckOptions | false;
  readonly onWarning?: (message: string) => void;
  /** Extra wait after each step, ms, on top of the families' settle times (default 0). */
  readonly settle?: number;
  readonly signal?: AbortSignal;
}

/** Measures the tune response: each family is stepped by ±step, the tunes measured; every setpoint is restored. */
export async function measureTuneResponse(acc: Accelerator, families: readonly string[], options: MeasureTuneResponseOptions = {}): Promise<TuneResponse> {
  return measureFamilyPairResponse(acc, families, {
    quantity: 'tune',
    // Tune monitors must show readings taken after each step; turn-by-turn data follow their own kick.
    fresh: () => {
      const mon = tuneMethod(acc, options.measure?.method) === 'monitor' ? tuneMonitors(acc) : {};
      return [...new Set([mon.x, mon.y])].filter((f): f is Family => f !== undefined);
    },
    steps: options.steps,
    model: () => modelTuneResponse(acc, families).matrix,
    change: options.tuneStep ?? 0.01,
    // The resolution is three standard errors.
    read: (signal) => measureTunes(acc, { ...options.measure, signal }).then((m) => ({ value: m.tunes, std: [m.resolution[0] / 3, m.resolution[1] / 3] as const })),
    // Fractional tunes: the difference on the unit circle.
    difference: (up, down) => up - down - Math.round(up - down),
    checks: options.checks,
    onWarning: options.onWarning,
    settle: options.settle,
    signal: options.signal,
  });
}
