/**
 * Measured response of a pair of quantities (tunes, chromaticities) to families
 * (MML meastuneresp / measchroresp): each family is stepped by ±step inside one
 * measurement, the pair read at each side, every setpoint restored afterwards.
 */
import type { Accelerator } from '@mlayer/core';
import { type Family, sleep } from '@mlayer/core';
import { MlayerError } from '@mlayer/core';
import { measure } from '@mlayer/core';
import { type CheckSummary, type ColumnCheck, type ResponseCheckOptions, WeakStepError, checkColumn, responseCheckOptions, summariseChecks } from '@mlayer/core';

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
  /** Reads the pair (measures the tunes, the chromaticities), with the standard error of each value when known. */
  readonly read: (signal: AbortSignal) => Promise<readonly [number, number] | PairReading>;
  /** Families whose readings must be fresh after each step before `read` (tune monitors, ...). */
  readonly fresh?: readonly Family[];
  /** Sanity checks (bipolar symmetry, model agreement, retries; the SNR of the steps before anything moves); false: none. */
  readonly checks?: ResponseCheckOptions | false;
  /** Extra wait after each step, ms, on top of the families' settle times (default 0). */
  readonly settle?: number;
  /** Warnings as they are raised (settling defaults, checks skipped); also in the result. */
  readonly onWarning?: (message: string) => void;
  /** Difference of two readings (default up − down; tunes wrap on the unit circle). */
  readonly difference?: (up: number, down: number) => number;
  readonly signal?: AbortSignal;
}

/** A reading of the pair with its standard errors. */
export interface PairReading {
  readonly value: readonly [number, number];
  /** Standard error of each value (0 or absent: unknown). */
  readonly std?: readonly [number, number];
}

export interface PairResponseResult {
  readonly matrix: [Float64Array, Float64Array];
  readonly steps: Float64Array;
  /** The checks of every column, retries and flags (absent when switched off). */
  readonly checks?: CheckSummary;
  readonly warnings: readonly string[];
}

const asReading = (r: readonly [number, number] | PairReading): PairReading => ('value' in r ? r : { value: r as readonly [number, number] });

/** Measures d(pair)/d(step) for each family; every setpoint is restored. */
export async function measurePairResponse(acc: Accelerator, families: readonly Family[], options: PairResponseOptions): Promise<PairResponseResult> {
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
  const checkOpts = options.checks === false ? undefined : responseCheckOptions(options.checks);
  const warnings: string[] = [];
  const warn = (w: string) => {
    warnings.push(w);
    options.onWarning?.(w);
  };
  let model: readonly [ArrayLike<number>, ArrayLike<number>] | undefined;
  if (checkOpts && options.model) {
    try {
      model = options.model();
    } catch (e) {
      warn(`${q} response: not compared with a model (${(e as Error).message})`);
    }
  } else if (checkOpts) warn(`${q} response: not compared with a model (none given)`);
  const checks: ColumnCheck[] = [];
  const wait = options.settle ?? 0;
  if (!(wait >= 0 && Number.isFinite(wait))) throw new MlayerError(`${q} response: settle must be a finite number of ms >= 0 (got ${options.settle})`);
  const read = async (signal: AbortSignal, fresh: (f: Family) => Promise<void>): Promise<PairReading> => {
    if (wait > 0) await sleep(wait, signal);
    for (const f of options.fresh ?? []) await fresh(f);
    return asReading(await options.read(signal));
  };
  await measure(acc, { name: `${q} response`, drives: families, observes: options.fresh, signal: options.signal, total: families.length, restoreOnSuccess: true, onWarning: (w) => warn(w.message) }, async (ctx) => {
    const fresh = (f: Family) => ctx.fresh(f);
    // The starting pair: the symmetry of the columns, and the noise the steps must stand out of.
    const base = checkOpts ? await read(ctx.signal, fresh) : undefined;
    const noise = (r: PairReading | undefined): [number, number] => [Math.max(0, r?.std?.[0] ?? 0), Math.max(0, r?.std?.[1] ?? 0)];
    if (checkOpts && base && model) {
      const sb = noise(base);
      for (const [j, fam] of families.entries()) {
        const signal = 2 * Math.abs(steps[j]) * Math.hypot(model[0][j], model[1][j]);
        const sigma = Math.hypot(sb[0], sb[1]) * Math.SQRT2;
        const snr = sigma > 0 ? signal / sigma : Number.POSITIVE_INFINITY;
        if (snr < checkOpts.minSnr) {
          throw new WeakStepError(fam.name, snr, checkOpts.minSnr, `a step of ±${steps[j]} ${fam.units('setpoint').physics} should change the ${q} by ${signal.toPrecision(3)} (model), against a reading noise of ${sigma.toPrecision(3)}`);
        }
      }
    }
    for (const [j, fam] of families.entries()) {
      ctx.progress(j, fam.name);
      for (let attempt = 1; ; attempt++) {
        await ctx.step(fam, steps[j], { units: 'physics' });
        const up = await read(ctx.signal, fresh);
        await ctx.step(fam, -2 * steps[j], { units: 'physics' });
        const down = await read(ctx.signal, fresh);
        await ctx.step(fam, steps[j], { units: 'physics' });
        for (const p of [0, 1]) matrix[p][j] = diff(up.value[p], down.value[p]) / (2 * steps[j]);
        if (!checkOpts || !base) break;
        // Relative to the starting pair (tunes on the unit circle): the symmetry is plus + minus = 0.
        const plus = [0, 1].map((p) => diff(up.value[p], base.value[p]));
        const minus = [0, 1].map((p) => diff(down.value[p], base.value[p]));
        const [su, sd, sb] = [noise(up), noise(down), noise(base)];
        const c = checkColumn(
          {
            column: fam.name,
            attempt,
            plus,
            minus,
            base: [0, 0],
            asymmetryStd: [0, 1].map((p) => Math.sqrt(su[p] ** 2 + sd[p] ** 2 + 4 * sb[p] ** 2)),
            measured: [matrix[0][j], matrix[1][j]],
            model: model ? [model[0][j], model[1][j]] : undefined,
          },
          checkOpts,
        );
        checks.push(c);
        if (c.passed) break;
        if (attempt > checkOpts.retries) {
          ctx.note(`${fam.name}: flagged after ${attempt} measurements: ${c.reason}`);
          break;
        }
        ctx.note(`${fam.name}: measured again (${c.reason})`);
      }
    }
  });
  return { matrix, steps, checks: checkOpts ? summariseChecks(checks) : undefined, warnings };
}
