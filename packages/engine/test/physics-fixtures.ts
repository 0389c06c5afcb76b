/** Shared fixtures of the physics tests: the reference lattices and their pyAT results. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lattice } from '../src/lattice.js';
import { sharedDataDir } from '@mlayer/core/testing';

export const SHARED = sharedDataDir();

export interface RefLattice {
  readonly name: string;
  readonly dir: string;
}

export const LATTICES: readonly RefLattice[] = [
  { name: 'hmba', dir: join(SHARED, 'lattices/hmba') },
  { name: 'dba', dir: join(SHARED, 'lattices/dba') },
  { name: 'thomx', dir: join(SHARED, 'lattices/thomx') },
  { name: 'australian_synchrotron', dir: join(SHARED, 'lattices/australian_synchrotron') },
  { name: 'diamond_i04', dir: join(SHARED, 'facilities/diamond-i04') },
];

export function available(l: RefLattice): boolean {
  return existsSync(join(l.dir, `${l.name}_4d.atjson.json`));
}

export function loadLattice(l: RefLattice): Lattice {
  const raw = JSON.parse(readFileSync(join(l.dir, `${l.name}_4d.atjson.json`), 'utf8')) as Lattice;
  return { elements: raw.elements, properties: raw.properties };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function loadJson(l: RefLattice, suffix: string): Json {
  return JSON.parse(readFileSync(join(l.dir, `${l.name}_${suffix}.json`), 'utf8'));
}

/** Largest absolute difference between two equally shaped nested arrays. */
export function maxAbsDiff(a: ArrayLike<number>[] | ArrayLike<number>, b: ArrayLike<number>[] | ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number | ArrayLike<number>;
    const y = b[i] as number | ArrayLike<number>;
    if (typeof x === 'number') m = Math.max(m, Math.abs(x - (y as number)));
    else m = Math.max(m, maxAbsDiff(x, y as ArrayLike<number>));
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>[] | ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number | ArrayLike<number>;
    m = Math.max(m, typeof x === 'number' ? Math.abs(x) : maxAbs(x));
  }
  return m;
}
