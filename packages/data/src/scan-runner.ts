/**
 * Runs a parameter scan into a directory laid out as in the seed document:
 *
 * ```
 * <dir>/scan_manifest.h5   rebuilt from the journal (periodically and at the end)
 * <dir>/scan_config.h5     fixed parameters and the scan definition
 * <dir>/scan_journal.jsonl one line per finished point (the runner's record)
 * <dir>/outputs/point_NNNN.h5
 * ```
 *
 * Points run independently. A run that crashed or was killed resumes where it
 * stopped: finished points are found from the journal, the manifest and the
 * point files themselves, their checksums are verified, and they are never
 * computed again; a missing or corrupted point file is computed again. A point
 * whose function throws is recorded as failed (with its error) and the scan
 * goes on. Every file is written under a temporary name and renamed into place.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { removeStaleTemps } from './atomic.js';
import { AbortedError } from '@mlayer/core';
import { processAlive } from '@mlayer/core';
import { DataFileError, ScanLockedError } from './errors.js';
import { type ScanDefinition, type ScanPlan, type ScanPoint, extendPlan, planScan, pointFileName, scanPointOf } from './scan-definition.js';
import { CONFIG_FILE, checkSameDefinition, readScanPlan, writeScanConfig } from './scan-config-file.js';
import { checkMeasurementHeader } from './measurement-file.js';
import { type AnalysisEntry, type PointRecord, appendAnalysis, appendPoint, readJournal } from './scan-journal.js';
import { readManifest, writeManifest } from './scan-manifest.js';
import { MANIFEST_FILE, OUTPUTS_DIR, PointOutput, readPointFile } from './scan-point-file.js';
import { isSha256Hex, sha256File } from './sha256.js';

export const LOCK_FILE = 'scan.lock';

/** Handed to the point function: where to write the point's full data. */
export interface PointContext {
  /** The point's output file (outputs/point_NNNN.h5); write datasets under /data with writeDataset. */
  readonly output: Pick<PointOutput, 'writeDataset' | 'writeStrings' | 'setAttribute'>;
  readonly signal?: AbortSignal;
}

/** Summary metrics of one point, one number per metric of the definition. */
export type PointResult = Readonly<Record<string, number>>;

export type PointFunction = (point: ScanPoint, ctx: PointContext) => PointResult | Promise<PointResult>;

export interface RunScanOptions {
  /** Points computed at the same time (async point functions); default 1. */
  readonly concurrency?: number;
  /** Minimum time between manifest rewrites during the run (ms); default 5000. The manifest is always written at the end. */
  readonly manifestIntervalMs?: number;
  /** Compute failed points again (default false: a failed point is finished). */
  readonly retryFailed?: boolean;
  /**
   * Adaptive and optimization scans: called when every point is finished, with
   * all records and the next generation number; returns new points, or none to stop.
   */
  readonly refine?: (records: readonly PointRecord[], plan: ScanPlan, generation: number) => readonly (readonly number[])[] | Promise<readonly (readonly number[])[]>;
  /** Upper bound on generations added by refine (default 100). */
  readonly maxGenerations?: number;
  /** Called after each finished point. */
  readonly onPoint?: (record: PointRecord, progress: { done: number; total: number }) => void;
  /** fsync files before renaming them (default true). */
  readonly durable?: boolean;
  /** Stops starting new points; the points in flight finish, the manifest is written, then runScan rejects with AbortedError. */
  readonly signal?: AbortSignal;
}

export interface ScanRunSummary {
  readonly dir: string;
  readonly manifest: string;
  readonly totalPoints: number;
  readonly completed: number;
  readonly failed: number;
  /** Points computed by this run. */
  readonly computed: number;
  /** Points found finished and verified (not computed again). */
  readonly reused: number;
  /** Points whose file was missing or did not match its checksum, computed again. */
  readonly recomputed: readonly number[];
  /** Point files found in place but not yet recorded (run killed just after writing them), adopted without recomputing. */
  readonly adopted: readonly number[];
}


/** Takes the scan lock (a file holding the owner's pid); a lock left by a dead process is taken over. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataFileError(path, 'cannot create the scan lock', undefined, { cause: e });
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) throw new ScanLockedError(dir, pid);
      rmSync(path, { force: true });
    }
  }
  throw new DataFileError(path, 'cannot take the scan lock');
}

function prepareDir(dir: string): void {
  const parent = dirname(dir);
  if (!existsSync(parent)) throw new DataFileError(dir, `cannot create the scan directory: '${parent}' does not exist`);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new DataFileError(dir, 'exists and is not a directory');
  mkdirSync(join(dir, OUTPUTS_DIR), { recursive: true });
}

interface ScanState {
  records: Map<number, PointRecord>;
  analysis: AnalysisEntry[];
  recomputed: number[];
  adopted: number[];
}

/**
 * Finds the finished points of a scan: the journal first, then the manifest, then
 * point files not yet recorded. Every finished point's file must exist and match
 * its checksum; those that do not are dropped (and will be computed again).
 */
async function loadState(dir: string, plan: ScanPlan): Promise<ScanState> {
  const journal = readJournal(dir);
  const records = new Map(journal.points);
  const manifestPath = join(dir, MANIFEST_FILE);
  if (existsSync(manifestPath)) {
    try {
      const m = await readManifest(manifestPath);
      for (let i = 0; i < m.references.outputFiles.length; i++) {
        if (records.has(i) || !m.references.outputFiles[i] || !isSha256Hex(m.references.checksums[i])) continue;
        const results: Record<string, number> = {};
        for (const [k, r] of Object.entries(m.results)) results[k] = r.values[i];
        const failed = m.status.completed[i] !== 1;
        records.set(i, {
          index: i,
          status: failed ? 'failed' : 'completed',
          file: m.references.outputFiles[i],
          sha256: m.references.checksums[i],
          startTime: m.status.startTime[i],
          endTime: m.status.endTime[i],
          computationTime: m.status.computationTime[i],
          error: m.status.errorMessages[i],
          results,
          generation: plan.generations[i] ?? 0,
        });
      }
    } catch {
      // An unreadable manifest is rebuilt from the journal and the point files.
    }
  }
  const recomputed: number[] = [];
  for (const [i, r] of [...records]) {
    const abs = join(dir, r.file);
    if (i >= plan.points.length || !existsSync(abs) || sha256File(abs) !== r.sha256) {
      records.delete(i);
      if (i < plan.points.length) recomputed.push(i);
    }
  }
  // Point files in place but not recorded: the run was killed between the rename and the journal line.
  const adopted: number[] = [];
  const outputs = join(dir, OUTPUTS_DIR);
  const names = new Map<string, number>();
  for (let i = 0; i < plan.points.length; i++) names.set(pointFileName(i, plan.points.length), i);
  for (const name of existsSync(outputs) ? readdirSync(outputs) : []) {
    const i = names.get(name);
    if (i === undefined || records.has(i)) continue;
    const abs = join(outputs, name);
    try {
      const p = await readPointFile(abs, false);
      if (p.index !== i || p.parameterValues.length !== plan.points[i].length || p.parameterValues.some((v, j) => v !== plan.points[i][j])) {
        throw new Error('belongs to another point');
      }
      const r: PointRecord = {
        index: i,
        status: p.status,
        file: `${OUTPUTS_DIR}/${name}`,
        sha256: sha256File(abs),
        startTime: p.startTime,
        endTime: p.endTime,
        computationTime: p.computationTime,
        error: p.error,
        results: p.results,
        generation: p.generation,
      };
      appendPoint(dir, r);
      records.set(i, r);
      adopted.push(i);
      const k = recomputed.indexOf(i);
      if (k >= 0) recomputed.splice(k, 1);
    } catch {
      // Not a finished point file of this scan: it is computed again and replaced.
      if (!recomputed.includes(i)) recomputed.push(i);
    }
  }
  return { records, analysis: [...journal.analysis.values()], recomputed: recomputed.sort((a, b) => a - b), adopted };
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Checks a point function's result against the metrics; returns the error text or undefined. */
function checkResult(plan: ScanPlan, result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return `the point function returned ${typeof result}, not a record of metrics`;
  const known = new Set(plan.definition.metrics.map((m) => m.name));
  for (const k of Object.keys(result)) if (!known.has(k)) return `unknown metric '${k}' (metrics: ${[...known].join(', ')})`;
  for (const m of plan.definition.metrics) {
    const v = (result as Record<string, unknown>)[m.name];
    if (typeof v !== 'number') return `metric '${m.name}' is missing or not a number (got ${JSON.stringify(v)})`;
    if (m.dtype === 'int32' && (!Number.isInteger(v) || v < -2147483648 || v > 2147483647)) return `metric '${m.name}' must be an int32 integer (got ${v})`;
  }
  return undefined;
}

/** Runs (or resumes) a scan. See the module comment for the guarantees. */
export async function runScan(dir: string, definition: ScanDefinition, pointFn: PointFunction, options: RunScanOptions = {}): Promise<ScanRunSummary> {
  let plan = planScan(definition);
  const root = resolve(dir);
  if (definition.provenance) {
    checkMeasurementHeader({ ...definition.provenance, dataType: 'scan_configuration', author: definition.author }, join(root, CONFIG_FILE));
  }
  prepareDir(root);
  const release = acquireLock(root);
  try {
    const durable = options.durable ?? true;
    const stored = await readScanPlan(root);
    if (stored) {
      checkSameDefinition(root, definition, stored);
      plan = stored;
    } else {
      await writeScanConfig(root, plan, { durable, date: new Date().toISOString() });
    }
    removeStaleTemps(root);
    removeStaleTemps(join(root, OUTPUTS_DIR));
    const state = await loadState(root, plan);
    const reused = state.records.size - state.adopted.length;
    let computed = 0;
    const interval = options.manifestIntervalMs ?? 5000;
    let lastManifest = Date.now();
    const intMetrics = new Set(plan.definition.metrics.filter((m) => m.dtype === 'int32').map((m) => m.name));
    const writeNow = async (): Promise<string> => {
      lastManifest = Date.now();
      return writeManifest(root, plan, state.records, state.analysis, { durable, date: new Date().toISOString() });
    };

    const runPoint = async (index: number): Promise<void> => {
      const point = scanPointOf(plan, index);
      const rel = `${OUTPUTS_DIR}/${pointFileName(index, plan.points.length)}`;
      const startTime = new Date().toISOString();
      const t0 = performance.now();
      const out = await PointOutput.open(join(root, rel), plan, point, startTime, { durable });
      let status: 'completed' | 'failed' = 'completed';
      let error = '';
      let results: Record<string, number> = {};
      try {
        const r = await pointFn(point, { output: out, signal: options.signal });
        const bad = checkResult(plan, r);
        if (bad) {
          status = 'failed';
          error = `invalid result: ${bad}`;
        } else {
          results = { ...r };
        }
      } catch (e) {
        status = 'failed';
        error = describeError(e);
      }
      const seconds = (performance.now() - t0) / 1000;
      const endTime = new Date().toISOString();
      try {
        out.finish({ status, error, startTime, endTime, computationTime: seconds, results, intMetrics });
        out.close();
      } catch (e) {
        if (!out.isClosed) out.abort();
        throw e;
      }
      const record: PointRecord = {
        index,
        status,
        file: rel,
        sha256: sha256File(join(root, rel)),
        startTime,
        endTime,
        computationTime: seconds,
        error,
        results,
        generation: point.generation,
      };
      appendPoint(root, record);
      state.records.set(index, record);
      computed++;
      options.onPoint?.(record, { done: state.records.size, total: plan.points.length });
      if (Date.now() - lastManifest >= interval) await writeNow();
    };

    const runPending = async (): Promise<void> => {
      const pending: number[] = [];
      for (let i = 0; i < plan.points.length; i++) {
        const r = state.records.get(i);
        if (!r || (options.retryFailed && r.status === 'failed')) pending.push(i);
      }
      const width = Math.max(1, Math.floor(options.concurrency ?? 1));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < pending.length) {
          if (options.signal?.aborted) return;
          await runPoint(pending[next++]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(width, pending.length) }, worker));
    };

    await runPending();
    if (options.refine && (plan.definition.type === 'adaptive' || plan.definition.type === 'optimization')) {
      const maxGen = options.maxGenerations ?? 100;
      for (let gen = Math.max(0, ...plan.generations) + 1; gen <= maxGen && !options.signal?.aborted; gen++) {
        const more = await options.refine([...state.records.values()].sort((a, b) => a.index - b.index), plan, gen);
        if (!more || more.length === 0) break;
        plan = extendPlan(plan, more, gen);
        await writeScanConfig(root, plan, { durable, date: new Date().toISOString() });
        await runPending();
      }
    }
    const manifest = await writeNow();
    if (options.signal?.aborted) {
      throw new AbortedError(`scan ${plan.definition.name} aborted with ${plan.points.length - state.records.size} points left; run it again to resume`);
    }
    let completed = 0;
    let failed = 0;
    for (const r of state.records.values()) r.status === 'completed' ? completed++ : failed++;
    return {
      dir: root,
      manifest,
      totalPoints: plan.points.length,
      completed,
      failed,
      computed,
      reused,
      recomputed: state.recomputed,
      adopted: state.adopted,
    };
  } finally {
    release();
  }
}

/** Adds derived quantities to /analysis of a scan's manifest (kept across later runs). */
export async function addAnalysis(dir: string, entries: readonly AnalysisEntry[], options: { durable?: boolean } = {}): Promise<string> {
  const root = resolve(dir);
  const plan = await readScanPlan(root);
  if (!plan) throw new DataFileError(root, 'not a scan directory (scan_config.h5 is missing)');
  const release = acquireLock(root);
  try {
    const journal = readJournal(root);
    const analysis = new Map(journal.analysis);
    const date = new Date().toISOString();
    for (const e of entries) {
      const entry = { ...e, date: e.date ?? date };
      analysis.set(e.name, entry);
    }
    const path = await writeManifest(root, plan, journal.points, [...analysis.values()], { durable: options.durable ?? true, date });
    // Only recorded once the manifest accepted them (bad entries raise before this point).
    for (const e of entries) appendAnalysis(root, { ...e, date: e.date ?? date });
    return path;
  } finally {
    release();
  }
}
