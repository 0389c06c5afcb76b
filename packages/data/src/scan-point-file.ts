/**
 * `outputs/point_NNNN.h5`: the full output of one scan point (seed document
 * sections 5 and 10), readable on its own:
 *
 * ```
 * / @openPMD @openPMDextension @dataType="scan_point" @date @author @software @softwareVersion
 *   @scanManifest="../scan_manifest.h5" @scanPoint @scanCoordinates
 * /data/...                        datasets written by the point function (units, axes)
 * /inputs/scan_parameters @<name> = value
 * /scan_metadata @parameter_point @parameter_values @parameter_names (and the camelCase forms)
 *                @status @error_message @start_time @end_time @computation_time @generation
 * /scan_metadata/results @<metric> = value
 * ```
 */
import { join } from 'node:path';
import { type DatasetRecord, readDatasetsUnder } from './datasets.js';
import { DataFileError } from './errors.js';
import { type CreateOptions, H5Writer, durableOf } from './h5-writer.js';
import { type AttrRead, ensureGroup, getChild, isGroup, openH5, readAttrs, setAttr, setIntAttr } from './h5.js';
import { writeRootAttrs } from './measurement-file.js';
import type { ScanPlan, ScanPoint } from './scan-definition.js';
import type { PointStatus } from './scan-journal.js';
import { MEASUREMENT_EXTENSION } from './version.js';

export const MANIFEST_FILE = 'scan_manifest.h5';
export const OUTPUTS_DIR = 'outputs';

/** The output file of a point, open for the point function to write full data into (under /data). */
export class PointOutput extends H5Writer {
  static async open(path: string, plan: ScanPlan, point: ScanPoint, date: string, options: CreateOptions): Promise<PointOutput> {
    const { h5, tmp, target } = await H5Writer.openTemp(path, { ...options, overwrite: true });
    const out = new PointOutput(h5, target, tmp, durableOf(options));
    try {
      writeRootAttrs(h5, target, { extension: MEASUREMENT_EXTENSION, dataType: 'scan_point', date, author: plan.definition.author });
      setAttr(h5, 'scanManifest', `../${MANIFEST_FILE}`, target);
      setIntAttr(h5, 'scanPoint', point.index, target);
      setIntAttr(h5, 'scanCoordinates', point.coordinates, target);
      const inputs = ensureGroup(h5, 'inputs', target);
      const sp = ensureGroup(inputs, 'scan_parameters', target);
      for (const [k, v] of Object.entries(point.values)) setAttr(sp, k, v, target);
      const meta = ensureGroup(h5, 'scan_metadata', target);
      const names = plan.parameters.map((p) => p.name);
      setAttr(meta, 'scanManifest', `../${MANIFEST_FILE}`, target);
      setIntAttr(meta, 'parameter_point', point.index, target);
      setIntAttr(meta, 'scanPoint', point.index, target);
      setIntAttr(meta, 'scanCoordinates', point.coordinates, target);
      setAttr(meta, 'parameter_values', Float64Array.from(point.vector), target);
      setAttr(meta, 'parameterValues', Float64Array.from(point.vector), target);
      setAttr(meta, 'parameter_names', names, target);
      setAttr(meta, 'parameterNames', names, target);
      setIntAttr(meta, 'generation', point.generation, target);
    } catch (e) {
      out.abort();
      throw e;
    }
    return out;
  }

  /** Records the outcome in /scan_metadata (called by the runner before close()). */
  finish(o: { status: PointStatus; error: string; startTime: string; endTime: string; computationTime: number; results: Readonly<Record<string, number>>; intMetrics: ReadonlySet<string> }): void {
    const meta = ensureGroup(this.root, 'scan_metadata', this.path);
    setAttr(meta, 'status', o.status, this.path);
    setAttr(meta, 'error_message', o.error, this.path);
    setAttr(meta, 'start_time', o.startTime, this.path);
    setAttr(meta, 'end_time', o.endTime, this.path);
    setAttr(meta, 'computation_time', o.computationTime, this.path);
    const res = ensureGroup(meta, 'results', this.path);
    for (const [k, v] of Object.entries(o.results)) {
      if (o.intMetrics.has(k)) setIntAttr(res, k, v, this.path);
      else setAttr(res, k, v, this.path);
    }
  }
}

export interface PointFileContents {
  readonly path: string;
  readonly index: number;
  readonly coordinates: number[];
  readonly parameterNames: string[];
  readonly parameterValues: number[];
  readonly status: PointStatus;
  readonly error: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly computationTime: number;
  readonly generation: number;
  readonly results: Record<string, number>;
  readonly datasets: DatasetRecord[];
  readonly attributes: Record<string, AttrRead>;
}

/** Reads a point file; a file that is not a finished point file is an error. */
export async function readPointFile(path: string, withData = true): Promise<PointFileContents> {
  const h5 = await openH5(path, 'r');
  try {
    const attrs = readAttrs(h5);
    if (attrs.dataType !== 'scan_point') throw new DataFileError(path, `not a scan point file (dataType ${JSON.stringify(attrs.dataType)})`);
    const meta = getChild(h5, 'scan_metadata');
    if (!isGroup(meta)) throw new DataFileError(path, 'group is missing', '/scan_metadata');
    const m = readAttrs(meta);
    const status = m.status;
    if (status !== 'completed' && status !== 'failed') throw new DataFileError(path, `unfinished point file (status ${JSON.stringify(status)})`, '/scan_metadata');
    const resG = getChild(h5, 'scan_metadata/results');
    const results: Record<string, number> = {};
    if (isGroup(resG)) for (const [k, v] of Object.entries(readAttrs(resG))) results[k] = typeof v === 'number' ? v : NaN;
    const nums = (v: AttrRead | undefined): number[] => (Array.isArray(v) ? (v as number[]) : typeof v === 'number' ? [v] : []);
    return {
      path,
      index: typeof m.parameter_point === 'number' ? m.parameter_point : -1,
      coordinates: nums(m.scanCoordinates),
      parameterNames: Array.isArray(m.parameter_names) ? (m.parameter_names as string[]) : typeof m.parameter_names === 'string' ? [m.parameter_names] : [],
      parameterValues: nums(m.parameter_values),
      status,
      error: typeof m.error_message === 'string' ? m.error_message : '',
      startTime: String(m.start_time ?? ''),
      endTime: String(m.end_time ?? ''),
      computationTime: typeof m.computation_time === 'number' ? m.computation_time : NaN,
      generation: typeof m.generation === 'number' ? m.generation : 0,
      results,
      datasets: withData ? readDatasetsUnder(h5, 'data') : [],
      attributes: attrs,
    };
  } finally {
    h5.close();
  }
}

export function pointFilePath(dir: string, rel: string): string {
  return join(dir, rel);
}
