import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { createLatticeModel, loadLattice } from '../../src/index.js';

/**
 * Every shared lattice, loaded from every format supplied (as distributed with AT,
 * pyAT's .m, .atjson.json, .mat; 4D and as loaded), gives pyAT's tunes,
 * chromaticities and closed orbit with kicks: the physics does not depend on the file format.
 */
const shared = sharedDataDir();
const folders = [
  ...readdirSync(join(shared, 'lattices')).map((d) => ({ dir: join(shared, 'lattices', d), name: d })),
  { dir: join(shared, 'facilities/diamond-i04'), name: 'diamond_i04' },
].filter((f) => existsSync(join(f.dir, `${f.name}_ref.json`)));

describe.each(folders)('$name from every format', ({ dir, name }) => {
  const ref = JSON.parse(readFileSync(join(dir, `${name}_ref.json`), 'utf8'));
  const files = readdirSync(dir).filter((f) => /(_source\.(m|mat)|_(orig|4d)\.(m|mat|atjson\.json))$/.test(f) || f === 'I04_source.mat');
  it('has several formats', () => expect(files.length).toBeGreaterThanOrEqual(6));
  it.each(files)('%s', (file) => {
    const model = createLatticeModel(loadLattice(join(dir, file)));
    const t = model.tunes();
    const [qx, qy] = ref.tunes.ring_tunes_with_integer as number[];
    expect(Math.abs(t.qx - qx)).toBeLessThan(1e-7);
    expect(Math.abs(t.qy - qy)).toBeLessThan(1e-7);
    // Chromaticities (pyAT get_chrom, DPStep 3e-6, ring values), the README's 1e-5.
    const xi = model.chromaticity();
    const [xix, xiy] = ref.chromaticity['get_chrom_default_DPStep_3e-6'] as number[];
    expect(Math.abs(xi[0] - xix)).toBeLessThan(1e-5);
    expect(Math.abs(xi[1] - xiy)).toBeLessThan(1e-5);
    const kicks = ref.closed_orbit_3_kicks;
    for (const c of kicks.kicked_corrector_index as number[]) {
      model.setParameter({ element: c, field: 'KickAngle', index: 0 }, 10e-6);
      model.setParameter({ element: c, field: 'KickAngle', index: 1 }, 10e-6);
    }
    const co = model.closedOrbit(kicks.bpm_index as number[]);
    const refCo = kicks.orbit_at_bpms as number[][];
    const max = Math.max(...refCo.flat().map(Math.abs));
    co.forEach((o, i) => [0, 1, 2, 3].forEach((k) => expect(Math.abs(o[k] - refCo[i][k])).toBeLessThan(1e-6 * max)));
  });
});
