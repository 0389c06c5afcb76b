/**
 * ORM.json: a measured orbit response matrix handed to mlayer by another code
 * (pyAT, pySC, a lab's own scripts). Format and meaning in docs/loco-files.md.
 *
 * Read strictly: an unknown field, a matrix whose size does not match the BPM and
 * corrector lists, a kick of 0 or a noise that is not positive is an error naming
 * the file, the field and the value. A missing matrix entry (JSON null, or the
 * NaN / Infinity that Python's json module writes) is not an error: it is
 * recorded in `missing` and left out of the fit, and the fit says so.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LocoFileError } from './errors.js';
import { issueError } from './zod-issues.js';

export type Matrix = Float64Array[];

export interface LocoBpm {
  readonly name: string;
  /** 0-based lattice index; the orbit is observed at the element's entrance. */
  readonly element: number;
}

export interface LocoCorrector {
  readonly name: string;
  /** 0-based lattice index of the element whose KickAngle the corrector changes. */
  readonly element: number;
  /** Corrector step in rad (the starting value when kicks are fitted). */
  readonly kick: number;
}

export type BlockName = 'xx' | 'xy' | 'yx' | 'yy';
export const BLOCKS: readonly BlockName[] = ['xx', 'xy', 'yx', 'yy'];

export interface LocoOrm {
  /** The file it was read from (for messages). */
  readonly file: string;
  readonly bpms: readonly LocoBpm[];
  readonly correctors: { readonly x: readonly LocoCorrector[]; readonly y: readonly LocoCorrector[] };
  /** `orm.ab[i][j]`: orbit change in m at BPM i in plane a for the step of corrector j of plane b; NaN where missing. A block not given is absent. */
  readonly orm: Partial<Record<BlockName, Matrix>>;
  /** Orbit change in m per RF step of `rfStep` Hz (fixed path length); NaN where missing. */
  readonly dispersion?: { readonly x: Float64Array; readonly y: Float64Array; readonly rfStep: number };
  /** 1σ of a BPM's value in the matrix, m (the weights). Absent: every BPM 1e-6 m (stated by the fit). */
  readonly noise?: { readonly x: Float64Array; readonly y: Float64Array };
  /** The entries that were missing (null, NaN or infinite), as `orm.xx[i][j]` / `dispersion.x[i]`: left out of the fit. */
  readonly missing: readonly string[];
}

const entry = z.union([z.number(), z.null()]);
const name = z.string().min(1, 'must be a non-empty name');
const element = z.number().int('must be an integer lattice index').min(0, 'must be a lattice index >= 0');
const bpm = z.strictObject({ name, element });
const kick = z
  .number()
  .refine((v) => Number.isFinite(v) && v !== 0, 'must be a finite corrector step in rad, not 0');
const corrector = z.strictObject({ name, element, kick });
const matrix = z.array(z.array(entry));
const positive = z.number().refine((v) => Number.isFinite(v) && v > 0, 'must be a finite noise > 0 in m');

const OrmSchema = z.strictObject({
  bpms: z.array(bpm).min(1, 'must list at least one BPM'),
  correctors: z.strictObject({ x: z.array(corrector), y: z.array(corrector) }),
  orm: z.strictObject({ xx: matrix.optional(), xy: matrix.optional(), yx: matrix.optional(), yy: matrix.optional() }),
  dispersion: z
    .strictObject({
      x: z.array(entry),
      y: z.array(entry),
      rfStep: z.number().refine((v) => Number.isFinite(v) && v !== 0, 'must be a finite RF step in Hz, not 0'),
    })
    .optional(),
  noise: z.strictObject({ x: z.array(positive), y: z.array(positive) }).optional(),
});

/**
 * JSON text with Python's non-standard NaN, Infinity and -Infinity tokens (what
 * `json.dump` writes for a numpy NaN) turned into null, strings left alone.
 */
export function parseJsonWithNaN(text: string): unknown {
  let out = '';
  let i = 0;
  let start = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    const rest = text.startsWith('NaN', i) ? 3 : text.startsWith('-Infinity', i) ? 9 : text.startsWith('Infinity', i) ? 8 : 0;
    if (rest > 0) {
      out += `${text.slice(start, i)}null`;
      i += rest;
      start = i;
      continue;
    }
    i++;
  }
  return JSON.parse(out + text.slice(start));
}

/** Reads and checks an ORM.json file. */
export function readOrmFile(path: string): LocoOrm {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LocoFileError(path, '', `cannot be read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseJsonWithNaN(text);
  } catch (e) {
    throw new LocoFileError(path, '', `is not JSON (${(e as Error).message})`);
  }
  return parseOrm(raw, path);
}

/** Checks parsed ORM.json contents (`file` names them in messages). */
export function parseOrm(raw: unknown, file: string): LocoOrm {
  const r = OrmSchema.safeParse(raw);
  if (!r.success) throw issueError(file, raw, r.error);
  const d = r.data;
  const nb = d.bpms.length;
  const missing: string[] = [];
  unique(file, 'bpms', d.bpms.map((b) => b.name), 'name');
  for (const p of ['x', 'y'] as const) {
    unique(file, `correctors.${p}`, d.correctors[p].map((c) => c.name), 'name');
    unique(file, `correctors.${p}`, d.correctors[p].map((c) => String(c.element)), 'element');
  }
  const orm: Partial<Record<BlockName, Matrix>> = {};
  for (const b of BLOCKS) {
    const m = d.orm[b];
    if (!m) continue;
    const nc = d.correctors[b[1] as 'x' | 'y'].length;
    if (m.length !== nb) throw new LocoFileError(file, `orm.${b}`, `has ${m.length} rows; expected ${nb}, one per BPM of 'bpms'`);
    orm[b] = m.map((row, i) => {
      if (row.length !== nc) throw new LocoFileError(file, `orm.${b}[${i}]`, `has ${row.length} entries; expected ${nc}, one per corrector of 'correctors.${b[1]}'`);
      return Float64Array.from(row, (v, j) => {
        if (v === null || !Number.isFinite(v)) {
          missing.push(`orm.${b}[${i}][${j}]`);
          return Number.NaN;
        }
        return v;
      });
    });
  }
  if (!orm.xx && !orm.yy && !orm.xy && !orm.yx) throw new LocoFileError(file, 'orm', 'holds no block; expected at least one of xx, xy, yx, yy');
  let dispersion: LocoOrm['dispersion'];
  if (d.dispersion) {
    const col = (p: 'x' | 'y') => {
      const v = d.dispersion![p];
      if (v.length !== nb) throw new LocoFileError(file, `dispersion.${p}`, `has ${v.length} entries; expected ${nb}, one per BPM of 'bpms'`);
      return Float64Array.from(v, (e, i) => {
        if (e === null || !Number.isFinite(e)) {
          missing.push(`dispersion.${p}[${i}]`);
          return Number.NaN;
        }
        return e;
      });
    };
    dispersion = { x: col('x'), y: col('y'), rfStep: d.dispersion.rfStep };
  }
  let noise: LocoOrm['noise'];
  if (d.noise) {
    for (const p of ['x', 'y'] as const) {
      if (d.noise[p].length !== nb) throw new LocoFileError(file, `noise.${p}`, `has ${d.noise[p].length} entries; expected ${nb}, one per BPM of 'bpms'`);
    }
    noise = { x: Float64Array.from(d.noise.x), y: Float64Array.from(d.noise.y) };
  }
  return { file, bpms: d.bpms, correctors: d.correctors, orm, dispersion, noise, missing };
}

function unique(file: string, field: string, values: string[], what: string): void {
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    const j = seen.get(v);
    if (j !== undefined) throw new LocoFileError(file, `${field}[${i}].${what}`, `repeats ${field}[${j}].${what}`, what === 'element' ? Number(v) : v);
    seen.set(v, i);
  });
}
