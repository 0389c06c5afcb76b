/**
 * The pyAT tracking reference sets of the shared data (one per lattice with a
 * `*_tracking_<N>t.json`), read by test/unit/tracking-reference.test.ts (one
 * turn, 100 turns) and test/system/tracking-reference-long.test.ts (1000
 * particles over N turns, the hmba dynamic-aperture grid).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataDir } from '@mlayer/core/testing';
import type { Lattice } from '../src/index.js';

export const SHARED = sharedDataDir();

export interface TrackingRef {
  nturns: number;
  r_initial: number[][];
  r_final: (number | null)[][];
  n_lost: number;
  element_by_element: { r_initial: number[][]; coords: number[][][] };
  turn_by_turn_100: { coords: number[][][]; r_after_100_turns: number[][] };
}

export interface Case {
  name: string;
  lattice: string;
  tracking: string;
}

export function cases(): Case[] {
  const out: Case[] = [];
  const dirs = readdirSync(join(SHARED, 'lattices'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(SHARED, 'lattices', d.name));
  dirs.push(join(SHARED, 'facilities', 'diamond-i04'));
  for (const dir of dirs) {
    const files = readdirSync(dir);
    const lat = files.find((f) => f.endsWith('_4d.atjson.json'));
    const trk = files.find((f) => /_tracking_\d+t\.json$/.test(f));
    if (lat && trk) out.push({ name: lat.replace('_4d.atjson.json', ''), lattice: join(dir, lat), tracking: join(dir, trk) });
  }
  return out;
}

export function loadLattice(path: string): Lattice {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Lattice;
  return { elements: json.elements, properties: json.properties };
}

/** Largest absolute difference; NaN (lost) must match null/NaN in the reference. */
export function maxAbsDiff(got: number[][], want: (number | null)[][]): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    for (let k = 0; k < 6; k++) {
      const w = want[i][k];
      const g = got[i][k];
      if (w === null || Number.isNaN(w)) {
        if (!Number.isNaN(g)) return Infinity;
        continue;
      }
      worst = Math.max(worst, Math.abs(g - w));
    }
  }
  return worst;
}

