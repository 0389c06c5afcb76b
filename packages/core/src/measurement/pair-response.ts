/**
 * Measured response of a pair of quantities (tunes, chromaticities) to families
 * (MML meastuneresp / measchroresp): each family is stepped by ±step inside one
 * measurement, the pair read at each side, every setpoint restored afterwards.
 */
import type { Accelerator } from '../accelerator/accelerator.js';
import type { Family } from '../accelerator/family.js';
import { MlayerError } from '../errors.js';
import { measure } from './measurement.js';

/** Two or more distinct families of the accelerator, as handles. */
export function pairResponseFamilies(acc: Accelerator, families: readonly string[], quantity: string): Family[] {
  if (families.length < 2) throw new MlayerError(`${quantity} response: at least two families are needed to move both ${quantity} values (got ${families.length}: ${families.join(', ')})`);
  if (new Set(families).size !== families.length) throw new MlayerError(`${quantity} response: a family is named twice (${families.join(', ')})`);
  return families.map((f) => acc.family(f));
}

export interface PairResponseOptions {
  /** What is measured, for messages ('tune', 'chromaticity'). */
  readonly quantity: string;
  /** Half of the bipolar step of each family in physics units; default: `change` divided by the model response. */
  readonly steps?: readonly number[];
  /** The model response, for the default steps. */
  readonly model?: () => readonly [ArrayLike<number>, ArrayLike<number>];
  /** Change of the larger of the pair that the default steps aim at. */
  readonly change: number;
  /** Reads the pair (measures the tunes, the chromaticities). */
  readonly read: (signal: AbortSignal) => Promise<readonly [number, number]>;
  /** Difference of two readings (default up − down; tunes wrap on the unit circle). */
  readonly difference?: (up: number, down: number) => number;
  readonly signal?: AbortSignal;
}

/** Measures d(pair)/d(step) for each family; every setpoint is restored. */
export async function measurePairResponse(acc: Accelerator, families: readonly Family[], options: PairResponseOptions): Promise<{ matrix: [Float64Array, Float64Array]; steps: Float64Array }> {
  const q = options.quantity;
  let steps: Float64Array;
  if (options.steps) {
    if (options.steps.length !== families.length || options.steps.some((s) => !(Math.abs(s) > 0) || !Number.isFinite(s))) {
      throw new MlayerError(`${q} response: steps must be one finite non-zero value per family (${families.length}); got ${JSON.stringify(options.steps)}`);
    }
    steps = Float64Array.from(options.steps);
  } else {
    if (!options.model) throw new MlayerError(`${q} response: give the steps, or a model for the default steps`);
    const m = options.model();
    steps = Float64Array.from(families, (f, j) => {
      const r = Math.max(Math.abs(m[0][j]), Math.abs(m[1][j]));
      if (!(r > 0)) throw new MlayerError(`${q} response: family ${f.name} does not move the ${q} in the model; give the steps`);
      return options.change / r;
    });
  }
  const diff = options.difference ?? ((up: number, down: number) => up - down);
  const matrix: [Float64Array, Float64Array] = [new Float64Array(families.length), new Float64Array(families.length)];
  await measure(acc, { name: `${q} response`, drives: families, signal: options.signal, total: families.length, restoreOnSuccess: true }, async (ctx) => {
    for (const [j, fam] of families.entries()) {
      ctx.progress(j, fam.name);
      await ctx.step(fam, steps[j], { units: 'physics' });
      const up = await options.read(ctx.signal);
      await ctx.step(fam, -2 * steps[j], { units: 'physics' });
      const down = await options.read(ctx.signal);
      await ctx.step(fam, steps[j], { units: 'physics' });
      for (const p of [0, 1]) matrix[p][j] = diff(up[p], down[p]) / (2 * steps[j]);
    }
  });
  return { matrix, steps };
}
