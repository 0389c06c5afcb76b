/**
 * Dynamic aperture (radial grid, pyAT get_acceptance) against pyAT on hmba, 4D and 6D, the
 * reference's grid (21 radii) and turns (512 + 1), on 3 of its 11 angles (x-, y, x+: 63 points,
 * to keep the suite fast; the full grid gave 1 flip of 231 in 4D and 0 in 6D). A DA boundary is
 * chaotic: a point next to the boundary may flip (README), so at most 2 may differ.
 */
import { describe, expect, it } from 'vitest';
import { compileLattice } from '../../src/tracking/compile.js';
import { compile6d } from '../../src/physics/enable-6d.js';
import { dynamicAperture, momentumScan } from '../../src/physics/acceptance.js';
import { available, LATTICES, loadJson, loadLattice, type RefLattice } from '../physics-fixtures.js';

const HMBA = LATTICES.find((l) => l.name === 'hmba') as RefLattice;

describe('dynamic aperture vs pyAT (hmba, radial grid, 513 passes)', () => {
  for (const mode of ['4d', '6d'] as const) {
    it.skipIf(!available(HMBA))(mode, () => {
      const acc = loadJson(HMBA, '6d_ref').acceptance;
      const ref = acc[mode].dynamic_aperture_xy;
      const s = acc.settings.da;
      const lattice = loadLattice(HMBA);
      const compiled = mode === '6d' ? compile6d(lattice) : compileLattice(lattice);
      const thetaIndices = [0, 5, 10];
      const r = dynamicAperture(compiled, { amplitudes: s.amplitudes, npoints: s.npoints, nturns: s.nturns, sixD: mode === '6d', thetaIndices });
      const nr = s.npoints[0];
      const want = thetaIndices.flatMap((it) => ref.survived.slice(it * nr, (it + 1) * nr));
      const flips = r.survived.filter((v, i) => v !== want[i]).length;
      r.grid.forEach(([x], i) => expect(Math.abs(x - ref.grid_xy_m[0][thetaIndices[Math.floor(i / nr)] * nr + (i % nr)])).toBeLessThan(1e-15));
      const nSurv = r.survived.filter(Boolean).length;
      console.log(mode, 'survivors', nSurv, 'of', r.survived.length, 'pyAT', want.filter(Boolean).length, 'flips', flips);
      expect(flips).toBeLessThanOrEqual(2);
    });
  }
});

describe('momentum acceptance scan vs pyAT (hmba 6D, 49 points of +-0.12, 513 passes)', () => {
  it.skipIf(!available(HMBA))('same survivors and boundary (to the scan step)', () => {
    const acc = loadJson(HMBA, '6d_ref').acceptance;
    const ref = acc['6d'].momentum_acceptance_scan;
    const s = acc.settings.ma_scan;
    const r = momentumScan(compile6d(loadLattice(HMBA)), { amplitude: s.amplitude, npoints: s.npoints, nturns: s.nturns, sixD: true });
    const flips = r.survived.filter((v, i) => v !== ref.survived[i]).length;
    console.log('momentum scan boundary', r.boundary, 'pyAT', ref.boundary_dp, 'flips', flips);
    r.dp.forEach((d, i) => expect(Math.abs(d - ref.dp_grid[i])).toBeLessThan(1e-15));
    expect(flips).toBeLessThanOrEqual(1);
    expect(Math.abs(r.boundary[0] - ref.boundary_dp[0])).toBeLessThanOrEqual(0.005 + 1e-12);
    expect(Math.abs(r.boundary[1] - ref.boundary_dp[1])).toBeLessThanOrEqual(0.005 + 1e-12);
  });
});
