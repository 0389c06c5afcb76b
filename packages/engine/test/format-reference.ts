/**
 * Checks a lattice read from ../shared/lattices/formats against pyAT's reading
 * of the same file (`*_ref.json`): element count, s positions, ring tunes with
 * integer (1e-9), beta at every reference point (1e-8 relative), chromaticity
 * (1e-5). Used by the elegant and PALS tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataDir } from '@mlayer/core/testing';
import { expect } from 'vitest';
import { createLatticeModel, type Lattice } from '../src/index.js';

export const FORMATS_DIR = join(sharedDataDir(), 'lattices', 'formats');

export interface FormatRef {
  summary: { n_elements: number; periodicity: number };
  tunes: { ring_tunes_with_integer: [number, number]; cell_tunes_with_integer: [number, number] };
  chromaticity: Record<string, [number, number]>;
  s_pos_all: number[];
  optics_all_refpts: { refpts: number[]; beta: [number, number][] };
  roundtrip?: Record<string, unknown>;
}

export function readFormatRef(name: string): FormatRef {
  return JSON.parse(readFileSync(join(FORMATS_DIR, name), 'utf8')) as FormatRef;
}

/** Largest deviations found, for the test names and messages. */
export interface RefDeviation {
  tune: number;
  betaRel: number;
  s: number;
  chrom: number;
}

export function expectMatchesRef(lat: Lattice, ref: FormatRef): RefDeviation {
  expect(lat.elements.length).toBe(ref.summary.n_elements);
  expect(lat.properties.periodicity).toBe(ref.summary.periodicity);
  let s = 0;
  let ds = 0;
  lat.elements.forEach((e, i) => {
    ds = Math.max(ds, Math.abs(s - ref.s_pos_all[i]));
    s += e.Length;
  });
  ds = Math.max(ds, Math.abs(s - ref.s_pos_all[lat.elements.length]));
  expect(ds).toBeLessThanOrEqual(1e-9);
  const model = createLatticeModel(lat);
  const t = model.tunes();
  const [qx, qy] = ref.tunes.ring_tunes_with_integer;
  const tune = Math.max(Math.abs(t.qx - qx), Math.abs(t.qy - qy));
  expect(tune).toBeLessThan(1e-9);
  const optics = model.optics(ref.optics_all_refpts.refpts);
  let betaRel = 0;
  optics.forEach((o, i) => {
    const b = ref.optics_all_refpts.beta[i];
    betaRel = Math.max(betaRel, Math.abs(o.beta[0] - b[0]) / b[0], Math.abs(o.beta[1] - b[1]) / b[1]);
  });
  expect(betaRel).toBeLessThan(1e-8);
  // Chromaticity (pyAT get_chrom, DPStep 3e-6): the references' 1e-5.
  const xi = model.chromaticity();
  const [xix, xiy] = ref.chromaticity['get_chrom_default_DPStep_3e-6'];
  const chrom = Math.max(Math.abs(xi[0] - xix), Math.abs(xi[1] - xiy));
  expect(chrom).toBeLessThan(1e-5);
  return { tune, betaRel, s: ds, chrom };
}
