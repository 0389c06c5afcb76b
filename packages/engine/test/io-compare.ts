/**
 * Element-by-element, field-by-field comparison of a loaded lattice with a pyAT
 * reference list (`*_orig.lattice.json` / `*_4d.lattice.json`). Used by the
 * io-*.test.ts files.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lattice } from '../src/index.js';

/** The shared data folder beside the repository (CI and developers have it at ../shared). */
export const SHARED = process.env.MLAYER_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared');

export interface Reference {
  name: string;
  energy_eV: number;
  particle: { name: string; rest_energy: number; charge: number };
  periodicity: number;
  harmonic_number: number | null;
  n_elements: number;
  elements: Record<string, unknown>[];
}

export function readReference(path: string): Reference {
  return JSON.parse(readFileSync(path, 'utf8')) as Reference;
}

/** Relative-or-absolute number agreement (1e-15 relative, exact for zero). */
export function sameNumber(a: number, b: number, rel = 1e-15): boolean {
  if (Object.is(a, b) || a === b) return true;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}

function sameValue(a: unknown, b: unknown, rel: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') return sameNumber(a, b, rel);
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const na = typeof a === 'boolean' ? Number(a) : a;
    const nb = typeof b === 'boolean' ? Number(b) : b;
    return na === nb;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i], rel));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return sameValue(ka, kb, rel) && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rel));
  }
  return a === b;
}

/** Keys the reference list adds that are not element fields. */
const REFERENCE_ONLY = new Set(['index']);

export interface CompareOptions {
  /** Fields to leave out of the comparison (documented pyAT differences). */
  readonly ignoreFields?: readonly string[];
  readonly rel?: number;
}

/**
 * Differences between a lattice and a reference, one line each (empty when equal).
 * The reference adds H (= PolynomB[2]) to sextupoles and K (= PolynomB[1]) where
 * pyAT does not store them: such a key is accepted when it equals the PolynomB entry.
 */
export function compareWithReference(lat: Lattice, ref: Reference, opts: CompareOptions = {}): string[] {
  const rel = opts.rel ?? 1e-15;
  const ignore = new Set(opts.ignoreFields ?? []);
  const diffs: string[] = [];
  const p = lat.properties;
  if (p.name !== ref.name) diffs.push(`name ${JSON.stringify(p.name)} != ${JSON.stringify(ref.name)}`);
  if (!sameNumber(p.energy, ref.energy_eV, rel)) diffs.push(`energy ${p.energy} != ${ref.energy_eV}`);
  if (p.periodicity !== ref.periodicity) diffs.push(`periodicity ${p.periodicity} != ${ref.periodicity}`);
  if ((p.harmonic_number ?? null) !== ref.harmonic_number) diffs.push(`harmonic_number ${p.harmonic_number} != ${ref.harmonic_number}`);
  if (!sameValue(p.particle, ref.particle, rel)) diffs.push(`particle ${JSON.stringify(p.particle)} != ${JSON.stringify(ref.particle)}`);
  if (lat.elements.length !== ref.elements.length) {
    diffs.push(`${lat.elements.length} elements != ${ref.elements.length}`);
    return diffs;
  }
  ref.elements.forEach((re, i) => {
    const el = lat.elements[i] as Record<string, unknown>;
    const keys = new Set([...Object.keys(re), ...Object.keys(el)]);
    for (const k of keys) {
      if (REFERENCE_ONLY.has(k) || ignore.has(k)) continue;
      const a = el[k];
      const b = re[k];
      if (a === undefined && b !== undefined) {
        const pb = re.PolynomB as number[] | undefined;
        const convenience = (k === 'H' && pb?.[2] === b) || (k === 'K' && pb?.[1] === b);
        if (!convenience) diffs.push(`element ${i} (${String(re.FamName)}): field ${k} missing (reference ${JSON.stringify(b)})`);
      } else if (b === undefined) {
        diffs.push(`element ${i} (${String(re.FamName)}): extra field ${k} = ${JSON.stringify(a)}`);
      } else if (!sameValue(a, b, rel)) {
        diffs.push(`element ${i} (${String(re.FamName)}): ${k} = ${JSON.stringify(a)} != reference ${JSON.stringify(b)}`);
      }
    }
  });
  return diffs;
}

export function latticeDirs(): { name: string; dir: string }[] {
  return [
    ...['australian_synchrotron', 'dba', 'hmba', 'thomx'].map((name) => ({ name, dir: join(SHARED, 'lattices', name) })),
    { name: 'diamond_i04', dir: join(SHARED, 'facilities', 'diamond-i04') },
  ];
}
