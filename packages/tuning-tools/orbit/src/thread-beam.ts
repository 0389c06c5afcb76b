/**
 * Beam threading (issue 22): from no stored beam to a stored one with a corrected closed
 * orbit. Each step injects one shot through the control system and reads where the beam
 * went: (1) first turn: the trajectory over the BPMs the beam reaches is corrected with
 * the model trajectory response (Tikhonov), so that the beam gets further and the window
 * of BPMs grows, until the whole first turn is read; (2) stitching: the second turn (the
 * turn-by-turn buffers) is made to match the first, so that the trajectory closes on
 * itself; (3) once the beam current shows a stored beam, closed-orbit correction
 * (correctOrbit with the model matrix) takes over. A step after which the beam gets less
 * far is undone and the regularisation raised. Corrector limits are kept; an abort or a
 * failure restores every corrector the threading changed (core's Measurement).
 */
import { type Accelerator, type LatticeModel, formatQuantity } from '@mlayer/core';
import type { LimitPolicy } from '@mlayer/tuning-common';
import { type CorrectOrbitResult, correctOrbit } from './correct-orbit.js';
import { OrbitError } from './errors.js';
import { type ProgressOptions, runMeasurement } from './measure-orbit.js';
import { PLANES } from './orm.js';
import {
  type Shot,
  type TrajectoryFamilyOptions,
  type TrajectoryStepPlan,
  applyStep,
  correctorSetpoints,
  stepSettings,
  trajectoryStart,
  planTrajectoryStep,
  takeShot,
  trajectoryFamilies,
  undoStep,
} from './trajectory.js';

/** Correctors per plane the search tries, the nearest upstream of the loss first. */
const SEARCH_CORRECTORS = 4;

export interface ThreadBeamOptions extends ProgressOptions, TrajectoryFamilyOptions {
  /** The model whose trajectory response is used (default: the accelerator's). */
  readonly model?: LatticeModel;
  /** At most this many injections (default 100). */
  readonly maxInjections?: number;
  /** Tikhonov α relative to the largest singular value of each step's system (default 0.1). */
  readonly alpha?: number;
  /** Fraction of each computed step applied, in (0, 1] (default 0.8). */
  readonly gain?: number;
  /** A step passing a corrector limit is scaled down ('scale', default) or stops the threading ('stop'). */
  readonly onLimit?: LimitPolicy;
  /** Hand over to closed-orbit correction once the beam is stored (default true: 3 iterations of the model matrix). */
  readonly closeOrbit?: boolean | { readonly iterations?: number };
  /**
   * When two steps in a row take the beam no further, the last 4 correctors per plane upstream
   * of the loss point are tried one by one at ±searchKick/2 and ±searchKick (rad; default 200 µrad),
   * one injection each, and the best setting is kept.
   */
  readonly searchKick?: number;
  /** Compute the first step from the BPMs as they read now (no injection), write nothing. */
  readonly dryRun?: boolean;
}

export type ThreadStage = 'first-turn' | 'stitching' | 'search';

export interface ThreadStep {
  readonly injection: number;
  readonly stage: ThreadStage;
  /** BPMs the beam passed on the first turn, and turns complete. */
  readonly reached: number;
  readonly turns: number;
  readonly plan?: TrajectoryStepPlan;
  /** True when the step made the beam get less far and was undone. */
  readonly undone?: boolean;
}

/** 'stored' (beam stored, closed orbit corrected when asked), 'not stored' (the injections ran out), 'dry run'. */
export type ThreadStatus = 'stored' | 'not stored' | 'dry run';

export interface ThreadResult {
  readonly status: ThreadStatus;
  /** Injections fired. */
  readonly injections: number;
  /** BPMs in the first turn (both planes). */
  readonly bpms: number;
  /** BPMs reached by the first and by the last shot. */
  readonly reachedFirst: number;
  readonly reachedFinal: number;
  readonly steps: readonly ThreadStep[];
  /** The closed-orbit correction after the beam was stored. */
  readonly orbit?: CorrectOrbitResult;
  /** The beam current after the last shot (A), when there is a current monitor. */
  readonly current?: number;
  readonly message: string;
}

/** Threads the beam from the injection point until it is stored (see the file comment). */
export async function threadBeam(acc: Accelerator, options: ThreadBeamOptions = {}): Promise<ThreadResult> {
  const model = options.model ?? acc.model;
  if (!model) throw new OrbitError(`${acc.name}: no lattice model (pass options.model, or build the accelerator with a model)`);
  const maxInjections = options.maxInjections ?? 100;
  if (!Number.isInteger(maxInjections) || maxInjections < 1) throw new OrbitError(`maxInjections must be a positive integer (got ${options.maxInjections})`);
  const { alpha: alpha0, gain, onLimit } = stepSettings(options, { alpha: 0.1, gain: 0.8 });
  const searchKick = options.searchKick ?? 200e-6;
  if (!(searchKick > 0) || !Number.isFinite(searchKick)) throw new OrbitError(`searchKick must be a finite number > 0 (got ${options.searchKick})`);
  const f = trajectoryFamilies(acc, model, options);
  if (!f.injection && !options.dryRun) throw new OrbitError(`${acc.name}: no injection family (a family of element class Injection, or the facility's injection.family): threading injects through it`);
  const start = trajectoryStart(acc, model);
  const nBpm = Math.min(f.bpms.x!.size, f.bpms.y!.size);
  const steps: ThreadStep[] = [];
  const drives = options.dryRun ? [] : PLANES.map((p) => f.correctors[p]!);
  const um = (v: number) => formatQuantity(v, 'm');

  const outcome = await runMeasurement(
    acc,
    { name: 'beam threading', drives, observes: PLANES.map((p) => f.bpms[p]!), signal: options.signal, total: options.dryRun ? 1 : maxInjections, onProgress: options.onProgress },
    async (m) => {
      let injections = 0;
      const shoot = async (): Promise<Shot> => {
        injections++;
        return takeShot(m, f, { inject: true, shot: injections, turns: Number.POSITIVE_INFINITY });
      };
      // How far the beam gets: BPMs passed over every turn read (plus a bonus once stored).
      const score = (s: Shot) => s.reached.reduce((a, b) => a + b, 0) + (storedBy(s) ? 1000 * nBpm : 0);
      /** Tries the last correctors upstream of the loss point one at a time; keeps the best setting. Returns the best shot. */
      const search = async (from: Shot): Promise<Shot> => {
        let best = from;
        const lossTurn = from.reached.findIndex((r) => r < nBpm);
        for (const p of PLANES) {
          const fam = f.correctors[p]!;
          const els = f.correctorElements[p]!;
          const lossEl = lossTurn !== 0 ? Number.POSITIVE_INFINITY : (f.bpmElements[p]![from.reached[0]] ?? Number.POSITIVE_INFINITY);
          const upstream = els.map((e, j) => [e, j] as const).filter(([e]) => e < lossEl).slice(-SEARCH_CORRECTORS).reverse();
          for (const [, j] of upstream) {
            if (injections >= maxInjections) return best;
            const one = fam.devices([fam.deviceList[j]]);
            const [c0] = await one.get({ field: 'setpoint', units: 'physics', signal: m.signal });
            let bestValue = c0;
            for (const d of [-1, -0.5, 0.5, 1].map((k) => k * searchKick)) {
              if (injections >= maxInjections) break;
              const [lo, hi] = one.limits[0] ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
              const hw = one.toHardware([c0 + d], 'setpoint')[0];
              if (!(hw >= lo && hw <= hi)) continue;
              await m.set(one, c0 + d, { units: 'physics' });
              await m.settle(one);
              const s = await shoot();
              if (score(s) > score(best)) {
                best = s;
                bestValue = c0 + d;
              }
            }
            await m.set(one, bestValue, { units: 'physics' });
            await m.settle(one);
            m.note(`search: ${fam.name} ${fam.names[j]} ${bestValue === c0 ? 'left' : `moved by ${formatQuantity(bestValue - c0, 'rad')}`} (${score(best)} BPM passages)`);
            if (best !== from) return best;
          }
        }
        return best;
      };
      const storedBy = (s: Shot): boolean => (s.current !== undefined ? s.current > 0 : s.turns >= 2);
      if (options.dryRun) {
        const shot = await takeShot(m, f, { inject: false, shot: 0, turns: 2 });
        const stitch = shot.reached[0] >= nBpm;
        const plan = planTrajectoryStep(f, model, shot, { alpha: alpha0, gain, onLimit }, await correctorSetpoints(f, m.signal), { start, stitch });
        steps.push({ injection: 0, stage: stitch ? 'stitching' : 'first-turn', reached: shot.reached[0], turns: shot.turns, plan });
        m.progress(1, 'dry run');
        return { injections, shot, first: shot, stored: false };
      }
      let alpha = alpha0;
      let stuck = 0;
      let shot = await shoot();
      const first = shot;
      let stored = storedBy(shot);
      while (!stored && injections < maxInjections) {
        const stitch = shot.reached[0] >= nBpm;
        const stage: ThreadStage = stitch ? 'stitching' : 'first-turn';
        const plan = planTrajectoryStep(f, model, shot, { alpha, gain, onLimit }, await correctorSetpoints(f, m.signal), { start, stitch });
        if (plan.scale === 0 || plan.writes.length === 0) {
          m.note(`injection ${injections}: no corrector step possible (${plan.scale === 0 ? 'correctors at their limits' : 'no BPM reached'})`);
          steps.push({ injection: injections, stage, reached: shot.reached[0], turns: shot.turns, plan });
          break;
        }
        await applyStep(m, acc, plan.writes);
        let next = await shoot();
        // Judged by how far the beam gets (score).
        if (score(next) < score(shot)) {
          await undoStep(m, acc, plan.writes);
          steps.push({ injection: injections, stage, reached: next.reached[0], turns: next.turns, plan, undone: true });
          m.note(`injection ${injections}: the step took the beam less far (${score(next)} < ${score(shot)} BPMs); undone, alpha ${alpha} -> ${alpha * 2}`);
          alpha = alpha > 0 ? alpha * 2 : 0.05;
          continue;
        }
        steps.push({ injection: injections, stage, reached: next.reached[0], turns: next.turns, plan });
        stuck = score(next) > score(shot) ? 0 : stuck + 1;
        if (stuck >= 2 && !storedBy(next) && injections < maxInjections) {
          const found = await search(next);
          stuck = 0;
          if (found !== next) steps.push({ injection: injections, stage: 'search', reached: found.reached[0], turns: found.turns });
          next = found;
        }
        m.progress(injections, `injection ${injections} (${stage}): ${next.reached[0]}/${nBpm} BPMs on turn 1${next.reached.length > 1 ? `, ${next.reached[1]} on turn 2` : ''}; rms x ${um(plan.rms.x!)} y ${um(plan.rms.y!)}`);
        shot = next;
        stored = storedBy(shot);
      }
      return { injections, shot, first, stored };
    },
  );
  const { injections, shot, first, stored } = outcome;
  if (options.dryRun) {
    const s = steps[0];
    return { status: 'dry run', injections: 0, bpms: nBpm, reachedFirst: first.reached[0], reachedFinal: first.reached[0], steps, current: shot.current, message: `dry run: ${s.plan!.writes.reduce((n, w) => n + w.devices.length, 0)} corrector setpoints would change (${s.stage}, ${s.reached}/${nBpm} BPMs read)` };
  }
  let orbit: CorrectOrbitResult | undefined;
  if (stored && options.closeOrbit !== false) {
    const iterations = typeof options.closeOrbit === 'object' ? (options.closeOrbit.iterations ?? 3) : 3;
    orbit = await correctOrbit(acc, { orm: 'model', model, bpms: f.bpms, correctors: f.correctors, iterations, signal: options.signal, method: { type: 'svd', threshold: 1e-3 } });
  }
  const message = stored
    ? `stored after ${injections} injection${injections === 1 ? '' : 's'} (first shot: ${first.reached[0]}/${nBpm} BPMs)${orbit ? `; closed orbit ${orbit.status}: rms x ${um(orbit.rmsFinal.x!)} y ${um(orbit.rmsFinal.y!)}` : ''}`
    : `not stored after ${injections} injection${injections === 1 ? '' : 's'}: the beam reached ${shot.reached[0]}/${nBpm} BPMs of the first turn${shot.reached.length > 1 ? ` and ${shot.reached[1]} of the second` : ''}`;
  return { status: stored ? 'stored' : 'not stored', injections, bpms: nBpm, reachedFirst: first.reached[0], reachedFinal: shot.reached[0], steps, orbit, current: shot.current, message };
}
