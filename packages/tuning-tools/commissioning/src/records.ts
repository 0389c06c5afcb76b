/**
 * What a seed leaves after each stage. The record (compared between runs: the same
 * seed, sequence, error set and facility give the same bytes) is kept apart from
 * the timing (wall times, dates) and from the checkpoint (the setpoints and the
 * seed's state, to resume from).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '@mlayer/core';
import { canonicalJson, revive } from './canonical-json.js';
import { CommissioningError } from './errors.js';
import type { Figures } from './figure-names.js';
import type { StageKind } from './stage-kinds.js';
import type { SeedState } from './stages.js';

/** What every record holds about where it comes from. */
export interface SeedHeader {
  readonly seed: number;
  readonly sequence: { readonly name: string; readonly sha256: string; readonly text: string };
  /** The error set (its file's name and SHA-256 and the parsed document); absent when the twin has none. */
  readonly errorSet?: { readonly file: string; readonly sha256: string; readonly content: unknown };
  readonly facility: { readonly name: string; readonly sha256: string };
  readonly lattice?: { readonly file: string; readonly sha256: string };
  /** Versions of the packages that computed the record. */
  readonly software: Readonly<Record<string, string>>;
}

export interface AttemptRecord {
  readonly parameters: Readonly<Record<string, unknown>>;
  /** The noise seed the twin was given before the attempt (the saved random state). */
  readonly randomSeed: number;
  readonly values: Readonly<Record<string, number>>;
  readonly figures: Figures;
  readonly success: boolean;
  /** Criteria that failed, or the error the tool raised. */
  readonly failure?: string;
}

export interface StageRecord {
  readonly header: SeedHeader;
  readonly index: number;
  readonly name: string;
  readonly kind: StageKind;
  readonly attempts: readonly AttemptRecord[];
  readonly success: boolean;
  /** What follows: the next stage, the next stage after a failure (skip), or the end of the seed (stop, or the last stage). */
  readonly next: 'continue' | 'skip' | 'stop' | 'end';
  readonly beam: SeedState['beam'];
  readonly injections: number;
  /** The figures after the stage (those of the last attempt). */
  readonly figures: Figures;
}

export interface StageTiming {
  readonly start: string;
  readonly end: string;
  /** Wall time of each attempt, s. */
  readonly attemptSeconds: readonly number[];
  readonly seconds: number;
  /** The process (run) that computed the stage: 1 for the first, more when the seed was resumed. */
  readonly run: number;
}

export interface StageCheckpoint {
  readonly setpoints: Snapshot;
  readonly state: SeedState;
}

export interface StageFile {
  readonly record: StageRecord;
  readonly timing: StageTiming;
  readonly checkpoint: StageCheckpoint;
}

export const RESULT_FILE = 'result.json';
/** The figures before the first stage, written when a seed starts. */
export const INITIAL_FILE = 'initial.json';

/** A seed's result, written when its last stage is done. */
export interface SeedResult {
  readonly header: SeedHeader;
  /** The figures before the first stage (the errored machine as the seed starts). */
  readonly initial: Figures;
  readonly stages: readonly StageRecord[];
  /** Stages that succeeded, in order, until the first that did not. */
  readonly reached: number;
  /** Name of the last stage that succeeded in that run of successes ('' when none). */
  readonly reachedStage: string;
  /** The seed went through the whole sequence (no stop). */
  readonly completed: boolean;
  readonly figures: Figures;
}

export interface SeedResultFile {
  readonly result: SeedResult;
  readonly timing: { readonly stages: readonly StageTiming[]; readonly seconds: number; readonly runs: number };
}

export function stageFileName(index: number, name: string): string {
  return `stage-${String(index).padStart(2, '0')}-${name}.json`;
}

/** Writes a file under a temporary name, fsyncs it and renames it into place. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeAtomic(path, `${canonicalJson(value, 1)}\n`);
}

export function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8'), revive) as T;
  } catch (e) {
    throw new CommissioningError(`${path}: not a readable commissioning record (${(e as Error).message})`, { cause: e });
  }
}

/** The stage files of a seed directory, by index (a damaged one ends the list: it and those after are computed again). */
export function readStageFiles(dir: string): StageFile[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((n) => /^stage-\d{2}-.*\.json$/.test(n)).sort();
  const out: StageFile[] = [];
  for (const n of names) {
    let f: StageFile;
    try {
      f = readJson<StageFile>(join(dir, n));
    } catch {
      break;
    }
    if (f.record?.index !== out.length) break;
    out.push(f);
  }
  return out;
}

/** The compared part of a seed's result, as bytes. */
export function recordBytes(result: SeedResult): string {
  return canonicalJson(result);
}
