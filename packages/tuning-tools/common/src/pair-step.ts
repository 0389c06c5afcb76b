/**
 * Stepping families along a 2-row response (tunes or chromaticities, MML
 * steptune / stepchro): the minimum-norm family changes, checked against every
 * device's limits before anything moves, applied in equal steps when large,
 * inside a measurement (abort or failure restores).
 */
import type { Accelerator } from '@mlayer/core';
import { type Family, sleep } from '@mlayer/core';
import { MlayerError, OutOfLimitsError } from '@mlayer/core';
import { solveTwoRows } from './family-model.js';
import { measure } from '@mlayer/core';

export interface PairStepOptions {
  /** What changes, for messages ('tune', 'chromaticity'). */
  readonly quantity: string;
  /** Largest change of either quantity per step: larger moves are split into equal steps. */
  readonly maxStep: number;
  /** Singular values below rcond × the largest are dropped (default 1e-6). */
  readonly rcond?: number;
  /** Extra wait after each step, ms, on top of the families' settle times (default 0). */
  readonly settle?: number;
  /** Warnings of the measurement (settling defaults) as they are raised. */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal;
}

export interface PairStepResult {
  /** Change of every family, physics units. */
  readonly deltas: Float64Array;
  /** Number of steps the move was split into. */
  readonly steps: number;
  /** Change of the pair the response predicts. */
  readonly predicted: readonly [number, number];
}

/** Steps `families` (columns of `matrix`, physics units) to change the pair by `change`. */
export async function stepAlongPairResponse(
  acc: Accelerator,
  families: readonly Family[],
  matrix: readonly [ArrayLike<number>, ArrayLike<number>],
  change: readonly [number, number],
  options: PairStepOptions,
): Promise<PairStepResult> {
  const q = options.quantity;
  if (!change.every(Number.isFinite)) throw new MlayerError(`${q} change [${change.join(', ')}] is not finite`);
  if (!(options.maxStep > 0)) throw new MlayerError(`maxStep must be positive (got ${options.maxStep})`);
  if (options.settle !== undefined && !(options.settle >= 0 && Number.isFinite(options.settle))) throw new MlayerError(`settle must be a finite number of ms >= 0 (got ${options.settle})`);
  const { x: deltas } = solveTwoRows(matrix, change, options.rcond);
  const predicted: [number, number] = [0, 0];
  deltas.forEach((d, j) => {
    predicted[0] += matrix[0][j] * d;
    predicted[1] += matrix[1][j] * d;
  });
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(change[0]), Math.abs(change[1])) / options.maxStep));
  // Every device of every family must stay within its limits at the end: nothing is written otherwise.
  for (const [j, fam] of families.entries()) {
    const now = await fam.get({ field: 'setpoint', units: 'physics', signal: options.signal });
    const hw = fam.toHardware(now.map((v) => v + deltas[j]));
    fam.limits.forEach((l, i) => {
      if (l && (hw[i] < l[0] || hw[i] > l[1])) {
        throw new OutOfLimitsError(`${fam.name} ${fam.names[i]} (the ${q} change needs ${fam.units('setpoint').hardware})`, hw[i], l);
      }
    });
  }
  await measure(acc, { name: `step ${q}`, drives: families, signal: options.signal, total: steps, onWarning: options.onWarning && ((w) => options.onWarning!(w.message)) }, async (ctx) => {
    for (let s = 0; s < steps; s++) {
      ctx.progress(s, `step ${s + 1} of ${steps}`);
      for (const [j, fam] of families.entries()) if (deltas[j] !== 0) await ctx.step(fam, deltas[j] / steps, { units: 'physics' });
      if ((options.settle ?? 0) > 0) await sleep(options.settle!, ctx.signal);
    }
  });
  return { deltas, steps, predicted };
}
