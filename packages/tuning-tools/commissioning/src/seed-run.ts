/**
 * Runs the sequence on one seed's machine, stage by stage, writing a stage file
 * (record, timing, checkpoint) after each. Before each attempt of a stage the twin's
 * noise is reseeded from (seed, stage, attempt): the random state a stage starts from
 * is saved by construction. A seed directory with stage files resumes after the last
 * one: its setpoints are written back, its state taken up, and the stages after it
 * give what an uninterrupted run gives. A seed with its result file is not run again.
 */
import { join } from 'node:path';
import { AbortedError, type Accelerator, isDigitalTwin } from '@mlayer/core';
import { sha256Of } from '@mlayer/data';
import { canonicalJson } from './canonical-json.js';
import { CommissioningError, StageUnavailableError } from './errors.js';
import type { Figures } from './figure-names.js';
import { type FigureTargets, figureElements, figureTargets, measureFigures } from './figures.js';
import {
  type AttemptRecord,
  INITIAL_FILE,
  RESULT_FILE,
  type SeedHeader,
  type SeedResult,
  type SeedResultFile,
  type StageFile,
  type StageRecord,
  type StageTiming,
  readJson,
  readStageFiles,
  stageFileName,
  writeJson,
} from './records.js';
import { type Criterion, type Sequence, type Stage, unavailableStages } from './sequence.js';
import { BEAM_ORDER, STAGE_INFO, type StageParameters } from './stage-kinds.js';
import { type SeedState, availableStages, runStage } from './stages.js';
import { existsSync } from 'node:fs';

export interface RunSeedOptions {
  readonly sequence: Sequence;
  readonly header: SeedHeader;
  /** The seed's directory (stage files, result). */
  readonly dir: string;
  readonly signal?: AbortSignal;
  /** After each stage written. */
  readonly onStage?: (file: StageFile) => void;
  /**
   * Asked before each stage (a live machine: stage by stage with confirmations): run it, skip it
   * (recorded as not succeeded, the sequence goes on), or stop the seed there.
   */
  readonly confirm?: (stage: Stage, index: number) => Promise<'run' | 'skip' | 'stop'>;
}

/** The twin's noise seed for an attempt of a stage (uint32 from SHA-256). */
export function attemptSeed(seed: number, stage: number, attempt: number): number {
  return Number.parseInt(sha256Of(`mlayer-commissioning/${seed}/${stage}/${attempt}`).slice(0, 8), 16);
}

export function checkCriteria(criteria: Readonly<Record<string, Criterion>>, values: Readonly<Record<string, number>>): string | undefined {
  const failed: string[] = [];
  for (const [k, c] of Object.entries(criteria)) {
    const v = values[k];
    if (v === undefined || Number.isNaN(v)) failed.push(`${k} is ${v === undefined ? 'missing' : 'NaN'}`);
    else if (c.min !== undefined && v < c.min) failed.push(`${k} ${v} < ${c.min}`);
    else if (c.max !== undefined && v > c.max) failed.push(`${k} ${v} > ${c.max}`);
  }
  return failed.length > 0 ? failed.join('; ') : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function summarise(header: SeedHeader, initial: Figures, stages: readonly StageRecord[]): SeedResult {
  let reached = 0;
  while (reached < stages.length && stages[reached].success) reached++;
  const last = stages[stages.length - 1];
  return {
    header,
    initial,
    stages,
    reached,
    reachedStage: reached > 0 ? stages[reached - 1].name : '',
    completed: last !== undefined && last.next === 'end',
    figures: last?.figures ?? ({} as Figures),
  };
}

/** Runs (or resumes, or returns the result of) one seed. */
export async function runSeed(acc: Accelerator, options: RunSeedOptions): Promise<SeedResultFile> {
  const { sequence, header, dir } = options;
  const missing = unavailableStages(sequence, availableStages());
  if (missing.length > 0) throw new StageUnavailableError(`${sequence.file}: stage${missing.length > 1 ? 's' : ''} ${missing.join(', ')} cannot run in this build (the tool has not landed); nothing was run`);
  const headerBytes = canonicalJson(header);
  const resultPath = join(dir, RESULT_FILE);
  if (existsSync(resultPath)) {
    const done = readJson<SeedResultFile>(resultPath);
    if (canonicalJson(done.result.header) !== headerBytes) throw new CommissioningError(`${resultPath}: the seed's result was computed with another sequence, error set, facility or software (seed ${done.result.header.seed}); use another study directory`);
    return done;
  }
  const files = readStageFiles(dir);
  for (const f of files) {
    if (canonicalJson(f.record.header) !== headerBytes) throw new CommissioningError(`${join(dir, stageFileName(f.record.index, f.record.name))}: computed with another sequence, error set, facility or software (seed ${f.record.header.seed}); use another study directory`);
  }
  const el = figureElements(acc);
  const targets: FigureTargets = figureTargets(acc, sequence.targets);
  const twin = isDigitalTwin(acc.controlSystem) ? acc.twin : undefined;
  let state: SeedState = { beam: sequence.beam, injections: 0 };
  const run = files.length > 0 ? Math.max(...files.map((f) => f.timing.run)) + 1 : 1;
  const last = files[files.length - 1];
  if (last) {
    state = structuredClone(last.checkpoint.state);
    if (last.record.next === 'continue' || last.record.next === 'skip') await acc.restore(last.checkpoint.setpoints, { source: join(dir, stageFileName(last.record.index, last.record.name)), signal: options.signal });
  }
  // The twin's beam as the sequence starts, or as the checkpoint left it (a threaded beam is not kept: the
  // beam is dumped and the next stage injects again).
  twin?.resetBeam?.(state.beam === 'stored' ? 'stored' : 'none');
  // The machine as the seed starts: measured before anything is written (a fresh seed), kept in initial.json.
  const initialPath = join(dir, INITIAL_FILE);
  let initial: Figures;
  if (files.length > 0 && existsSync(initialPath)) initial = readJson<{ header: SeedHeader; figures: Figures }>(initialPath).figures;
  else if (files.length > 0) throw new CommissioningError(`${initialPath}: missing although stages were written; remove ${dir} to compute the seed again`);
  else {
    initial = await measureFigures(acc, el, targets);
    writeJson(initialPath, { header, figures: initial });
  }
  const stages = files.map((f) => f.record);
  const timings = files.map((f) => f.timing);
  const finished = last && (last.record.next === 'stop' || last.record.next === 'end');
  for (let i = files.length; !finished && i < sequence.stages.length; i++) {
    const stage = sequence.stages[i];
    const start = new Date().toISOString();
    const attempts: AttemptRecord[] = [];
    const seconds: number[] = [];
    let success = false;
    const answer = options.confirm ? await options.confirm(stage, i) : 'run';
    const needs = STAGE_INFO[stage.kind].needs;
    const beamMissing = BEAM_ORDER[state.beam] < BEAM_ORDER[needs] ? `${stage.kind} needs a ${needs} beam and the beam is ${state.beam} (an earlier stage did not get it there)` : undefined;
    for (let k = 0; answer === 'run' && k < stage.attempts.length && !success; k++) {
      options.signal?.throwIfAborted();
      const parameters = stage.attempts[k];
      const randomSeed = attemptSeed(header.seed, i, k);
      twin?.reseedNoise?.(randomSeed);
      const t0 = performance.now();
      let values: Record<string, number> = {};
      let failure: string | undefined;
      try {
        if (beamMissing) throw new CommissioningError(beamMissing);
        values = await runStage(stage.kind, { acc, state, targets, signal: options.signal }, parameters);
      } catch (e) {
        if (e instanceof AbortedError || options.signal?.aborted) throw e;
        failure = describe(e);
      }
      const da = stage.kind === 'figures' ? (parameters as StageParameters<'figures'>).dynamicAperture : undefined;
      const figures = await measureFigures(acc, el, targets, da ? { dynamicAperture: { amplitudes: da.amplitudes, npoints: [da.radii, da.angles], nturns: da.turns } } : {});
      failure ??= checkCriteria(stage.success, { ...figures, ...values });
      success = failure === undefined;
      seconds.push((performance.now() - t0) / 1000);
      attempts.push({ parameters, randomSeed, values, figures, success, ...(failure !== undefined ? { failure } : {}) });
    }
    const lastStage = i === sequence.stages.length - 1;
    const then = answer === 'run' ? stage.onFailure.then : answer;
    const next: StageRecord['next'] = success ? (lastStage ? 'end' : 'continue') : then === 'skip' ? (lastStage ? 'end' : 'skip') : 'stop';
    const gives = STAGE_INFO[stage.kind].gives;
    if (success && gives && BEAM_ORDER[gives] > BEAM_ORDER[state.beam]) state.beam = gives;
    const record: StageRecord = {
      header,
      index: i,
      name: stage.name,
      kind: stage.kind,
      attempts,
      success,
      next,
      beam: state.beam,
      injections: state.injections,
      figures: attempts.length > 0 ? attempts[attempts.length - 1].figures : await measureFigures(acc, el, targets),
    };
    const timing: StageTiming = { start, end: new Date().toISOString(), attemptSeconds: seconds, seconds: seconds.reduce((a, b) => a + b, 0), run };
    const file: StageFile = { record, timing, checkpoint: { setpoints: await acc.snapshot({ signal: options.signal }), state: structuredClone(state) } };
    writeJson(join(dir, stageFileName(i, stage.name)), file);
    stages.push(record);
    timings.push(timing);
    options.onStage?.(file);
    if (next === 'stop' || next === 'end') break;
  }
  const out: SeedResultFile = {
    result: summarise(header, initial, stages),
    timing: { stages: timings, seconds: timings.reduce((a, t) => a + t.seconds, 0), runs: run },
  };
  writeJson(resultPath, out);
  return out;
}
