/**
 * `summariseFile(path)`: a readable summary of any mlayer data file (measurement,
 * scan manifest, scan configuration, point file) or of a scan directory.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataFileError } from './errors.js';
import { type AttrRead, type Group, type H5File, childNames, h5guard, h5guardAsync, isDataset, isGroup, openH5, readAttrs } from './h5.js';
import { readManifest } from './scan-manifest.js';
import { MANIFEST_FILE } from './scan-point-file.js';
import { formatUnitDimension } from '@mlayer/core';
import { verifyChecksums } from './checksums.js';

function fmtAttr(v: AttrRead): string {
  if (Array.isArray(v)) {
    const s = (v as (string | number)[]).slice(0, 8).map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x)));
    return `[${s.join(', ')}${v.length > 8 ? `, … (${v.length})` : ''}]`;
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function fmtNum(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x);
}

function tree(g: Group, indent: string, lines: string[], depth: number): void {
  for (const name of childNames(g)) {
    const e = g.get(name);
    if (isGroup(e)) {
      const a = readAttrs(e);
      const keys = Object.keys(a);
      lines.push(`${indent}${name}/${keys.length ? `  (${keys.length} attributes)` : ''}`);
      if (depth < 6) tree(e, `${indent}  `, lines, depth + 1);
    } else if (isDataset(e)) {
      const a = readAttrs(e);
      const m = e.metadata;
      const type = m.type === 1 ? `float${m.size * 8}` : m.type === 0 ? `${m.signed ? 'int' : 'uint'}${m.size * 8}` : m.type === 3 ? 'string' : `class ${m.type}`;
      const unit = typeof a.unit === 'string' ? ` [${a.unit || '1'}]` : typeof a.units === 'string' ? ` [${a.units}]` : '';
      const dim = Array.isArray(a.unitDimension) ? ` (${formatUnitDimension(a.unitDimension as number[])})` : '';
      const axes = Array.isArray(a.axisLabels) ? ` axes ${fmtAttr(a.axisLabels)}` : '';
      lines.push(`${indent}${name}  ${type} [${(e.shape ?? []).join(' × ') || 'scalar'}]${unit}${dim}${axes}`);
    }
  }
}

async function summariseManifest(manifestPath: string, dir: string): Promise<string> {
  const m = await readManifest(manifestPath);
  const a = m.status.attributes;
  const lines = [
    `scan ${m.scanName} (${m.scanType}, ${m.encoding} ${m.shape.join(' × ')}) in ${dir}`,
    `  purpose: ${String(m.attributes.scanPurpose ?? '')}`,
    `  author: ${String(m.attributes.author)}, date ${String(m.attributes.date)}`,
    `  points: ${m.totalPoints} total, ${String(a.completedPoints)} completed, ${String(a.failedPoints)} failed, ${String(a.pendingPoints)} pending`,
    `  manifest: ${m.size} bytes`,
    '  parameters:',
  ];
  for (const p of m.parameters) {
    const pa = p.attributes;
    lines.push(`    ${p.name} (${String(pa.symbol)}) [${String(pa.units)}]: ${fmtNum(Number(pa.min_value))} … ${fmtNum(Number(pa.max_value))}, ${String(pa.num_points)} points, ${String(pa.scale)}`);
  }
  lines.push('  results:');
  for (const [name, r] of Object.entries(m.results)) {
    let lo = Infinity;
    let hi = -Infinity;
    let nan = 0;
    for (const v of r.values) {
      if (Number.isNaN(v)) nan++;
      else {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    const range = lo <= hi ? `${fmtNum(lo)} … ${fmtNum(hi)}` : 'no values';
    lines.push(`    ${name} ${r.dtype} [${String(r.attributes.unit ?? '')}]: ${range}${nan ? `, ${nan} NaN` : ''}`);
  }
  const failures = m.status.errorMessages.map((e, i) => [i, e] as const).filter(([, e]) => e);
  if (failures.length) {
    lines.push('  failed points:');
    for (const [i, e] of failures.slice(0, 10)) lines.push(`    ${i}: ${e}`);
    if (failures.length > 10) lines.push(`    … ${failures.length - 10} more`);
  }
  const an = Object.entries(m.analysis);
  if (an.length) {
    lines.push('  analysis:');
    for (const [name, e] of an) {
      const v = e.attributes.value;
      const u = e.attributes.uncertainty;
      lines.push(`    ${name}: ${String(e.attributes.method)}${v !== undefined ? ` = ${fmtAttr(v)}` : ''}${u !== undefined ? ` ± ${fmtAttr(u)}` : ''} ${String(e.attributes.unit ?? '')}`);
    }
  }
  return lines.join('\n');
}

/** A readable, multi-line summary of a data file or scan directory. */
export async function summariseFile(path: string): Promise<string> {
  if (!existsSync(path)) throw new DataFileError(path, 'no such file or directory');
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, MANIFEST_FILE))) throw new DataFileError(path, `not a scan directory (${MANIFEST_FILE} is missing)`);
    return h5guardAsync(join(path, MANIFEST_FILE), () => summariseManifest(join(path, MANIFEST_FILE), path));
  }
  const h5 = await openH5(path, 'r');
  const lines: string[] = [];
  try {
    h5guard(path, () => summaryLines(h5, path, lines));
  } finally {
    h5.close();
  }
  if (lines[0].includes(': parameter_scan (')) return `${await h5guardAsync(path, () => summariseManifest(path, join(path, '..')))}\n${lines.slice(1).join('\n')}`;
  return lines.join('\n');
}

function summaryLines(h5: H5File, path: string, lines: string[]): void {
  const a = readAttrs(h5);
  const type = typeof a.dataType === 'string' ? a.dataType : 'HDF5 file';
  lines.push(`${path}: ${type} (${statSync(path).size} bytes)`);
  for (const k of ['openPMD', 'openPMDextension', 'date', 'author', 'software', 'softwareVersion', 'description', 'scanName', 'scanType', 'scanPoint']) {
    if (a[k] !== undefined) lines.push(`  ${k}: ${fmtAttr(a[k])}`);
  }
  const meta = h5.keys().includes('meta') ? h5.get('meta') : null;
  if (isGroup(meta)) {
    const m = readAttrs(meta);
    lines.push(`  facility: ${String(m.facility)} (config sha256 ${String(m.facilityConfigSha256).slice(0, 12)}…)`);
    lines.push(`  lattice: ${m.latticeFile !== undefined ? `${String(m.latticeFile)} ` : ''}(sha256 ${String(m.latticeSha256).slice(0, 12)}…)`);
    lines.push(`  mode: ${String(m.mode)}${m.errorSeed !== undefined ? `, error seed ${String(m.errorSeed)}` : ''}`);
  }
  const sm = h5.keys().includes('scan_metadata') ? h5.get('scan_metadata') : null;
  if (isGroup(sm)) {
    const m = readAttrs(sm);
    lines.push(`  point ${String(m.parameter_point)}: ${fmtAttr(m.parameter_names)} = ${fmtAttr(m.parameter_values)}`);
    lines.push(`  status: ${String(m.status)}${m.error_message ? ` (${String(m.error_message)})` : ''}, ${fmtNum(Number(m.computation_time))} s`);
  }
  // A corrupted file is reported as such (DataFileError naming the dataset), never summarised as fine.
  const sums = verifyChecksums(h5, path);
  lines.push(`  checksums: ${sums.verified} dataset${sums.verified === 1 ? '' : 's'} verified${sums.unchecked ? `, ${sums.unchecked} without a checksum` : ''}`);
  lines.push('  contents:');
  tree(h5, '    ', lines, 0);
}
