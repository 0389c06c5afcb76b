/**
 * Where a study stands, from its directory alone (the progress view of
 * `mlayer commission status`, for a local or a Slurm study alike): per seed done,
 * running, failed or pending, and the stage it reached.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_FILE } from '@mlayer/data';
import { readStageFiles } from './records.js';
import { type StudyFile, readSeedResult, seedDir } from './study.js';

export type SeedStatus = 'done' | 'running' | 'failed' | 'pending';

export interface SeedProgress {
  readonly seed: number;
  readonly status: SeedStatus;
  /** Stages written so far. */
  readonly stagesDone: number;
  /** The last stage written ('' when none). */
  readonly stage: string;
  /** Stages that succeeded in a row (done seeds). */
  readonly reached?: number;
  readonly error?: string;
}

export interface StudyProgress {
  readonly total: number;
  readonly done: number;
  readonly running: number;
  readonly failed: number;
  readonly pending: number;
  readonly seeds: readonly SeedProgress[];
}

/** The journal's last word per point index: failed points with their error. */
function failedPoints(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as { index?: number; status?: string; error?: string };
      if (typeof r.index !== 'number') continue;
      if (r.status === 'failed') out.set(r.index, r.error ?? '');
      else out.delete(r.index);
    } catch {
      // a torn last line
    }
  }
  return out;
}

export function studyProgress(dir: string, study: StudyFile): StudyProgress {
  const failed = failedPoints(dir);
  const seeds = study.seeds.map((seed, index): SeedProgress => {
    const done = readSeedResult(dir, seed);
    const stages = readStageFiles(seedDir(dir, seed));
    const stage = stages.length > 0 ? stages[stages.length - 1].record.name : '';
    if (done) return { seed, status: 'done', stagesDone: stages.length, stage, reached: done.result.reached };
    if (failed.has(index)) return { seed, status: 'failed', stagesDone: stages.length, stage, error: failed.get(index) };
    return { seed, status: stages.length > 0 || existsSync(join(seedDir(dir, seed), 'worker.log')) ? 'running' : 'pending', stagesDone: stages.length, stage };
  });
  const count = (s: SeedStatus) => seeds.filter((p) => p.status === s).length;
  return { total: seeds.length, done: count('done'), running: count('running'), failed: count('failed'), pending: count('pending'), seeds };
}
