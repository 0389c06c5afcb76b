/**
 * A commissioning study: the sequence run on many error seeds, as an openPMD
 * parameter scan over the seed (@mlayer/data's runScan: scan_manifest.h5,
 * scan_config.h5, scan_journal.jsonl, outputs/point_NNNN.h5), with the seeds'
 * stage files under seeds/seed-NNNN/ and the study's definition in study.json.
 *
 * Each point of the scan is one seed: its result is computed once (by a worker
 * process, a Slurm array task, ...) into its seed directory, then written into the
 * point's file (the records of every stage, the figures per stage) and its summary
 * into the manifest. A study run again resumes: finished points are kept, seeds with
 * a result are read, not computed again, and a seed stopped midway resumes at its
 * last stage.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ScanDefinition, type ScanMetric, type ScanRunSummary, type PointRecord, runScan, sha256File } from '@mlayer/data';
import { canonicalJson, revive } from './canonical-json.js';
import { CommissioningError } from './errors.js';
import { FIGURES, FIGURE_NAMES, figureUnit } from './figure-names.js';
import { RESULT_FILE, type SeedResultFile, readJson, writeJson } from './records.js';

export const STUDY_FILE = 'study.json';
export const SEEDS_DIR = 'seeds';

export interface StudySpec {
  /** Study name (letters, digits, _ . -). */
  readonly name: string;
  readonly author: string;
  /** Facility file or package directory. */
  readonly facility: string;
  /** Error-set file applied to each seed's twin (absent: the twin without errors). */
  readonly errors?: string;
  readonly sequence: string;
  readonly seeds: readonly number[];
  readonly mode?: string;
}

/** study.json: the spec with absolute paths and the SHA-256 of the sequence and error-set files. */
export interface StudyFile extends StudySpec {
  readonly sequenceSha256: string;
  readonly errorsSha256?: string;
  /** The scan definition the study was created with (a later software's metric texts do not block a resume). */
  readonly definition?: ScanDefinition;
}

export function seedDir(dir: string, seed: number): string {
  return join(dir, SEEDS_DIR, `seed-${String(seed).padStart(4, '0')}`);
}

/** Creates the study directory's study.json, or checks that an existing one is the same study. */
export function openStudy(dir: string, spec: StudySpec): StudyFile {
  if (!spec.seeds.length || spec.seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new CommissioningError(`study ${spec.name}: seeds must be non-negative integers (got ${JSON.stringify(spec.seeds)})`);
  if (new Set(spec.seeds).size !== spec.seeds.length) throw new CommissioningError(`study ${spec.name}: seeds must be distinct (got ${JSON.stringify(spec.seeds)})`);
  for (const [what, f] of [['sequence', spec.sequence], ['error set', spec.errors], ['facility', spec.facility]] as const) {
    if (f !== undefined && !existsSync(resolve(f))) throw new CommissioningError(`study ${spec.name}: the ${what} file ${resolve(f)} does not exist (nothing was written)`);
  }
  const file: StudyFile = {
    ...spec,
    facility: resolve(spec.facility),
    sequence: resolve(spec.sequence),
    errors: spec.errors ? resolve(spec.errors) : undefined,
    sequenceSha256: sha256File(resolve(spec.sequence)),
    errorsSha256: spec.errors ? sha256File(resolve(spec.errors)) : undefined,
  };
  const path = join(dir, STUDY_FILE);
  if (existsSync(path)) {
    const old = readStudy(dir);
    for (const k of ['name', 'facility', 'errors', 'sequence', 'sequenceSha256', 'errorsSha256', 'mode'] as const) {
      if (canonicalJson(old[k]) !== canonicalJson(file[k])) throw new CommissioningError(`${path}: the study was started with ${k} ${JSON.stringify(old[k])}, not ${JSON.stringify(file[k])}; use another directory`);
    }
    if (canonicalJson(old.seeds) !== canonicalJson(file.seeds)) throw new CommissioningError(`${path}: the study was started with seeds ${JSON.stringify(old.seeds)}, not ${JSON.stringify(file.seeds)}; use another directory`);
    return old;
  }
  mkdirSync(dir, { recursive: true });
  const created = { ...file, definition: studyDefinition(file) };
  writeJson(path, created);
  return created;
}

export function readStudy(dir: string): StudyFile {
  const path = join(dir, STUDY_FILE);
  if (!existsSync(path)) throw new CommissioningError(`${dir}: not a commissioning study (no ${STUDY_FILE})`);
  return JSON.parse(readFileSync(path, 'utf8'), revive) as StudyFile;
}

/** The manifest's summary metrics of a seed. */
export const STUDY_METRICS: readonly ScanMetric[] = [
  { name: 'stages_reached', unit: '', dtype: 'int32', failValue: -1, description: 'stages that succeeded in a row from the first' },
  { name: 'completed', unit: '', dtype: 'int32', failValue: -1, description: '1 when the seed went through the whole sequence, 0 when a stage stopped it' },
  { name: 'injections', unit: '', dtype: 'int32', failValue: -1, description: 'injections used' },
  ...FIGURE_NAMES.map((n) => ({ name: n, unit: figureUnit(n), description: `${FIGURES[n]} after the last stage` })),
];

export function studyDefinition(study: StudyFile): ScanDefinition {
  return {
    name: study.name,
    type: 'line',
    purpose: `commissioning study: sequence ${study.sequence} on ${study.seeds.length} error seeds`,
    author: study.author,
    parameters: [{ name: 'seed', unit: '', description: 'error seed of the twin', values: study.seeds }],
    metrics: STUDY_METRICS,
    config: {
      simulation: { sequenceSha256: study.sequenceSha256, facility: study.facility, ...(study.errorsSha256 ? { errorsSha256: study.errorsSha256 } : {}) },
    },
  };
}

/** Computes a seed so that its directory holds its result (a worker process, a Slurm task, ...). */
export type SeedComputer = (seed: number, dir: string, signal?: AbortSignal) => Promise<void>;

export interface RunStudyOptions {
  /** Seeds computed at the same time (default 1). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly onPoint?: (record: PointRecord, progress: { done: number; total: number }) => void;
}

export function readSeedResult(dir: string, seed: number): SeedResultFile | undefined {
  const path = join(seedDir(dir, seed), RESULT_FILE);
  return existsSync(path) ? readJson<SeedResultFile>(path) : undefined;
}

/** Runs (or resumes) a study: each seed without a result is given to `compute`, then written into its scan point. */
export async function runStudy(dir: string, study: StudyFile, compute: SeedComputer, options: RunStudyOptions = {}): Promise<ScanRunSummary> {
  return runScan(
    dir,
    study.definition ?? studyDefinition(study),
    async (point, ctx) => {
      const seed = point.values.seed;
      let done = readSeedResult(dir, seed);
      if (!done) {
        await compute(seed, seedDir(dir, seed), ctx.signal);
        done = readSeedResult(dir, seed);
        if (!done) throw new CommissioningError(`seed ${seed}: no result in ${seedDir(dir, seed)} after it was computed`);
      }
      const r = done.result;
      ctx.output.writeStrings('records', r.stages.map((s) => canonicalJson(s)), { description: 'the record of each stage (canonical JSON)' });
      ctx.output.writeStrings('stages', r.stages.map((s) => s.name), { description: 'stage names' });
      ctx.output.writeDataset('success', Int32Array.from(r.stages, (s) => (s.success ? 1 : 0)), { unit: '', dtype: 'int32', description: '1 when the stage succeeded' });
      ctx.output.writeDataset('wall_time', Float64Array.from(done.timing.stages, (t) => t.seconds), { unit: 's', description: 'wall time of each stage' });
      for (const n of FIGURE_NAMES) ctx.output.writeDataset(`figures/${n}`, Float64Array.from(r.stages, (s) => s.figures[n]), { unit: figureUnit(n), description: FIGURES[n] });
      ctx.output.setAttribute('seed', seed);
      ctx.output.setAttribute('sequenceSha256', done.result.header.sequence.sha256);
      const last = r.stages[r.stages.length - 1];
      return {
        stages_reached: r.reached,
        completed: r.completed ? 1 : 0,
        injections: last?.injections ?? 0,
        ...Object.fromEntries(FIGURE_NAMES.map((n) => [n, r.figures[n] ?? Number.NaN])),
      };
    },
    { concurrency: options.concurrency, signal: options.signal, onPoint: options.onPoint, retryFailed: true, manifestIntervalMs: 2000 },
  );
}
