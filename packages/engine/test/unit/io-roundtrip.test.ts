/**
 * Export round trips: each reference lattice is loaded from its pyAT JSON file,
 * saved as pyAT JSON, .mat and .m, and read back; the result must equal the
 * loaded lattice exactly and still match pyAT's element list.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatAtJson, loadLattice, parseAtJson, saveLattice } from '../../src/index.js';
import { compareWithReference, latticeDirs, readReference } from '../io-compare.js';

const tmp = mkdtempSync(join(tmpdir(), 'mlayer-io-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lattice export round trips', () => {
  for (const { name, dir } of latticeDirs()) {
    const src = join(dir, `${name}_orig.atjson.json`);
    const ref = () => readReference(join(dir, `${name}_orig.lattice.json`));

    it(`${name}: pyAT JSON export reloads identically`, () => {
      const lat = loadLattice(src);
      const back = parseAtJson(formatAtJson(lat), 'memory.json');
      expect(back).toEqual(lat);
      expect(compareWithReference(back, ref())).toEqual([]);
      // Same fields and values as pyAT's own file (key order and number spelling aside).
      const original = JSON.parse(readFileSync(src, 'utf8')) as { elements: unknown[]; properties: Record<string, unknown> };
      const exported = JSON.parse(formatAtJson(lat)) as { elements: unknown[]; properties: Record<string, unknown> };
      expect(exported.elements).toEqual(original.elements);
      expect(exported.properties).toEqual(original.properties);
    });

    for (const ext of ['.atjson.json', '.mat', '.m']) {
      it(`${name}: saveLattice ${ext} then loadLattice gives the same lattice`, () => {
        const lat = loadLattice(src);
        const out = join(tmp, `${name}_rt${ext}`);
        saveLattice(out, lat);
        const back = loadLattice(out);
        expect(back.elements).toEqual(lat.elements);
        expect(back.properties).toEqual(lat.properties);
        expect(compareWithReference(back, ref())).toEqual([]);
      });
    }
  }
});
