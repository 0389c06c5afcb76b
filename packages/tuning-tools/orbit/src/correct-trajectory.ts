/**
 * Trajectory correction of a transfer line or linac, or of a ring's first turn (issue 22):
 * a shot (an injection when the facility has an injection family), the BPMs the beam
 * reaches, one Tikhonov step with the model trajectory response, repeated until the rms
 * trajectory stops improving. A step after which the trajectory is worse (beyond the BPM
 * noise) or the beam gets less far is undone. Limits, dry run and abort-restore as
 * correctOrbit.
 */
import { type Accelerator, type LatticeModel, formatQuantity } from '@mlayer/core';
import { type LimitPolicy, rms } from '@mlayer/tuning-common';
import { OrbitError } from './errors.js';
import { type ProgressOptions, runMeasurement } from './measure-orbit.js';
import { type PerPlane, PLANES, type Plane } from './orm.js';
import { type Shot, type TrajectoryFamilyOptions, type TrajectoryStepPlan, applyStep, correctorSetpoints, planTrajectoryStep, stepSettings, trajectoryStart, takeShot, trajectoryFamilies, undoStep } from './trajectory.js';

export interface CorrectTrajectoryOptions extends ProgressOptions, TrajectoryFamilyOptions {
  readonly model?: LatticeModel;
  /** At most this many correction steps (default 5). */
  readonly iterations?: number;
  /** Tikhonov α relative to the largest singular value (default 0.001: a line has as many correctors as BPMs, nearly every mode is wanted). */
  readonly alpha?: number;
  /** Fraction of each step applied, in (0, 1] (default 1). */
  readonly gain?: number;
  readonly onLimit?: LimitPolicy;
  /** Stop when a step lowers the rms (largest plane) by less than this fraction (default 0.05). */
  readonly minImprovement?: number;
  /** Shots averaged per reading (default 1): the BPM noise of a reading falls as 1/sqrt(shots). */
  readonly shots?: number;
  /** Compute one step from the present readings (a shot when there is an injection family, else the BPMs as they read), write nothing. */
  readonly dryRun?: boolean;
}

export interface CorrectTrajectoryResult {
  readonly dryRun: boolean;
  /** rms trajectory (m) over the BPMs read, per plane, before and after. */
  readonly rmsInitial: PerPlane<number>;
  readonly rmsFinal: PerPlane<number>;
  /** BPMs read before and after (the beam's reach). */
  readonly reachedInitial: number;
  readonly reachedFinal: number;
  readonly bpms: number;
  readonly steps: readonly (TrajectoryStepPlan & { readonly undone?: boolean })[];
  readonly message: string;
}

const shotRms = (s: Shot): PerPlane<number> => Object.fromEntries(PLANES.map((p) => [p, rms(s.readings[p]![0].subarray(0, s.reached[0]))])) as PerPlane<number>;

export async function correctTrajectory(acc: Accelerator, options: CorrectTrajectoryOptions = {}): Promise<CorrectTrajectoryResult> {
  const model = options.model ?? acc.model;
  if (!model) throw new OrbitError(`${acc.name}: no lattice model (pass options.model, or build the accelerator with a model)`);
  const iterations = options.iterations ?? 5;
  if (!Number.isInteger(iterations) || iterations < 1) throw new OrbitError(`iterations must be a positive integer (got ${options.iterations})`);
  const settings = stepSettings(options, { alpha: 0.001, gain: 1 });
  const minImprovement = options.minImprovement ?? 0.05;
  const shots = options.shots ?? 1;
  if (!Number.isInteger(shots) || shots < 1) throw new OrbitError(`shots must be a positive integer (got ${options.shots})`);
  const f = trajectoryFamilies(acc, model, options);
  const start = trajectoryStart(acc, model);
  const nBpm = Math.min(f.bpms.x!.size, f.bpms.y!.size);
  const drives = options.dryRun ? [] : PLANES.map((p) => f.correctors[p]!);
  const um = (v: number) => formatQuantity(v, 'm');
  const fmt = (r: PerPlane<number>) => PLANES.map((p: Plane) => `${p} ${um(r[p]!)}`).join(', ');
  return runMeasurement(acc, { name: 'trajectory correction', drives, observes: PLANES.map((p) => f.bpms[p]!), signal: options.signal, total: options.dryRun ? 1 : iterations, onProgress: options.onProgress }, async (m) => {
    let n = 0;
    const shoot = async () => {
      const s = await takeShot(m, f, { inject: !options.dryRun, shot: n + 1, shots: options.dryRun ? 1 : shots });
      n += options.dryRun ? 1 : shots;
      return s;
    };
    let shot = await shoot();
    const first = shot;
    if (shot.reached[0] === 0) throw new OrbitError(`${f.bpms.x!.name}/${f.bpms.y!.name}: no BPM reads the beam; nothing to correct against (nothing was changed)`);
    const steps: (TrajectoryStepPlan & { undone?: boolean })[] = [];
    let message = '';
    for (let it = 0; it < iterations; it++) {
      const plan = planTrajectoryStep(f, model, shot, settings, await correctorSetpoints(f, m.signal), { start, stitch: false });
      if (options.dryRun) {
        steps.push(plan);
        message = `dry run: ${plan.writes.reduce((s, w) => s + w.devices.length, 0)} corrector setpoints would change; rms ${fmt(plan.rms)} -> predicted ${fmt(plan.rmsPredicted)}`;
        break;
      }
      if (plan.scale === 0 || plan.writes.length === 0) {
        steps.push(plan);
        message = plan.scale === 0 ? 'correctors at their limits; no step possible' : 'nothing to correct';
        break;
      }
      await applyStep(m, acc, plan.writes);
      const next = await shoot();
      const before = Math.max(...PLANES.map((p) => shotRms(shot)[p]!));
      const after = Math.max(...PLANES.map((p) => shotRms(next)[p]!));
      if (next.reached[0] < shot.reached[0] || (next.reached[0] === shot.reached[0] && after > before * 1.5)) {
        await undoStep(m, acc, plan.writes);
        steps.push({ ...plan, undone: true });
        shot = await shoot();
        message = `step ${it + 1} made the trajectory worse (${next.reached[0]}/${nBpm} BPMs, rms ${fmt(shotRms(next))}); undone`;
        break;
      }
      steps.push(plan);
      m.progress(it + 1, `step ${it + 1}: ${next.reached[0]}/${nBpm} BPMs, rms ${fmt(shotRms(next))} (predicted ${fmt(plan.rmsPredicted)})`);
      const improvement = next.reached[0] > shot.reached[0] ? 1 : 1 - after / before;
      shot = next;
      if (improvement < minImprovement) {
        message = `converged: the last step lowered the rms by ${(improvement * 100).toFixed(1)}%`;
        break;
      }
      message = `stopped after ${iterations} steps`;
    }
    return { dryRun: options.dryRun === true, rmsInitial: shotRms(first), rmsFinal: shotRms(shot), reachedInitial: first.reached[0], reachedFinal: shot.reached[0], bpms: nBpm, steps, message: `${message} (rms ${fmt(shotRms(first))} -> ${fmt(shotRms(shot))}, ${shot.reached[0]}/${nBpm} BPMs)` };
  });
}
