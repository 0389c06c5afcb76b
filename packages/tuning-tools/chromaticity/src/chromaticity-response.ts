import { modelFamilyResponse } from '@mlayer/core';
/**
 * Response of the chromaticities to sextupole families (MML measchroresp): from
 * the model (`LatticeModel.chromaticityResponse`), or measured by stepping each
 * family up and down and measuring the chromaticities.
 */
import { type Accelerator, measure } from '@mlayer/core';
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
}

function checkFamilies(acc: Accelerator, families: readonly string[]): void {
  if (families.length < 2) throw new ChromaticityError(`chromaticity response: at least two families are needed to move both chromaticities (got ${families.length}: ${families.join(', ')})`);
  if (new Set(families).size !== families.length) throw new ChromaticityError(`chromaticity response: a family is named twice (${families.join(', ')})`);
  for (const f of families) acc.family(f);
}

/** The chromaticity response of the design model (the accelerator's model). */
export function modelChromaticityResponse(acc: Accelerator, families: readonly string[]): ChromaticityResponse {
  checkFamilies(acc, families);
  const model = acc.model;
  if (!model) throw new ChromaticityError(`${acc.name}: no lattice model for a model chromaticity response (mode '${acc.mode}'); measure it instead`);
  const fams = families.map((f) => acc.family(f));
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
  readonly signal?: AbortSignal;
}

/** Measures the chromaticity response: each family stepped by ±step, the chromaticities measured; every setpoint is restored. */
export async function measureChromaticityResponse(acc: Accelerator, families: readonly string[], options: MeasureChromaticityResponseOptions = {}): Promise<ChromaticityResponse> {
  checkFamilies(acc, families);
  const fams = families.map((f) => acc.family(f));
  let steps: Float64Array;
  if (options.steps) {
    if (options.steps.length !== families.length || options.steps.some((s) => !(Math.abs(s) > 0) || !Number.isFinite(s))) {
      throw new ChromaticityError(`chromaticity response: steps must be one finite non-zero value per family (${families.length}); got ${JSON.stringify(options.steps)}`);
    }
    steps = Float64Array.from(options.steps);
  } else {
    const m = modelChromaticityResponse(acc, families).matrix;
    const dxi = options.chromaticityStep ?? 1;
    steps = Float64Array.from(families, (f, j) => {
      const r = Math.max(Math.abs(m[0][j]), Math.abs(m[1][j]));
      if (!(r > 0)) throw new ChromaticityError(`chromaticity response: family ${f} does not move the chromaticities in the model; give options.steps`);
      return dxi / r;
    });
  }
  const matrix: [Float64Array, Float64Array] = [new Float64Array(fams.length), new Float64Array(fams.length)];
  await measure(acc, { name: 'chromaticity response', drives: fams, signal: options.signal, total: fams.length, restoreOnSuccess: true }, async (ctx) => {
    for (const [j, fam] of fams.entries()) {
      ctx.progress(j, fam.name);
      await ctx.step(fam, steps[j], { units: 'physics' });
      const up = await measureChromaticity(acc, { ...options.measure, signal: ctx.signal });
      await ctx.step(fam, -2 * steps[j], { units: 'physics' });
      const down = await measureChromaticity(acc, { ...options.measure, signal: ctx.signal });
      await ctx.step(fam, steps[j], { units: 'physics' });
      for (const p of [0, 1]) matrix[p][j] = (up.chromaticity[p] - down.chromaticity[p]) / (2 * steps[j]);
    }
  });
  return { families: [...families], matrix, units: fams.map((f) => f.units('setpoint').physics), source: 'measured', steps };
}
