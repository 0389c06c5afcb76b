/**
 * `mlayer orbit thread` and `mlayer orbit trajectory` (issue 22): beam threading from the
 * injection point until the beam is stored, and trajectory correction of a line or first turn.
 */
import type { Command } from 'commander';
import { formatQuantity } from '@mlayer/core';
import { correctTrajectory, threadBeam, type PerPlane } from '@mlayer/orbit';
import { refuseOnlineWrites } from '../context.js';
import { parseInteger, parseNumber } from '../cli-values.js';
import { toJson } from '../format/json.js';
import { writesTable } from '../format/correction-table.js';
import { withAccelerator } from './orbit-actions.js';

export interface ThreadCliOptions {
  maxInjections: string;
  alpha?: string;
  gain?: string;
  searchKick?: string;
  closeOrbit: boolean;
  dryRun: boolean;
}

export interface TrajectoryCliOptions {
  iterations: string;
  alpha?: string;
  gain?: string;
  shots: string;
  dryRun: boolean;
}

/** An optional numeric option: undefined when not given. */
const optionalNumber = (text: string | undefined, what: string) => (text === undefined ? undefined : parseNumber(text, what));
const um = (v: number | undefined) => (v === undefined ? '-' : formatQuantity(v, 'm'));
const planes = (r: PerPlane<number>) => `x ${um(r.x)}, y ${um(r.y)}`;

/** `mlayer orbit thread`. Exit status 2 when the beam is not stored. */
export async function orbitThread(o: ThreadCliOptions, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
    if (!o.dryRun) refuseOnlineWrites(acc, g, 'orbit thread');
    const r = await threadBeam(acc, {
      maxInjections: parseInteger(o.maxInjections, '--max-injections', 1),
      alpha: optionalNumber(o.alpha, '--alpha'),
      gain: optionalNumber(o.gain, '--gain'),
      searchKick: optionalNumber(o.searchKick, '--search-kick'),
      closeOrbit: o.closeOrbit,
      dryRun: o.dryRun,
      signal,
      onProgress,
    });
    if (g.json) {
      const { orbit, steps, ...rest } = r;
      process.stdout.write(`${toJson({ ...rest, steps: steps.map((s) => ({ injection: s.injection, stage: s.stage, reached: s.reached, turns: s.turns, undone: s.undone ?? false, rms: s.plan?.rms, rmsPredicted: s.plan?.rmsPredicted })), orbit: orbit && { status: orbit.status, rmsInitial: orbit.rmsInitial, rmsFinal: orbit.rmsFinal, message: orbit.message } })}\n`);
    } else {
      if (r.status === 'dry run') process.stdout.write(writesTable(acc, r.steps[0].plan!.writes, 'physics'));
      for (const s of r.steps) process.stdout.write(`injection ${s.injection} ${s.stage}: ${s.reached}/${r.bpms} BPMs on turn 1, ${s.turns} turns${s.plan ? `; rms ${planes(s.plan.rms)} -> predicted ${planes(s.plan.rmsPredicted)}` : ''}${s.undone ? ' (undone)' : ''}\n`);
      process.stdout.write(`${r.message}\n`);
    }
    if (r.status === 'not stored') process.exitCode = 2;
  });
}

/** `mlayer orbit trajectory`. */
export async function orbitTrajectory(o: TrajectoryCliOptions, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
    if (!o.dryRun) refuseOnlineWrites(acc, g, 'orbit trajectory');
    const r = await correctTrajectory(acc, {
      iterations: parseInteger(o.iterations, '--iterations', 1),
      alpha: optionalNumber(o.alpha, '--alpha'),
      gain: optionalNumber(o.gain, '--gain'),
      shots: parseInteger(o.shots, '--shots', 1),
      dryRun: o.dryRun,
      signal,
      onProgress,
    });
    if (g.json) {
      const { steps, ...rest } = r;
      process.stdout.write(`${toJson({ ...rest, steps: steps.map((s) => ({ rms: s.rms, rmsPredicted: s.rmsPredicted, kick: s.kick, scale: s.scale, excluded: s.excluded, undone: s.undone ?? false })) })}\n`);
    } else {
      if (r.dryRun && r.steps[0]) process.stdout.write(writesTable(acc, r.steps[0].writes, 'physics'));
      process.stdout.write(`trajectory rms ${planes(r.rmsInitial)} (${r.reachedInitial}/${r.bpms} BPMs) -> ${planes(r.rmsFinal)} (${r.reachedFinal}/${r.bpms} BPMs)\n${r.message}\n`);
    }
  });
}
