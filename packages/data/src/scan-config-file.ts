/**
 * `scan_config.h5`: fixed parameters of a scan (seed document section 4) plus the
 * scan definition itself (`/scan_definition@json`), so that a run can be resumed
 * and checked against the definition it was started with.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commitTemp, tempPathFor } from './atomic.js';
import { DataFileError, ScanDefinitionError } from './errors.js';
import { ensureGroup, getChild, isGroup, openH5, readAttrs, setAttr } from './h5.js';
import { type ScanDefinition, type ScanPlan, canonicalJson, planScan } from './scan-definition.js';
import { sha256File, sha256Of } from './sha256.js';
import { checkMeasurementHeader, writeMeta, writeRootAttrs } from './measurement-file.js';
import { SCAN_EXTENSION } from './version.js';

export const CONFIG_FILE = 'scan_config.h5';

/** The stored definition: the user's definition with the points of every generation. */
function storedDefinition(plan: ScanPlan): { definition: ScanDefinition; generations?: number[] } {
  const d = plan.definition;
  if (d.type === 'adaptive' || d.type === 'optimization') {
    return { definition: { ...d, points: plan.points.map((p) => [...p]) }, generations: [...plan.generations] };
  }
  return { definition: d };
}

function withoutPoints(d: ScanDefinition): string {
  return canonicalJson({ ...d, points: undefined });
}

/** Checks that the given input files exist and returns their SHA-256 (hex). */
function checksumInputs(dir: string, plan: ScanPlan): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [role, p] of Object.entries(plan.definition.config?.inputFiles ?? {})) {
    const paths = typeof p === 'string' ? [p] : [...p];
    const sums = paths.map((rel, i) => {
      if (typeof rel !== 'string' || rel === '') throw new ScanDefinitionError(`config.inputFiles.${role}[${i}]`, rel, 'a path relative to the scan directory is required');
      const abs = join(dir, rel);
      if (!existsSync(abs)) throw new DataFileError(abs, `input file '${role}' does not exist`);
      return `SHA256:${sha256File(abs)}`;
    });
    out[role] = typeof p === 'string' ? sums[0] : sums;
  }
  return out;
}

export async function writeScanConfig(dir: string, plan: ScanPlan, opts: { durable: boolean; date: string }): Promise<void> {
  const target = join(dir, CONFIG_FILE);
  const checksums = checksumInputs(dir, plan);
  const prov = plan.definition.provenance;
  const provHeader = prov ? { ...prov, dataType: 'scan_configuration', author: plan.definition.author, date: opts.date } : undefined;
  if (provHeader) checkMeasurementHeader(provHeader, target);
  const tmp = tempPathFor(target);
  const h5 = await openH5(tmp, 'w');
  try {
    const d = plan.definition;
    writeRootAttrs(h5, target, { extension: SCAN_EXTENSION, dataType: 'scan_configuration', date: opts.date, author: d.author });
    setAttr(h5, 'scanName', d.name, target);
    setAttr(h5, 'scanType', d.type, target);
    const sim = ensureGroup(h5, 'simulation_config', target);
    for (const [k, v] of Object.entries(d.config?.simulation ?? {})) setAttr(sim, k, v, target);
    const fixed = ensureGroup(h5, 'fixed_parameters', target);
    for (const [k, v] of Object.entries(d.config?.fixedParameters ?? {})) setAttr(fixed, k, v, target);
    const refs = ensureGroup(h5, 'input_file_references', target);
    for (const [role, p] of Object.entries(d.config?.inputFiles ?? {})) {
      setAttr(refs, role, typeof p === 'string' ? p : [...p], target);
      setAttr(refs, `${role}_checksum`, checksums[role], target);
    }
    if (provHeader) writeMeta(h5, provHeader, target);
    const json = canonicalJson(storedDefinition(plan));
    const defGroup = ensureGroup(h5, 'scan_definition', target);
    setAttr(defGroup, 'json', json, target);
    setAttr(defGroup, 'sha256', sha256Of(json), target);
  } catch (e) {
    h5.close();
    throw e;
  }
  h5.close();
  commitTemp(tmp, target, opts.durable);
}

/** Reads the stored definition and rebuilds its plan (with every generation's points). */
export async function readScanPlan(dir: string): Promise<ScanPlan | undefined> {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) return undefined;
  const h5 = await openH5(path, 'r');
  let json: string;
  try {
    const g = getChild(h5, 'scan_definition');
    const a = isGroup(g) ? readAttrs(g) : {};
    if (typeof a.json !== 'string') throw new DataFileError(path, 'attribute json is missing', '/scan_definition');
    if (a.sha256 !== sha256Of(a.json)) throw new DataFileError(path, 'stored definition does not match its checksum', '/scan_definition');
    json = a.json;
  } finally {
    h5.close();
  }
  const stored = JSON.parse(json) as { definition: ScanDefinition; generations?: number[] };
  const plan = planScan(stored.definition);
  return stored.generations ? { ...plan, generations: stored.generations } : plan;
}

/**
 * Checks that `def` is the definition stored for this scan. For adaptive and
 * optimization scans the stored point list may extend the given one.
 */
export function checkSameDefinition(dir: string, def: ScanDefinition, stored: ScanPlan): void {
  const a = withoutPoints(def);
  const b = withoutPoints(stored.definition);
  if (a !== b) {
    throw new ScanDefinitionError(
      'definition',
      def.name,
      `differs from the one stored in ${join(dir, CONFIG_FILE)}; resume with the same definition, or use a new directory`,
    );
  }
  if (def.points !== undefined) {
    const given = canonicalJson(def.points);
    const prefix = canonicalJson(stored.points.slice(0, def.points.length));
    if (given !== prefix) throw new ScanDefinitionError('points', def.points.length, `differ from the points stored in ${join(dir, CONFIG_FILE)}`);
  }
}
