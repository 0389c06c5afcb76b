/**
 * A study's aggregate: the fraction of seeds reaching each stage, the cumulative
 * distribution of each figure of merit after the last stage, and a table per stage
 * (seeds that ran it, succeeded, the median and 90th percentile of the figures after
 * it, the wall time).
 */
import { FIGURE_NAMES, type FigureName } from './figure-names.js';
import type { SeedResultFile } from './records.js';
import type { Sequence } from './sequence.js';

export interface StageSummary {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  /** Seeds that ran the stage. */
  readonly ran: number;
  /** Seeds for which it succeeded. */
  readonly succeeded: number;
  /** Fraction of all seeds that reached it: it and every stage before succeeded. */
  readonly reachedFraction: number;
  /** Per figure: [median, 90th percentile] over the seeds that ran the stage. */
  readonly figures: Readonly<Record<FigureName, readonly [number, number]>>;
  /** Median wall time of the stage, s. */
  readonly medianSeconds: number;
}

export interface Distribution {
  /** Sorted finite values. */
  readonly values: readonly number[];
  /** Cumulative fraction of all seeds at each value (NaN seeds count as never reaching it). */
  readonly fractions: readonly number[];
}

export interface StudyAggregate {
  readonly seeds: number;
  /** Per figure, [median, 90th percentile] before the first stage. */
  readonly initial: Readonly<Record<FigureName, readonly [number, number]>>;
  readonly completed: number;
  readonly stages: readonly StageSummary[];
  readonly distributions: Readonly<Record<FigureName, Distribution>>;
  /** Wall time per seed (s), in seed order. */
  readonly seedSeconds: readonly number[];
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const finiteSorted = (v: readonly number[]) => v.filter(Number.isFinite).sort((a, b) => a - b);

export function aggregate(sequence: Pick<Sequence, 'stages'>, results: readonly SeedResultFile[]): StudyAggregate {
  const n = results.length;
  const stages = sequence.stages.map((s, index): StageSummary => {
    const ran = results.filter((r) => r.result.stages.length > index);
    const figures = Object.fromEntries(
      FIGURE_NAMES.map((f) => {
        const v = finiteSorted(ran.map((r) => r.result.stages[index].figures[f]));
        return [f, [quantile(v, 0.5), quantile(v, 0.9)] as const];
      }),
    ) as Record<FigureName, readonly [number, number]>;
    return {
      index,
      name: s.name,
      kind: s.kind,
      ran: ran.length,
      succeeded: ran.filter((r) => r.result.stages[index].success).length,
      reachedFraction: n === 0 ? 0 : results.filter((r) => r.result.reached > index).length / n,
      figures,
      medianSeconds: quantile(finiteSorted(ran.map((r) => r.timing.stages[index]?.seconds ?? Number.NaN)), 0.5),
    };
  });
  const distributions = Object.fromEntries(
    FIGURE_NAMES.map((f) => {
      const values = finiteSorted(results.map((r) => r.result.figures[f]));
      return [f, { values, fractions: values.map((_, i) => (i + 1) / Math.max(1, n)) }];
    }),
  ) as unknown as Record<FigureName, Distribution>;
  const initial = Object.fromEntries(
    FIGURE_NAMES.map((f) => {
      const v = finiteSorted(results.map((r) => r.result.initial?.[f] ?? Number.NaN));
      return [f, [quantile(v, 0.5), quantile(v, 0.9)] as const];
    }),
  ) as Record<FigureName, readonly [number, number]>;
  return { seeds: n, initial, completed: results.filter((r) => r.result.completed).length, stages, distributions, seedSeconds: results.map((r) => r.timing.seconds) };
}
