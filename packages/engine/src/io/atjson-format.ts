/**
 * pyAT's JSON lattice format (`at.save_json` / `at.load_json`):
 * `{"atjson": 1, "elements": [...], "properties": {...}}`. Elements are records
 * of AT fields with a Class; properties are the Lattice attributes (name,
 * energy, particle, periodicity, harmonic_number, ...). As in pyAT, elements
 * keep their Energy field and the properties are taken as written. Python's
 * json module writes NaN and Infinity as bare literals: they are accepted on
 * reading and written the same way.
 */
import { writeFileSync } from 'node:fs';
import type { AtElement, FieldValue, Lattice, LatticeProperties } from '../lattice.js';
import { LatticeFileError } from './errors.js';
import { particleFrom } from './lattice-assembly.js';
import { elementRecordForFile, recordToElement } from './mat-format.js';
import { readTextFile } from './text-file.js';

const NAN = '\u0000NaN';
const POS_INF = '\u0000Infinity';
const NEG_INF = '\u0000-Infinity';

/** Quotes bare NaN / Infinity / -Infinity tokens (outside strings) so that JSON.parse accepts them. */
function quoteNonFinite(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith('NaN', i)) {
      out += JSON.stringify(NAN);
      i += 2;
    } else if (text.startsWith('-Infinity', i)) {
      out += JSON.stringify(NEG_INF);
      i += 8;
    } else if (text.startsWith('Infinity', i)) {
      out += JSON.stringify(POS_INF);
      i += 7;
    } else out += c;
  }
  return out;
}

function reviveNonFinite(_key: string, v: unknown): unknown {
  if (v === NAN) return NaN;
  if (v === POS_INF) return Infinity;
  if (v === NEG_INF) return -Infinity;
  return v;
}

function lineCol(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      last = i;
    }
  }
  return { line, column: pos - last };
}

/** Parses the text of a pyAT JSON lattice. */
export function parseAtJson(text: string, file: string): Lattice {
  let data: unknown;
  try {
    data = JSON.parse(quoteNonFinite(text), reviveNonFinite);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const loc = m ? lineCol(text, Number(m[1])) : {};
    throw new LatticeFileError(file, `invalid JSON: ${msg}`, loc, { cause: e });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new LatticeFileError(file, 'a pyAT JSON lattice must be an object with "elements" and "properties"');
  }
  const obj = data as Record<string, unknown>;
  const elems = obj.elements;
  if (!Array.isArray(elems)) throw new LatticeFileError(file, 'no "elements" list');
  const props = (obj.properties ?? {}) as Record<string, unknown>;
  if (typeof props !== 'object' || Array.isArray(props)) throw new LatticeFileError(file, '"properties" is not an object');

  const elements: AtElement[] = elems.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      throw new LatticeFileError(file, `element is not an object: ${JSON.stringify(e)}`, { element: i });
    }
    return recordToElement(e as Record<string, FieldValue>, file, i);
  });

  const energy = props.energy;
  if (typeof energy !== 'number') throw new LatticeFileError(file, 'properties.energy is missing: the lattice energy is not defined');
  const periodicity = props.periodicity ?? 1;
  if (typeof periodicity !== 'number' || !Number.isInteger(periodicity) || periodicity < 1) {
    throw new LatticeFileError(file, `properties.periodicity must be a positive integer, got ${JSON.stringify(periodicity)}`);
  }
  const properties: LatticeProperties = {
    name: typeof props.name === 'string' ? props.name : '',
    energy,
    particle: particleFrom(props.particle as FieldValue | undefined, file),
    periodicity,
  };
  for (const [k, v] of Object.entries(props)) {
    if (['name', 'energy', 'particle', 'periodicity'].includes(k) || v === null || v === undefined) continue;
    properties[k] = v as FieldValue;
  }
  return { elements, properties };
}

export function loadAtJson(path: string): Lattice {
  return parseAtJson(readTextFile(path), path);
}

/** Element fields in pyAT's order: FamName, Length, PassMethod, the others sorted, Class last. */
function orderedRecord(el: AtElement): Record<string, FieldValue> {
  const rec = elementRecordForFile(el);
  const out: Record<string, FieldValue> = { FamName: rec.FamName, Length: rec.Length, PassMethod: rec.PassMethod };
  const rest = Object.keys(rec)
    .filter((k) => !['FamName', 'Length', 'PassMethod', 'Class'].includes(k))
    .sort();
  for (const k of rest) out[k] = rec[k];
  if (rec.Class !== undefined) out.Class = rec.Class;
  return out;
}

/** Serialises a lattice as pyAT JSON text. */
export function formatAtJson(lattice: Lattice, compact = false): string {
  const p = lattice.properties;
  const properties: Record<string, unknown> = { name: p.name, energy: p.energy, particle: p.particle, periodicity: p.periodicity };
  for (const [k, v] of Object.entries(p)) if (!(k in properties) && v !== undefined) properties[k] = v;
  const data = { atjson: 1, elements: lattice.elements.map(orderedRecord), properties };
  const text = JSON.stringify(
    data,
    (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? NAN : v > 0 ? POS_INF : NEG_INF;
      return v;
    },
    compact ? undefined : 2,
  );
  return text
    .replaceAll(JSON.stringify(NAN), 'NaN')
    .replaceAll(JSON.stringify(POS_INF), 'Infinity')
    .replaceAll(JSON.stringify(NEG_INF), '-Infinity');
}

export function saveAtJson(path: string, lattice: Lattice): void {
  writeFileSync(path, formatAtJson(lattice) + '\n');
}
