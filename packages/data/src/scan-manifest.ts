/**
 * `scan_manifest.h5` (seed document section 3): scan metadata and lightweight
 * results of every point. Rebuilt from the plan and the point records and
 * written atomically (temporary name, then rename).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commitTemp, tempPathFor } from './atomic.js';
import { resolveUnit, setUnitAttrs } from './datasets.js';
import { DataFileError } from './errors.js';
import {
  type AttrRead,
  type Dataset,
  type Group,
  childNames,
  ensureGroup,
  getChild,
  isDataset,
  isGroup,
  openH5,
  readAttrs,
  readDataset,
  setAttr,
  setIntAttr,
  writeNumeric,
  writeStrings,
} from './h5.js';
import { writeRootAttrs } from './measurement-file.js';
import type { ScanPlan } from './scan-definition.js';
import type { AnalysisEntry, PointRecord } from './scan-journal.js';
import { MANIFEST_FILE, OUTPUTS_DIR } from './scan-point-file.js';
import { CONFIG_FILE } from './scan-config-file.js';
import { JOURNAL_FILE } from './scan-journal.js';
import { SOFTWARE_NAME, softwareVersion } from './version.js';

const TIME_DIMENSION = [0, 0, 1, 0, 0, 0, 0] as const;

function paramGroupName(i: number): string {
  return `parameter_${String(i + 1).padStart(3, '0')}`;
}

export interface ManifestWriteOptions {
  readonly durable: boolean;
  readonly date: string;
}

/** Writes the manifest of a scan from its plan, the finished points and the analysis entries. */
export async function writeManifest(
  dir: string,
  plan: ScanPlan,
  records: ReadonlyMap<number, PointRecord>,
  analysis: readonly AnalysisEntry[],
  opts: ManifestWriteOptions,
): Promise<string> {
  const target = join(dir, MANIFEST_FILE);
  const tmp = tempPathFor(target);
  const h5 = await openH5(tmp, 'w');
  try {
    writeManifestContent(h5, target, plan, records, analysis, opts);
  } catch (e) {
    h5.close();
    throw e;
  }
  h5.close();
  commitTemp(tmp, target, opts.durable);
  return target;
}

function writeManifestContent(
  h5: Group,
  file: string,
  plan: ScanPlan,
  records: ReadonlyMap<number, PointRecord>,
  analysis: readonly AnalysisEntry[],
  opts: ManifestWriteOptions,
): void {
  const d = plan.definition;
  const N = plan.points.length;
  const P = plan.parameters.length;
  const shape = [...plan.shape];
  let completed = 0;
  let failed = 0;
  for (const r of records.values()) {
    if (r.index >= N) continue;
    if (r.status === 'completed') completed++;
    else failed++;
  }

  writeRootAttrs(h5, file, { extension: 'XSuite_Scans;1', dataType: 'parameter_scan', date: opts.date, author: d.author });
  setAttr(h5, 'scanName', d.name, file);
  setAttr(h5, 'scanType', d.type, file);
  setAttr(h5, 'scanPurpose', d.purpose ?? '', file);

  // /scan_parameters
  const sp = ensureGroup(h5, 'scan_parameters', file);
  setIntAttr(sp, 'numParameters', P, file);
  setIntAttr(sp, 'totalPoints', N, file);
  setIntAttr(sp, 'completedPoints', completed, file);
  setIntAttr(sp, 'failedPoints', failed, file);
  setAttr(sp, 'scanType', d.type, file);
  plan.parameters.forEach((p, j) => {
    const g = ensureGroup(sp, paramGroupName(j), file);
    const column = plan.points.map((row) => row[j]);
    const values = p.axisValues ?? column;
    setAttr(g, 'name', p.name, file);
    setAttr(g, 'symbol', p.symbol ?? p.name, file);
    setAttr(g, 'description', p.description ?? '', file);
    setAttr(g, 'units', p.unit, file);
    setAttr(g, 'unitSI', p.unitSI, file);
    setAttr(g, 'unitDimension', Float64Array.from(p.unitDimension), file);
    setAttr(g, 'min_value', p.min ?? Math.min(...values), file);
    setAttr(g, 'max_value', p.max ?? Math.max(...values), file);
    setIntAttr(g, 'num_points', p.axisValues ? p.axisValues.length : N, file);
    setAttr(g, 'scale', p.scale ?? 'linear', file);
    if (p.referenceFile !== undefined) setAttr(g, 'reference_file', p.referenceFile, file);
    if (p.referencePath !== undefined) setAttr(g, 'reference_path', p.referencePath, file);
  });
  if (d.type === 'optimization') {
    const oc = ensureGroup(sp, 'optimization_config', file);
    for (const [k, v] of Object.entries(d.optimization ?? {})) setAttr(oc, k, v, file);
  }

  // /parameter_space
  const ps = ensureGroup(h5, 'parameter_space', file);
  setIntAttr(ps, 'shape', shape, file);
  setAttr(ps, 'encoding', plan.encoding, file);
  plan.parameters.forEach((p, j) => {
    if (!p.axisValues) return;
    const ds = writeNumeric(ps, `${paramGroupName(j)}_values`, p.axisValues, 'float64', file);
    setAttr(ds, 'name', p.name, file);
    setUnitAttrs(ds, { unit: p.unit, unitSI: p.unitSI, unitDimension: p.unitDimension }, file);
  });
  if (plan.encoding === 'list') {
    const flat = new Float64Array(N * P);
    plan.points.forEach((row, i) => flat.set(row, i * P));
    const ds = writeNumeric(ps, 'point_parameters', flat, 'float64', file, [N, P]);
    setAttr(ds, 'column_names', plan.parameters.map((p) => p.name), file);
    setAttr(ds, 'column_units', plan.parameters.map((p) => p.unit), file);
  }
  if (d.type === 'adaptive' || d.type === 'optimization') {
    const ds = writeNumeric(ps, 'generation', Int32Array.from(plan.generations), 'int32', file);
    setAttr(ds, 'description', 'generation (refinement round) of each point; 0 = initial points', file);
  }

  // /scan_results
  const sr = ensureGroup(h5, 'scan_results', file);
  setAttr(sr, 'result_type', 'summary', file);
  setAttr(sr, 'full_data_location', `${OUTPUTS_DIR}/`, file);
  for (const m of d.metrics) {
    const isInt = m.dtype === 'int32';
    const arr = isInt ? new Int32Array(N).fill(m.failValue ?? -1) : new Float64Array(N).fill(NaN);
    for (const r of records.values()) {
      if (r.index >= N || r.status !== 'completed') continue;
      const v = r.results[m.name];
      if (v !== undefined) arr[r.index] = v;
    }
    const ds = writeNumeric(sr, m.name, arr, isInt ? 'int32' : 'float64', file, shape);
    setAttr(ds, 'description', m.description ?? '', file);
    setUnitAttrs(ds, resolveUnit(m, file, ds.path), file);
    setAttr(ds, 'nan_on_failure', !isInt, file);
    if (isInt) setIntAttr(ds, 'fill_value', m.failValue ?? -1, file);
  }

  // /simulation_status
  const st = ensureGroup(h5, 'simulation_status', file);
  setIntAttr(st, 'totalPoints', N, file);
  setIntAttr(st, 'completedPoints', completed, file);
  setIntAttr(st, 'failedPoints', failed, file);
  setIntAttr(st, 'pendingPoints', N - completed - failed, file);
  const done = new Uint8Array(N);
  const start = new Array<string>(N).fill('');
  const end = new Array<string>(N).fill('');
  const seconds = new Float64Array(N).fill(NaN);
  const errors = new Array<string>(N).fill('');
  const files = new Array<string>(N).fill('');
  const sums = new Array<string>(N).fill('');
  const fileMap = new Int32Array(N).fill(-1);
  for (const r of records.values()) {
    if (r.index >= N) continue;
    done[r.index] = r.status === 'completed' ? 1 : 0;
    start[r.index] = r.startTime;
    end[r.index] = r.endTime;
    seconds[r.index] = r.computationTime;
    errors[r.index] = r.status === 'failed' ? r.error || 'failed' : '';
    files[r.index] = r.file;
    sums[r.index] = r.sha256;
    fileMap[r.index] = r.index;
  }
  const c = writeNumeric(st, 'completed', done, 'uint8', file, shape);
  setAttr(c, 'description', '1 = completed, 0 = failed or not run (see error_messages)', file);
  const ts = ensureGroup(st, 'timestamps', file);
  writeStrings(ts, 'start_time', start, file, { shape, fixed: true });
  writeStrings(ts, 'end_time', end, file, { shape, fixed: true });
  const ct = writeNumeric(st, 'computation_time', seconds, 'float64', file, shape);
  setUnitAttrs(ct, { unit: 's', unitSI: 1, unitDimension: TIME_DIMENSION }, file);
  writeStrings(st, 'error_messages', errors, file, { shape, fixed: true });

  // /references
  const rf = ensureGroup(h5, 'references', file);
  setAttr(rf, 'config_file', CONFIG_FILE, file);
  setAttr(rf, 'journal_file', JOURNAL_FILE, file);
  for (const [role, p] of Object.entries(d.config?.inputFiles ?? {})) {
    const key = role === 'lattice' ? 'lattice_file' : role;
    setAttr(rf, key, typeof p === 'string' ? p : [...p], file);
  }
  writeStrings(rf, 'output_files', files, file, { fixed: true });
  const map = writeNumeric(rf, 'point_to_file_map', fileMap, 'int32', file, shape);
  setAttr(map, 'description', 'index into output_files for each point of the parameter space; -1 = no file yet', file);
  const ck = writeStrings(rf, 'checksums', sums, file, { fixed: true });
  setAttr(ck, 'algorithm', 'SHA-256', file);

  // /analysis
  const an = ensureGroup(h5, 'analysis', file);
  const latest = analysis.length ? analysis[analysis.length - 1] : undefined;
  setAttr(an, 'analysis_software', latest?.software ?? `${SOFTWARE_NAME} ${softwareVersion()}`, file);
  setAttr(an, 'analysis_date', latest?.date ?? opts.date, file);
  for (const e of analysis) writeAnalysisEntry(an, e, file);
}

function writeAnalysisEntry(an: Group, e: AnalysisEntry, file: string): void {
  let target: Group | Dataset;
  if (e.data) {
    target = writeNumeric(an, e.name, e.data.values, 'float64', file);
    if (e.data.description !== undefined) setAttr(target, 'description', e.data.description, file);
  } else {
    target = ensureGroup(an, e.name, file);
  }
  setAttr(target, 'method', e.method, file);
  if (e.value !== undefined) setAttr(target, 'value', e.value, file);
  if (e.uncertainty !== undefined) setAttr(target, 'uncertainty', e.uncertainty, file);
  setUnitAttrs(target, resolveUnit(e, file, `/analysis/${e.name}`), file);
  for (const [k, v] of Object.entries(e.attributes ?? {})) setAttr(target, k, v, file);
}

/** The manifest as read back. Arrays are flat, row-major, with `shape`. */
export interface ManifestContents {
  readonly path: string;
  readonly size: number;
  readonly attributes: Record<string, AttrRead>;
  readonly scanName: string;
  readonly scanType: string;
  readonly encoding: 'grid' | 'list';
  readonly shape: number[];
  readonly totalPoints: number;
  readonly parameters: { name: string; attributes: Record<string, AttrRead>; values?: Float64Array }[];
  readonly pointParameters?: { values: Float64Array; columns: string[] };
  readonly results: Record<string, { dtype: string; values: Float64Array | Int32Array; attributes: Record<string, AttrRead> }>;
  readonly status: {
    readonly attributes: Record<string, AttrRead>;
    readonly completed: Uint8Array;
    readonly startTime: string[];
    readonly endTime: string[];
    readonly computationTime: Float64Array;
    readonly errorMessages: string[];
  };
  readonly references: {
    readonly attributes: Record<string, AttrRead>;
    readonly outputFiles: string[];
    readonly pointToFileMap: Int32Array;
    readonly checksums: string[];
  };
  readonly analysis: Record<string, { attributes: Record<string, AttrRead>; data?: Float64Array }>;
}

function need<T extends Group | Dataset>(root: Group, rel: string, file: string, kind: 'group' | 'dataset'): T {
  const e = getChild(root, rel);
  if (kind === 'group' ? !isGroup(e) : !isDataset(e)) throw new DataFileError(file, `${kind} is missing`, `/${rel}`);
  return e as T;
}

/** Reads a scan manifest (path of the file, or of the scan directory). */
export async function readManifest(pathOrDir: string): Promise<ManifestContents> {
  const path = existsSync(pathOrDir) && statSync(pathOrDir).isDirectory() ? join(pathOrDir, MANIFEST_FILE) : pathOrDir;
  const h5 = await openH5(path, 'r');
  try {
    const attrs = readAttrs(h5);
    if (attrs.dataType !== 'parameter_scan') throw new DataFileError(path, `not a scan manifest (dataType ${JSON.stringify(attrs.dataType)})`);
    const ds = (rel: string) => readDataset(need<Dataset>(h5, rel, path, 'dataset'));
    const sp = need<Group>(h5, 'scan_parameters', path, 'group');
    const ps = need<Group>(h5, 'parameter_space', path, 'group');
    const psAttrs = readAttrs(ps);
    const shape = Array.isArray(psAttrs.shape) ? (psAttrs.shape as number[]) : [Number(psAttrs.shape)];
    const parameters = childNames(sp)
      .filter((n) => /^parameter_\d{3}$/.test(n))
      .map((n) => {
        const g = sp.get(n) as Group;
        const a = readAttrs(g);
        const v = getChild(ps, `${n}_values`);
        return { name: String(a.name), attributes: a, ...(isDataset(v) ? { values: Float64Array.from(readDataset(v).value as Float64Array) } : {}) };
      });
    const ppE = getChild(ps, 'point_parameters');
    const pointParameters = isDataset(ppE)
      ? { values: readDataset(ppE).value as Float64Array, columns: readAttrs(ppE).column_names as string[] }
      : undefined;
    const results: ManifestContents['results'] = {};
    const sr = need<Group>(h5, 'scan_results', path, 'group');
    for (const n of childNames(sr)) {
      const e = sr.get(n);
      if (!isDataset(e)) continue;
      const r = readDataset(e);
      results[n] = { dtype: r.dtype, values: r.value as Float64Array | Int32Array, attributes: readAttrs(e) };
    }
    const analysis: ManifestContents['analysis'] = {};
    const an = getChild(h5, 'analysis');
    if (isGroup(an)) {
      for (const n of childNames(an)) {
        const e = an.get(n);
        if (isDataset(e)) analysis[n] = { attributes: readAttrs(e), data: Float64Array.from(readDataset(e).value as Float64Array) };
        else if (isGroup(e)) analysis[n] = { attributes: readAttrs(e) };
      }
    }
    const spAttrs = readAttrs(sp);
    return {
      path,
      size: statSync(path).size,
      attributes: attrs,
      scanName: String(attrs.scanName),
      scanType: String(attrs.scanType),
      encoding: psAttrs.encoding === 'grid' ? 'grid' : 'list',
      shape,
      totalPoints: Number(spAttrs.totalPoints),
      parameters,
      pointParameters,
      results,
      status: {
        attributes: readAttrs(need<Group>(h5, 'simulation_status', path, 'group')),
        completed: ds('simulation_status/completed').value as Uint8Array,
        startTime: ds('simulation_status/timestamps/start_time').value as string[],
        endTime: ds('simulation_status/timestamps/end_time').value as string[],
        computationTime: ds('simulation_status/computation_time').value as Float64Array,
        errorMessages: ds('simulation_status/error_messages').value as string[],
      },
      references: {
        attributes: readAttrs(need<Group>(h5, 'references', path, 'group')),
        outputFiles: ds('references/output_files').value as string[],
        pointToFileMap: ds('references/point_to_file_map').value as Int32Array,
        checksums: ds('references/checksums').value as string[],
      },
      analysis,
    };
  } finally {
    h5.close();
  }
}
