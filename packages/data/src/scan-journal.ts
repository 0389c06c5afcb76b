/**
 * The scan journal (`scan_journal.jsonl`): one JSON line appended per finished
 * point (and per analysis entry). It is the runner's record of what is done;
 * the manifest is rebuilt from it. A line is written with a single append
 * after the point file is in place, so a killed run leaves whole lines (a torn
 * last line is ignored).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const JOURNAL_FILE = 'scan_journal.jsonl';

export type PointStatus = 'completed' | 'failed';

/** What is known of a finished point. */
export interface PointRecord {
  readonly index: number;
  readonly status: PointStatus;
  /** Output file, relative to the scan directory (e.g. "outputs/point_0007.h5"). */
  readonly file: string;
  /** SHA-256 of the output file (hex). */
  readonly sha256: string;
  readonly startTime: string;
  readonly endTime: string;
  /** Seconds. */
  readonly computationTime: number;
  /** Empty when completed. */
  readonly error: string;
  /** Summary metrics (NaN where not available). */
  readonly results: Readonly<Record<string, number>>;
  readonly generation: number;
}

/** A derived quantity stored under /analysis of the manifest. */
export interface AnalysisEntry {
  /** Name of the group (or dataset) under /analysis, e.g. "tmci_threshold". */
  readonly name: string;
  readonly method: string;
  readonly value?: number;
  readonly uncertainty?: number;
  readonly unit: string;
  readonly unitSI?: number;
  readonly unitDimension?: readonly [number, number, number, number, number, number, number];
  /** Further attributes, e.g. threshold_criterion, independent_parameter. */
  readonly attributes?: Readonly<Record<string, string | number | readonly string[] | readonly number[]>>;
  /** A dataset (e.g. a threshold curve): the entry is then stored as a dataset, not a group. */
  readonly data?: { readonly values: readonly number[] | readonly (readonly number[])[]; readonly description?: string };
  /** Software and date of the analysis (defaults: mlayer, now). */
  readonly software?: string;
  readonly date?: string;
}

type JournalLine = ({ kind: 'point' } & PointRecord) | ({ kind: 'analysis' } & AnalysisEntry);

function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === null) return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return NaN;
}

export function appendPoint(dir: string, r: PointRecord): void {
  const results: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(r.results)) results[k] = encodeNumber(v);
  const line = JSON.stringify({ kind: 'point', ...r, computationTime: encodeNumber(r.computationTime), results });
  appendFileSync(join(dir, JOURNAL_FILE), `${line}\n`);
}

export function appendAnalysis(dir: string, e: AnalysisEntry): void {
  appendFileSync(join(dir, JOURNAL_FILE), `${JSON.stringify({ kind: 'analysis', ...e })}\n`);
}

export interface JournalContents {
  /** Last record per point index. */
  readonly points: Map<number, PointRecord>;
  /** Last entry per analysis name, in first-seen order. */
  readonly analysis: Map<string, AnalysisEntry>;
  /** Lines that could not be parsed (a torn last line after a kill). */
  readonly badLines: number[];
}

export function readJournal(dir: string): JournalContents {
  const points = new Map<number, PointRecord>();
  const analysis = new Map<string, AnalysisEntry>();
  const badLines: number[] = [];
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) return { points, analysis, badLines };
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let o: JournalLine;
    try {
      o = JSON.parse(text) as JournalLine;
    } catch {
      badLines.push(i + 1);
      return;
    }
    if (o.kind === 'point' && Number.isInteger(o.index) && (o.status === 'completed' || o.status === 'failed')) {
      const results: Record<string, number> = {};
      for (const [k, v] of Object.entries(o.results ?? {})) results[k] = decodeNumber(v);
      points.set(o.index, {
        index: o.index,
        status: o.status,
        file: String(o.file),
        sha256: String(o.sha256),
        startTime: String(o.startTime),
        endTime: String(o.endTime),
        computationTime: decodeNumber(o.computationTime),
        error: String(o.error ?? ''),
        results,
        generation: Number.isInteger(o.generation) ? o.generation : 0,
      });
    } else if (o.kind === 'analysis' && typeof o.name === 'string') {
      analysis.set(o.name, o);
    } else {
      badLines.push(i + 1);
    }
  });
  return { points, analysis, badLines };
}
