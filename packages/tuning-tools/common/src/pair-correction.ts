/**
 * Correction of a pair of quantities (tunes: MML steptune / settune;
 * chromaticities: stepchro / setchro): a step of the response's families by the
 * minimum-norm changes (pair-step.ts), and the measure-and-step iteration that
 * brings the pair to a target.
 */
import type { Accelerator } from '@mlayer/core';
import type { FamilyPairResponse } from './family-pair-response.js';
import { type PairStepOptions, type PairStepResult, stepAlongPairResponse } from './pair-step.js';

export interface FamilyPairStep extends PairStepResult {
  readonly families: readonly string[];
}

/** Steps the families of `response` to change the pair by `change`. */
export async function stepFamilyPair(acc: Accelerator, response: FamilyPairResponse, change: readonly [number, number], options: PairStepOptions): Promise<FamilyPairStep> {
  const fams = response.families.map((f) => acc.family(f));
  const r = await stepAlongPairResponse(acc, fams, response.matrix, change, options);
  return { families: response.families, ...r };
}

export interface PairIteration<M, S> {
  readonly target: readonly [number, number];
  /** Most steps. */
  readonly iterations: number;
  /** Stop when both values are within this of the target. */
  readonly tolerance: number;
  /** Measures the pair (a measurement M holding it). */
  readonly measure: () => Promise<M>;
  /** The pair a measurement holds. */
  readonly value: (m: M) => readonly [number, number];
  /** How far a value is from its target (default target − value; fractional tunes: on the unit circle). */
  readonly difference?: (target: number, value: number) => number;
  /** Makes a step that changes the pair by `change`. */
  readonly step: (change: readonly [number, number]) => Promise<S>;
  /** Called after each measurement: `step` measurements of at most `total` (iterations + 1) taken, `value` the pair measured. */
  readonly onProgress?: (step: number, total: number, value: readonly [number, number]) => void;
}

export interface PairIterationResult<M, S> {
  /** Measurements before each step and after the last one. */
  readonly history: readonly M[];
  readonly steps: readonly S[];
  /** The measurement taken last. */
  readonly last: M;
  readonly converged: boolean;
}

/** Measure, step by the distance to the target, measure again: up to `iterations` steps, until within `tolerance`. */
export async function iteratePair<M, S>(spec: PairIteration<M, S>): Promise<PairIterationResult<M, S>> {
  const difference = spec.difference ?? ((t: number, v: number) => t - v);
  const history: M[] = [];
  const steps: S[] = [];
  let m = await spec.measure();
  history.push(m);
  spec.onProgress?.(1, spec.iterations + 1, spec.value(m));
  const off = (): readonly [number, number] => {
    const v = spec.value(m);
    return [difference(spec.target[0], v[0]), difference(spec.target[1], v[1])];
  };
  for (let it = 0; it < spec.iterations && Math.max(...off().map(Math.abs)) > spec.tolerance; it++) {
    steps.push(await spec.step(off()));
    m = await spec.measure();
    history.push(m);
    spec.onProgress?.(history.length, spec.iterations + 1, spec.value(m));
  }
  return { history, steps, last: m, converged: Math.max(...off().map(Math.abs)) <= spec.tolerance };
}
