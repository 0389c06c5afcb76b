import { describe, expect, it } from 'vitest';
import { FIGURE_NAMES, type Figures, type SeedResultFile, aggregate, attemptSeed, checkCriteria, quantile } from '../../src/index.js';

const figures = (v: Partial<Figures>): Figures => ({ ...(Object.fromEntries(FIGURE_NAMES.map((n) => [n, Number.NaN])) as Figures), ...v });

/** A seed that reached `reached` of the three stages (then stopped), with orbit x after each stage. */
function seed(reached: number, orbit: number[], seconds: number[]): SeedResultFile {
  const stages = orbit.map((x, i) => ({ index: i, name: `s${i}`, kind: 'orbit-correction', success: i < reached, figures: figures({ orbit_true_rms_x: x }) }));
  return {
    result: { initial: figures({ orbit_true_rms_x: 1e-3 }), stages, reached, completed: reached === 3, figures: stages[stages.length - 1].figures },
    timing: { stages: seconds.map((s) => ({ seconds: s })), seconds: seconds.reduce((a, b) => a + b, 0), runs: 1 },
  } as unknown as SeedResultFile;
}

describe('commissioning aggregation', () => {
  it('fraction of seeds reaching each stage, medians and 90th percentiles per stage, cumulative distributions', () => {
    const seq = { stages: [0, 1, 2].map((i) => ({ name: `s${i}`, kind: 'orbit-correction' })) } as never;
    const agg = aggregate(seq, [seed(3, [4e-5, 3e-5, 2e-5], [1, 2, 3]), seed(1, [8e-5, 7e-5], [3, 4]), seed(0, [2e-4], [5]), seed(3, [6e-5, 5e-5, 1e-5], [1, 2, 1])]);
    expect(agg.seeds).toBe(4);
    expect(agg.completed).toBe(2);
    expect(agg.stages.map((s) => s.reachedFraction)).toEqual([0.75, 0.5, 0.5]);
    expect(agg.stages.map((s) => s.ran)).toEqual([4, 3, 2]);
    expect(agg.stages.map((s) => s.succeeded)).toEqual([3, 2, 2]);
    // Stage 0 orbit x over the 4 seeds: 4e-5, 6e-5, 8e-5, 2e-4: median 7e-5, 90th percentile 8e-5 + 0.7 * 1.2e-4.
    expect(agg.stages[0].figures.orbit_true_rms_x[0]).toBeCloseTo(7e-5, 15);
    expect(agg.stages[0].figures.orbit_true_rms_x[1]).toBeCloseTo(1.64e-4, 15);
    expect(agg.stages[0].medianSeconds).toBe(2);
    expect(agg.initial.orbit_true_rms_x).toEqual([1e-3, 1e-3]);
    // Final orbit x of each seed, sorted; the cumulative fraction counts all 4 seeds.
    expect(agg.distributions.orbit_true_rms_x.values).toEqual([1e-5, 2e-5, 7e-5, 2e-4]);
    expect(agg.distributions.orbit_true_rms_x.fractions).toEqual([0.25, 0.5, 0.75, 1]);
    expect(agg.distributions.tune_x.values).toEqual([]);
    expect(agg.seedSeconds).toEqual([6, 7, 5, 4]);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('success criteria: min/max on figures and stage values, NaN and missing values fail', () => {
    expect(checkCriteria({ a: { max: 1 }, b: { min: 0 } }, { a: 1, b: 0 })).toBeUndefined();
    expect(checkCriteria({ a: { max: 1 } }, { a: 1.5 })).toBe('a 1.5 > 1');
    expect(checkCriteria({ a: { min: 2 } }, { a: 1 })).toBe('a 1 < 2');
    expect(checkCriteria({ a: { max: 1 } }, { a: Number.NaN })).toBe('a is NaN');
    expect(checkCriteria({ a: { max: 1 } }, {})).toBe('a is missing');
  });

  it('the twin noise seed of each attempt depends on seed, stage and attempt only', () => {
    expect(attemptSeed(3, 1, 0)).toBe(attemptSeed(3, 1, 0));
    const all = new Set([attemptSeed(3, 1, 0), attemptSeed(3, 1, 1), attemptSeed(3, 2, 0), attemptSeed(4, 1, 0)]);
    expect(all.size).toBe(4);
    for (const s of all) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
