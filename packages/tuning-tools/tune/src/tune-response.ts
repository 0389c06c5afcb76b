import { modelFamilyResponse } from '@mlayer/core';
/**
 * Response of the tunes to quadrupole families (MML meastuneresp): from the
 * model (`LatticeModel.tuneResponse`), or measured by stepping each family up
 * and down and measuring the tunes.
 */
import { type Accelerator, measure } from '@mlayer/core';
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

function checkFamilies(acc: Accelerator, families: readonly string[]): void {
  if (families.length < 2) throw new TuneError(`tune response: at least two families are needed to move both tunes (got ${families.length}: ${families.join(', ')})`);
  if (new Set(families).size !== families.length) throw new TuneError(`tune response: a family is named twice (${families.join(', ')})`);
  for (const f of families) acc.family(f);
}

/** The tune response of the design model (the accelerator's model). */
export function modelTuneResponse(acc: Accelerator, families: readonly string[]): TuneResponse {
  checkFamilies(acc, families);
  const model = acc.model;
  if (!model) throw new TuneError(`${acc.name}: no lattice model for a model tune response (mode '${acc.mode}'); measure it instead`);
  const fams = families.map((f) => acc.family(f));
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
  checkFamilies(acc, families);
  const fams = families.map((f) => acc.family(f));
  let steps: Float64Array;
  if (options.steps) {
    if (options.steps.length !== families.length || options.steps.some((s) => !(Math.abs(s) > 0) || !Number.isFinite(s))) {
      throw new TuneError(`tune response: steps must be one finite non-zero value per family (${families.length}); got ${JSON.stringify(options.steps)}`);
    }
    steps = Float64Array.from(options.steps);
  } else {
    const m = modelTuneResponse(acc, families).matrix;
    const dq = options.tuneStep ?? 0.01;
    steps = Float64Array.from(families, (f, j) => {
      const r = Math.max(Math.abs(m[0][j]), Math.abs(m[1][j]));
      if (!(r > 0)) throw new TuneError(`tune response: family ${f} does not move the tunes in the model; give options.steps`);
      return dq / r;
    });
  }
  const wrap = (d: number) => d - Math.round(d);
  const matrix: [Float64Array, Float64Array] = [new Float64Array(fams.length), new Float64Array(fams.length)];
  await measure(acc, { name: 'tune response', drives: fams, signal: options.signal, total: fams.length, restoreOnSuccess: true }, async (ctx) => {
    for (const [j, fam] of fams.entries()) {
      ctx.progress(j, fam.name);
      await ctx.step(fam, steps[j], { units: 'physics' });
      const up = await measureTunes(acc, { ...options.measure, signal: ctx.signal });
      await ctx.step(fam, -2 * steps[j], { units: 'physics' });
      const down = await measureTunes(acc, { ...options.measure, signal: ctx.signal });
      await ctx.step(fam, steps[j], { units: 'physics' });
      for (const p of [0, 1]) matrix[p][j] = wrap(up.tunes[p] - down.tunes[p]) / (2 * steps[j]);
    }
  });
  return { families: [...families], matrix, units: fams.map((f) => f.units('setpoint').physics), source: 'measured', steps };
}
