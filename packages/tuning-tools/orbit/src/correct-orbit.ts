/**
 * Orbit correction on the machine (MML setorbit): read the orbit, compute the
 * correction, write it within the corrector limits, repeat until converged.
 */
import { type Accelerator, type DeviceId, type Family, type LatticeModel, type MeasurementContext, formatQuantity, sleep } from '@mlayer/core';
import { type CorrectionInput, type CorrectionResult, computeCorrection, predictError } from './compute-correction.js';
import { CorrectorLimitError, type LimitPolicy, type LimitViolation, type PlannedWrite, type StepPlan, type StepRequest, planStep, rms } from '@mlayer/tuning-common';
import { OrbitError } from './errors.js';
import { type AveragingOptions, type OrbitReading, type ProgressOptions, checkAveraging, readOrbit, runMeasurement } from './measure-orbit.js';
import { modelOrm } from './model-orm.js';
import type { OrbitFamiliesOptions } from './orbit-families.js';
import { type DeviceAxis, type OrbitResponseMatrix, type PerPlane, type Plane, PLANES, checkOrm } from './orm.js';

/** `bpms`, `correctors` and `rfFamily` choose the families of the model ORM (orm: 'model'). */
export interface CorrectOrbitOptions extends AveragingOptions, ProgressOptions, OrbitFamiliesOptions, Omit<CorrectionInput, 'orm' | 'orbit' | 'bpmWeights' | 'correctorWeights' | 'gain'> {
  /** The response matrix (measured, or loaded from a file), or 'model' for the model's (physics units). */
  readonly orm: OrbitResponseMatrix | 'model';
  /** Model for orm: 'model' (default: the accelerator's). */
  readonly model?: LatticeModel;
  /** Weight per BPM of the matrix rows; BPMs disabled in the facility get weight 0. */
  readonly bpmWeights?: PerPlane<ArrayLike<number>>;
  /** Weight per corrector of the matrix columns; disabled correctors get weight 0. */
  readonly correctorWeights?: PerPlane<ArrayLike<number>>;
  /** Maximum number of correction steps (default 5). */
  readonly iterations?: number;
  /** Stop when the rms orbit error of every corrected plane is at or below this (BPM units; default 0). */
  readonly tolerance?: number | PerPlane<number>;
  /** Stop when a step lowers the rms error (largest plane) by less than this fraction (default 0.02). */
  readonly minImprovement?: number;
  /** A step that would pass a corrector limit is scaled down ('scale', default), the correction stops ('stop'), or those correctors are left out and the step solved again ('exclude'). */
  readonly onLimit?: LimitPolicy;
  /** Compute one step from the present orbit and return what would be set, without writing. */
  readonly dryRun?: boolean;
  /** Extra wait after each write, ms (default 0). */
  readonly settle?: number;
  /** How long a corrector's readback may take to come within its tolerance of the setpoint, ms (default 10 s); then the correction stops and restores. */
  readonly settleTimeout?: number;
  /** Fraction of the computed step applied, in (0, 1]: one for both planes or one per plane (default 1). */
  readonly gain?: number | PerPlane<number>;
  /** Floor of the BPM noise (rms of one reading, BPM units) when the readings show less (default 0). */
  readonly bpmNoise?: number;
  /** Warnings (settling defaults) as they are raised; also in the result's `warnings`. */
  readonly onWarning?: (message: string) => void;
}

export interface CorrectionStep {
  /** rms orbit error per plane before this step. */
  readonly rms: PerPlane<number>;
  readonly correction: CorrectionResult;
  /** Fraction of the computed step that was applied (limits). */
  readonly scale: number;
  readonly writes: readonly PlannedWrite[];
  /** RF change applied (RF units of the matrix). */
  readonly rf: number;
  /** Correctors left out because they would pass their limits (onLimit 'exclude'). */
  readonly excluded: readonly string[];
  /** Fraction of the computed step applied per plane (gain × limit scale). */
  readonly applied: PerPlane<number>;
  /** rms orbit error per plane the matrix predicted after the step as applied. */
  readonly rmsPredicted: PerPlane<number>;
  /** rms orbit error per plane measured after the step (before it was undone, when it was). */
  readonly rmsMeasured?: PerPlane<number>;
  /** True when the step made the orbit worse beyond the noise and was undone. */
  readonly undone?: boolean;
}

/**
 * Why the correction stopped: 'tolerance' (reached), 'stalled' (a step changed little),
 * 'iterations', 'limit' (corrector limits), 'diverged' (a step made the orbit worse beyond
 * the noise: undone), 'nothing-to-correct' (the method keeps no mode: no step), 'dry-run'.
 */
export type StopReason = 'tolerance' | 'stalled' | 'iterations' | 'limit' | 'diverged' | 'nothing-to-correct' | 'dry-run';

/**
 * The outcome in one word: 'converged' (the tolerance was reached, or the steps lowered
 * the rms error beyond the noise until they stalled), 'improved' (lower beyond the noise,
 * stopped by the iterations or limits), 'no improvement', 'diverged', 'dry run'.
 */
export type CorrectionStatus = 'converged' | 'improved' | 'no improvement' | 'diverged' | 'dry run';

export interface CorrectOrbitResult {
  readonly dryRun: boolean;
  readonly units: OrbitResponseMatrix['units'];
  readonly planes: readonly Plane[];
  readonly steps: readonly CorrectionStep[];
  readonly initial: OrbitReading;
  /** The last orbit read (the initial one in a dry run). */
  readonly final: OrbitReading;
  readonly rmsInitial: PerPlane<number>;
  readonly rmsFinal: PerPlane<number>;
  readonly stopReason: StopReason;
  readonly status: CorrectionStatus;
  readonly message: string;
  /** The matrix used. */
  readonly orm: OrbitResponseMatrix;
  /** rms noise of the orbit error per plane (the allowance of the comparisons), BPM units. */
  readonly noise: PerPlane<number>;
  readonly warnings: readonly string[];
}

const enabledMask = (sel: Family): boolean[] => {
  const on = new Set(sel.enabled().deviceList.map((d) => `${d[0]},${d[1]}`));
  return sel.deviceList.map((d) => on.has(`${d[0]},${d[1]}`));
};

function selection(acc: Accelerator, axis: DeviceAxis): Family {
  return acc.family(axis.family).devices(axis.devices as DeviceId[]);
}

/** Orbit readings of the enabled BPMs, placed in the matrix's row order (NaN for the others). */
async function readRows(m: MeasurementContext, bpms: PerPlane<{ all: Family; enabled: Family; mask: boolean[] }>, units: OrbitResponseMatrix['units'], avg: { n: number; interval: number }): Promise<{ reading: OrbitReading; orbit: PerPlane<Float64Array> }> {
  const reading = await readOrbit(m, { x: bpms.x?.enabled, y: bpms.y?.enabled }, units, avg);
  const orbit: Partial<Record<Plane, Float64Array>> = {};
  for (const p of PLANES) {
    const b = bpms[p];
    if (!b) continue;
    const vals = reading[p]!.values;
    const out = new Float64Array(b.mask.length).fill(Number.NaN);
    let k = 0;
    b.mask.forEach((on, i) => {
      if (on) out[i] = vals[k++];
    });
    orbit[p] = out;
  }
  return { reading, orbit };
}

/** Corrects the orbit with the response matrix, iterating until converged. */
export async function correctOrbit(acc: Accelerator, options: CorrectOrbitOptions): Promise<CorrectOrbitResult> {
  const orm =
    options.orm === 'model'
      ? await modelOrm(acc, { model: options.model, bpms: options.bpms, correctors: options.correctors, rfFamily: options.rfFamily, planes: options.planes, rf: options.rf !== undefined && options.rf !== false })
      : options.orm;
  checkOrm(orm);
  const avg = checkAveraging(options);
  const maxSteps = options.iterations ?? 5;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new OrbitError(`iterations must be a positive integer (got ${options.iterations})`);
  const minImprovement = options.minImprovement ?? 0.02;
  const policy = options.onLimit ?? 'scale';
  if (policy !== 'scale' && policy !== 'stop' && policy !== 'exclude') throw new OrbitError(`onLimit must be 'scale', 'stop' or 'exclude' (got ${String(policy)})`);
  const extra = options.settle ?? 0;
  const planes = options.planes ?? PLANES.filter((p) => orm.bpms[p] && orm.correctors[p]);
  const gainOf = (p: Plane): number => (typeof options.gain === 'number' ? options.gain : (options.gain?.[p] ?? 1));
  for (const p of planes) {
    const g = gainOf(p);
    if (!(g > 0 && g <= 1)) throw new OrbitError(`gain${typeof options.gain === 'number' ? '' : `.${p}`} must be in (0, 1] (got ${g})`);
  }
  const floor = options.bpmNoise ?? 0;
  if (!(floor >= 0) || !Number.isFinite(floor)) throw new OrbitError(`bpmNoise must be a finite number >= 0 (got ${options.bpmNoise})`);
  const warnings: string[] = [];
  const tol = (p: Plane): number => (typeof options.tolerance === 'number' ? options.tolerance : (options.tolerance?.[p] ?? 0));
  const units = orm.units;

  // Live selections for the matrix axes; disabled devices get weight 0.
  const bpms: Partial<Record<Plane, { all: Family; enabled: Family; mask: boolean[] }>> = {};
  const cors: Partial<Record<Plane, { all: Family; mask: boolean[] }>> = {};
  const bpmWeights: Partial<Record<Plane, Float64Array>> = {};
  const corWeights: Partial<Record<Plane, Float64Array>> = {};
  for (const p of planes) {
    const ba = orm.bpms[p];
    const ca = orm.correctors[p];
    if (!ba || !ca) throw new OrbitError(`plane ${p}: the response matrix has no ${!ba ? 'BPM' : 'corrector'} axis`);
    const all = selection(acc, ba);
    const call0 = selection(acc, ca);
    // A matrix from a file must be in the units the families use now.
    if (all.units()[units] !== ba.unit) throw new OrbitError(`${ba.family}: the response matrix has BPM readings in '${ba.unit}', the family reads '${all.units()[units]}' (${units} units)`);
    if (call0.units('setpoint')[units] !== ca.unit) throw new OrbitError(`${ca.family}: the response matrix has corrector setpoints in '${ca.unit}', the family sets '${call0.units('setpoint')[units]}' (${units} units)`);
    const mask = enabledMask(all);
    if (!mask.some(Boolean)) throw new OrbitError(`${ba.family}: none of the BPMs of the response matrix is enabled`);
    bpms[p] = { all, enabled: all.enabled(), mask };
    const w = options.bpmWeights?.[p];
    if (w && w.length !== mask.length) throw new OrbitError(`bpmWeights.${p}: ${w.length} weights for ${mask.length} BPMs`);
    bpmWeights[p] = Float64Array.from(mask, (on, i) => (on ? (w ? w[i] : 1) : 0));
    const call = selection(acc, ca);
    const cmask = enabledMask(call);
    cors[p] = { all: call, mask: cmask };
    const cw = options.correctorWeights?.[p];
    if (cw && cw.length !== cmask.length) throw new OrbitError(`correctorWeights.${p}: ${cw.length} weights for ${cmask.length} correctors`);
    corWeights[p] = Float64Array.from(cmask, (on, j) => (on ? (cw ? cw[j] : 1) : 0));
  }
  const useRf = options.rf !== undefined && options.rf !== false;
  const rfFam = useRf && orm.rf ? acc.family(orm.rf.family).devices([orm.rf.device]) : undefined;
  const drives = options.dryRun ? [] : [...planes.map((p) => cors[p]!.all), ...(rfFam ? [rfFam] : [])];

  /** rms orbit error of one plane (weighted BPMs; NaN readings left out, and those where `also` is NaN). */
  const planeRms = (o: Float64Array, p: Plane, also?: Float64Array): number => {
    const off = options.offsets?.[p];
    const g = options.golden?.[p];
    const w = bpmWeights[p]!;
    return rms(o.map((v, i) => (w[i] > 0 && (also === undefined || Number.isFinite(also[i])) ? v - (off?.[i] ?? 0) - (g?.[i] ?? 0) : Number.NaN)));
  };
  const errorRms = (orbit: PerPlane<Float64Array>): PerPlane<number> => Object.fromEntries(planes.map((p) => [p, planeRms(orbit[p]!, p)]));
  const worst = (r: PerPlane<number>): number => Math.max(...planes.map((p) => r[p] ?? 0));
  /** Number of weighted BPMs of a plane with a finite reading. */
  const finiteCount = (orbit: PerPlane<Float64Array>, p: Plane): number => orbit[p]!.reduce((n, v, i) => n + (bpmWeights[p]![i] > 0 && Number.isFinite(v) ? 1 : 0), 0);
  /** rms error of `a` and of `b` over the BPMs finite in both (a step is judged on the same BPMs before and after). */
  const commonRms = (a: PerPlane<Float64Array>, b: PerPlane<Float64Array>, p: Plane): [number, number] => [planeRms(a[p]!, p, b[p]!), planeRms(b[p]!, p, a[p]!)];

  const observes = planes.map((p) => bpms[p]!.enabled);
  return runMeasurement(acc, { name: 'orbit correction', drives, observes, freshTimeout: avg.freshTimeout, settleTimeout: options.settleTimeout, signal: options.signal, total: options.dryRun ? 1 : maxSteps, onProgress: options.onProgress, onWarning: (w) => {
    warnings.push(w.message);
    options.onWarning?.(w.message);
  } }, async (m) => {
    // The first reading also gives the BPM noise (at least 3 readings), the allowance of every comparison.
    let { reading, orbit } = await readRows(m, bpms, units, { n: Math.max(avg.n, 3), interval: avg.interval });
    const initial = reading;
    const rmsInitial = errorRms(orbit);
    const finiteInitial: Partial<Record<Plane, number>> = {};
    for (const p of planes) {
      finiteInitial[p] = finiteCount(orbit, p);
      if (finiteInitial[p] === 0) throw new OrbitError(`${bpms[p]!.all.name}: no BPM gives a finite reading; nothing to correct against (nothing was changed)`);
    }
    const noise: Partial<Record<Plane, number>> = {};
    for (const p of planes) {
      const std = Array.from(reading[p]!.std, (s) => Math.max(Number.isFinite(s) ? s : 0, floor));
      noise[p] = rms(std) / Math.sqrt(avg.n);
    }
    // Worse beyond the noise: the rms of a plane grew by more than 3 noise rms (and a relative 1e-9 for noise-free readings).
    const allowance = (p: Plane, ref: number): number => 3 * (noise[p] ?? 0) + 1e-9 * ref;
    const steps: CorrectionStep[] = [];
    let stopReason: StopReason = 'iterations';
    let message = '';
    let current = rmsInitial;
    let lastMet = true;
    const q = (p: Plane, v: number): string => formatQuantity(v, orm.bpms[p]!.unit);
    const fmt = (r: PerPlane<number>) => planes.map((p) => `${p} ${q(p, r[p]!)}`).join(', ');
    for (let it = 0; it < maxSteps; it++) {
      if (planes.every((p) => (current[p] ?? 0) <= tol(p))) {
        stopReason = 'tolerance';
        message = `rms orbit error at or below the tolerance after ${it} step${it === 1 ? '' : 's'}`;
        break;
      }
      const current0: Partial<Record<Plane, Float64Array>> = {};
      for (const p of planes) current0[p] = await cors[p]!.all.get({ field: 'setpoint', signal: m.signal });
      const rf0 = rfFam ? await rfFam.get({ field: 'setpoint', signal: m.signal }) : undefined;
      const weights: Partial<Record<Plane, Float64Array>> = Object.fromEntries(planes.map((p) => [p, Float64Array.from(corWeights[p]!)]));
      const excluded: string[] = [];
      let correction: CorrectionResult;
      let plan: StepPlan;
      for (;;) {
        const raw = computeCorrection({
          orm,
          orbit,
          planes,
          golden: options.golden,
          offsets: options.offsets,
          bpmWeights,
          correctorWeights: weights,
          method: options.method,
          rf: options.rf,
          coupled: options.coupled,
        });
        // The gain of each plane (the RF change goes with x).
        const deltas: Partial<Record<Plane, Float64Array>> = {};
        for (const p of planes) deltas[p] = raw.deltas[p]!.map((d) => d * gainOf(p));
        const rfDelta = raw.rf * gainOf(planes.includes('x') ? 'x' : planes[0]);
        const pred = predictError(orm, planes, raw.error, deltas, rfDelta);
        correction = { ...raw, deltas, rf: rfDelta, predicted: pred.predicted, rmsPredicted: pred.rmsPredicted };
        const requests: StepRequest[] = planes.map((p) => ({ family: cors[p]!.all, current: current0[p]!, deltas: correction.deltas[p]!, units }));
        if (rfFam && rf0 && correction.rf !== 0) requests.push({ family: rfFam, current: rf0, deltas: Float64Array.of(correction.rf), units });
        try {
          plan = planStep(requests, policy);
          break;
        } catch (e) {
          if (policy !== 'exclude' || !(e instanceof CorrectorLimitError)) throw e;
          // Leave out the corrector that passes its limit furthest, and solve again.
          const excess = (v: LimitViolation): number => {
            const [lo, hi] = v.limits;
            const half = (hi - lo) / 2 || 1;
            return Number.isFinite(v.target) ? Math.max(lo - v.target, v.target - hi) / half : Number.POSITIVE_INFINITY;
          };
          const worst = [...e.violations].sort((a, b) => excess(b) - excess(a))[0];
          let removed = false;
          for (const p of planes) {
            const axis = orm.correctors[p]!;
            const j = axis.names.indexOf(worst.name);
            if (axis.family === worst.family && j >= 0 && weights[p]![j] > 0) {
              weights[p]![j] = 0;
              removed = true;
              excluded.push(`${worst.family} ${worst.name}`);
              if (!weights[p]!.some((w) => w > 0)) throw new CorrectorLimitError(e.violations, `every ${p} corrector would pass its limits; nothing was written`);
            }
          }
          if (!removed) throw e;
        }
      }
      if (excluded.length > 0) m.note(`correctors left out at their limits: ${excluded.join(', ')}`);
      // The prediction for the step as it will be applied (scaled by the limits).
      const scaledDeltas: Partial<Record<Plane, Float64Array>> = {};
      for (const p of planes) scaledDeltas[p] = correction.deltas[p]!.map((d) => d * plan.scale);
      const rmsPredicted = predictError(orm, planes, correction.error, scaledDeltas, correction.rf * plan.scale).rmsPredicted;
      const applied: Partial<Record<Plane, number>> = Object.fromEntries(planes.map((p) => [p, gainOf(p) * plan.scale]));
      const stepBase = { rms: current, correction, scale: plan.scale, writes: plan.writes, rf: correction.rf * plan.scale, excluded, applied, rmsPredicted };
      const nothing = planes.every((p) => correction.deltas[p]!.every((d) => d === 0)) && correction.rf === 0;
      if (nothing) {
        steps.push(stepBase);
        stopReason = 'nothing-to-correct';
        const used = correction.systems.map((sy) => sy.used).reduce((a, b) => a + b, 0);
        message = `nothing corrected: the method keeps ${used} mode${used === 1 ? '' : 's'} of the response matrix${options.method?.type === 'svd' && options.method.threshold !== undefined ? ` (threshold ${options.method.threshold} x the largest singular value)` : ''}; no setpoint was changed`;
        m.progress(1, message);
        break;
      }
      if (options.dryRun) {
        steps.push(stepBase);
        stopReason = 'dry-run';
        message = `dry run: ${plan.writes.reduce((s, w) => s + w.devices.length, 0)} setpoints would change${plan.scale < 1 ? ` (step scaled to ${plan.scale.toFixed(3)} by the limits)` : ''}`;
        m.progress(1, message);
        break;
      }
      if (plan.scale === 0) {
        steps.push(stepBase);
        stopReason = 'limit';
        message = `correctors at their limits (${plan.limitedBy.map((v) => `${v.family} ${v.name}`).join(', ')}); no step possible`;
        break;
      }
      for (const w of plan.writes) {
        const sel = acc.family(w.family).devices(w.devices as DeviceId[]);
        await m.set(sel, w.target);
      }
      for (const w of plan.writes) await m.settle(acc.family(w.family).devices(w.devices as DeviceId[]));
      if (extra > 0) await sleep(extra, m.signal);
      const before = orbit;
      ({ reading, orbit } = await readRows(m, bpms, units, avg));
      const next = errorRms(orbit);
      m.progress(it + 1, `step ${it + 1}: rms ${fmt(next)} (predicted ${fmt(rmsPredicted)})${plan.scale < 1 ? ` (scaled to ${plan.scale.toFixed(3)} by the limits)` : ''}`);
      // Judged on the BPMs that read before and after the step; a step after which a tenth of the
      // plane's BPMs no longer read (beam lost, BPMs invalid) is a failure, never a smaller rms.
      const lost = planes.filter((p) => finiteCount(orbit, p) < 0.9 * finiteInitial[p]!);
      const worse = planes.filter((p) => {
        if (lost.includes(p)) return true;
        const [b, a] = commonRms(before, orbit, p);
        return a > b + allowance(p, b);
      });
      const reasons = worse.map((p) =>
        lost.includes(p)
          ? `${p}: ${finiteInitial[p]! - finiteCount(orbit, p)} of ${finiteInitial[p]} BPMs without a finite reading after the step`
          : `${p} ${q(p, current[p]!)} -> ${q(p, next[p]!)}, predicted ${q(p, rmsPredicted[p]!)}`,
      );
      if (worse.length > 0) {
        // Undo the step: the setpoints before it, then the orbit they give.
        for (const w of plan.writes) await m.set(acc.family(w.family).devices(w.devices as DeviceId[]), w.current);
        for (const w of plan.writes) await m.settle(acc.family(w.family).devices(w.devices as DeviceId[]));
        if (extra > 0) await sleep(extra, m.signal);
        ({ reading, orbit } = await readRows(m, bpms, units, avg));
        steps.push({ ...stepBase, rmsMeasured: next, undone: true });
        const after = errorRms(orbit);
        stopReason = 'diverged';
        message = `diverged: step ${it + 1} made the rms orbit error worse (${reasons.join('; ')}); the step was undone (rms now ${fmt(after)}); is the response matrix right?`;
        m.note(message);
        current = after;
        break;
      }
      steps.push({ ...stepBase, rmsMeasured: next });
      // Did the step do what the matrix predicted: at least half of the predicted gain, or within a quarter of the
      // predicted residual (near the end the remaining gain is small and the model's floor is reached), within the noise?
      lastMet = planes.every((p) => next[p]! <= rmsPredicted[p]! + Math.max(allowance(p, current[p]!), 0.5 * (current[p]! - rmsPredicted[p]!), 0.25 * rmsPredicted[p]!));
      if (!lastMet) m.note(`step ${it + 1}: rms ${fmt(next)}, the matrix predicted ${fmt(rmsPredicted)}`);
      const improvement = 1 - worst(next) / worst(current);
      const prevWorst = worst(current);
      current = next;
      if (plan.scale < 1 && policy === 'scale' && improvement < minImprovement) {
        stopReason = 'limit';
        message = `stopped: the step was scaled to ${plan.scale.toFixed(3)} by corrector limits (${plan.limitedBy.map((v) => `${v.family} ${v.name}`).join(', ')})`;
        break;
      }
      if (improvement < minImprovement) {
        stopReason = 'stalled';
        message = `the last step ${improvement >= 0 ? 'lowered' : 'raised'} the rms error by ${(Math.abs(improvement) * 100).toFixed(1)}%${improvement < 0 ? ' (within the noise)' : ''} (${q(planes[0], prevWorst)} -> ${q(planes[0], worst(next))}, predicted ${q(planes[0], worst(rmsPredicted))}; steps lowering it by less than ${(minImprovement * 100).toFixed(1)}% end the correction)`;
        break;
      }
    }
    if (stopReason === 'iterations') message = `stopped after ${maxSteps} steps`;
    if (stopReason === 'tolerance' && planes.every((p) => (current[p] ?? 0) <= tol(p)) && steps.length === maxSteps) message = `rms orbit error at or below the tolerance`;
    // Better than found, beyond the noise, in every plane that was not already within the tolerance?
    const improved = planes.every((p) => current[p]! <= tol(p) || current[p]! < rmsInitial[p]! - allowance(p, rmsInitial[p]!)) && planes.some((p) => current[p]! < rmsInitial[p]!);
    let status: CorrectionStatus;
    if (stopReason === 'dry-run') status = 'dry run';
    else if (stopReason === 'diverged') status = 'diverged';
    else if (stopReason === 'tolerance') status = 'converged';
    else if (!improved) status = 'no improvement';
    // Converged: stalled where the matrix predicted, not short of it.
    else status = stopReason === 'stalled' && lastMet ? 'converged' : 'improved';
    if (stopReason !== 'dry-run' && stopReason !== 'diverged') message = `${status}: ${message}`;
    return { dryRun: options.dryRun === true, units, planes, steps, initial, final: reading, rmsInitial, rmsFinal: current, stopReason, status, message, orm, noise, warnings };
  });
}
