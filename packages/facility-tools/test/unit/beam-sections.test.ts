import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { importPytac, PytacImportError } from '@mlayer/facility-tools';
import { LATTICE, PYTAC_DIR, tempDir } from '../helpers.js';

function importWith(text: string): { out: string; error?: PytacImportError; file: string } {
  const dir = tempDir('beam');
  const file = join(dir, 'beam.yaml');
  writeFileSync(file, text);
  const out = join(dir, 'out');
  try {
    importPytac({ pytacDir: PYTAC_DIR, latticeFile: LATTICE, outDir: out, name: 'beam', beamFile: file });
  } catch (e) {
    expect(e).toBeInstanceOf(PytacImportError);
    return { out, error: e as PytacImportError, file };
  }
  return { out, file };
}

describe('hand-written beam sections (--beam): injection, chamber, openLine', () => {
  it('are written into facility.yaml as given', () => {
    const { out, error } = importWith('chamber:\n  default: { shape: elliptical, halfSizes: [ 0.03, 0.011 ] }\n');
    expect(error).toBeUndefined();
    const doc = parse(readFileSync(join(out, 'facility.yaml'), 'utf8'));
    expect(doc.chamber).toEqual({ default: { shape: 'elliptical', halfSizes: [0.03, 0.011] } });
  });

  it('a bad value or an unknown section is refused naming file, line, path and value', () => {
    const bad = importWith('chamber:\n  default:\n    shape: elliptical\n    halfSizes: [ 0.03, -1 ]\n');
    expect(bad.error!.file).toBe(bad.file);
    expect(bad.error!.message).toMatch(/beam\.yaml:4: chamber\.default\.halfSizes\.1: expected a finite number > 0 \(got -1\)/);
    const unknown = importWith('injection: { element: 0, twiss: { beta: [ 1, 1 ] }, emittance: [ 0, 0 ], energySpread: 0, charge: 1e-9 }\nvacuum: {}\n');
    expect(unknown.error!.message).toMatch(/beam\.yaml:2: vacuum: unknown section; allowed: injection, chamber, openLine/);
  });
});
