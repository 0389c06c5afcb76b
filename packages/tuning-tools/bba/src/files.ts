/**
 * BBA results as files (issue 21 item 6): the measurement file (JSON: the plan,
 * every orbit read, the records, the offsets with their errors) and the BPM offsets
 * file the orbit tool reads (core's bpm-reference format: unit, families, by
 * device name; `orbit correct` with tools.orbit.offsets or --target).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BbaResult } from './analyse.js';
import { BbaError } from './errors.js';
import type { BbaData } from './measure.js';

export const BBA_DATA_TYPE = 'mlayer.bba';

export interface BbaFile {
  readonly type: typeof BBA_DATA_TYPE;
  readonly version: 1;
  readonly time: string;
  readonly facility: string;
  readonly data: BbaData;
  readonly offsets: readonly { plane: string; family: string; bpm: string; quad: string; corrector: string; offset: number; sigma: number; used: number; extra?: boolean }[];
}

export function bbaFile(data: BbaData, result: BbaResult): BbaFile {
  return {
    type: BBA_DATA_TYPE,
    version: 1,
    time: new Date().toISOString(),
    facility: data.plan.facility,
    data,
    offsets: result.pairs.map((p) => ({ plane: p.plane, family: p.bpmFamily, bpm: p.bpm, quad: p.quad, corrector: p.corrector, offset: p.offset, sigma: p.sigma, used: p.used, ...(p.extra ? { extra: true } : {}) })),
  };
}

export function saveBba(file: string, data: BbaData, result: BbaResult): void {
  writeFileSync(file, `${JSON.stringify(bbaFile(data, result), null, 1)}\n`);
}

export function loadBba(file: string): BbaFile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BbaError(`${file}: not a BBA measurement file: ${(e as Error).message}`);
  }
  const d = doc as Partial<BbaFile>;
  if (!d || d.type !== BBA_DATA_TYPE) throw new BbaError(`${file}: type is ${JSON.stringify(d?.type)}, expected '${BBA_DATA_TYPE}' (a file of mlayer bba measure)`);
  if (d.version !== 1) throw new BbaError(`${file}: version ${JSON.stringify(d.version)} is not supported (1)`);
  if (!Array.isArray(d.offsets) || !d.data) throw new BbaError(`${file}: offsets or data missing`);
  return d as BbaFile;
}

/**
 * The BPM offsets document in core's bpm-reference format (µm). JSON text, which
 * is also YAML: write it as .json or .yaml. Non-finite offsets are left out.
 */
export function offsetsDocument(offsets: BbaFile['offsets'], description?: string): { unit: 'um'; description: string; families: Record<string, Record<string, number>> } {
  const families: Record<string, Record<string, number>> = {};
  for (const o of offsets) {
    if (!Number.isFinite(o.offset)) continue;
    (families[o.family] ??= {})[o.bpm] = Math.round(o.offset * 1e9) / 1e3;
  }
  return { unit: 'um', description: description ?? 'BPM offsets from beam-based alignment (mlayer bba)', families };
}

export function writeOffsets(file: string, offsets: BbaFile['offsets'], description?: string): void {
  writeFileSync(file, `${JSON.stringify(offsetsDocument(offsets, description), null, 1)}\n`);
}
