/** Response matrices from the linearised map against pyAT's finite-difference references. */
import { describe, expect, it } from 'vitest';
import type { Lattice } from '../../src/lattice.js';
import { compileLattice } from '../../src/tracking/index.js';
import { computeLinearState } from '../../src/physics/linear-state.js';
import { getChrom, ringTunes } from '../../src/physics/linear.js';
import { readParameter, writeParameter, type ElementParameter } from '../../src/physics/parameters.js';
import {
  chromaticityResponse,
  dispersionResponse,
  opticsResponse,
  orbitResponse,
  tuneResponse,
} from '../../src/physics/response.js';
import { orbitResponseDerivative } from '../../src/physics/orm-jacobian.js';
import { LATTICES, available, loadJson, loadLattice, maxAbs, maxAbsDiff } from '../physics-fixtures.js';

function shifted(lattice: Lattice, group: readonly ElementParameter[], h: number): Lattice {
  const l = structuredClone(lattice);
  for (const r of group) writeParameter(l.elements[r.element], r, readParameter(l.elements[r.element], r) + h);
  return l;
}

describe.each(LATTICES.filter(available))('$name response matrices vs pyAT', (l) => {
  const lattice = loadLattice(l);
  const ref = loadJson(l, 'ref');
  const orm = loadJson(l, 'orm');
  const dk = loadJson(l, 'dorm_dk');
  const compiled = compileLattice(lattice);
  const state = computeLinearState(compiled);

  it('orbit response matrix, both planes (vs central differences h = 1e-7)', () => {
    const R = orbitResponse(compiled, orm.bpm_index, orm.corrector_index, { state });
    expect(R.Rxx.length).toBe(orm.shape[0]);
    expect(R.Rxx[0].length).toBe(orm.shape[1]);
    const mx = maxAbs(orm['Rxx_h1e-7']);
    const my = maxAbs(orm['Ryy_h1e-7']);
    expect(maxAbsDiff(R.Rxx, orm['Rxx_h1e-7']) / mx).toBeLessThan(1e-6);
    expect(maxAbsDiff(R.Ryy, orm['Ryy_h1e-7']) / my).toBeLessThan(1e-6);
    // cross-plane blocks are ~0 for these uncoupled lattices: absolute tolerance only
    expect(maxAbsDiff(R.Rxy, orm.Rxy)).toBeLessThan(1e-6 * mx);
    expect(maxAbsDiff(R.Ryx, orm.Ryx)).toBeLessThan(1e-6 * my);
  });

  it('d(ORM)/dK of one quadrupole', () => {
    const g = [{ element: dk.quad_index, field: 'PolynomB', index: 1 }];
    expect(readParameter(lattice.elements[dk.quad_index], g[0])).toBeCloseTo(dk.quad_K, 12);
    const D = orbitResponseDerivative(compiled, dk.bpm_index, dk.corrector_index, g, { state });
    expect(maxAbsDiff(D.Rxx, dk.dRxx_dK) / maxAbs(dk.dRxx_dK)).toBeLessThan(1e-5);
    expect(maxAbsDiff(D.Ryy, dk.dRyy_dK) / maxAbs(dk.dRyy_dK)).toBeLessThan(1e-5);
    // the K alias is the same parameter
    const DK = orbitResponseDerivative(compiled, dk.bpm_index, dk.corrector_index, [{ element: dk.quad_index, field: 'K' }], { state });
    expect(maxAbsDiff(DK.Rxx, dk.dRxx_dK) / maxAbs(dk.dRxx_dK)).toBeLessThan(1e-5);
  });

  it('tune response to one quadrupole', () => {
    const [d] = tuneResponse(compiled, [[{ element: dk.quad_index, field: 'PolynomB', index: 1 }]], { state });
    expect(Math.abs(d[0] - dk.dtune_dK_ring_with_integer[0])).toBeLessThan(1e-6);
    expect(Math.abs(d[1] - dk.dtune_dK_ring_with_integer[1])).toBeLessThan(1e-6);
  });

  it('beta response to one quadrupole at the BPMs', () => {
    const [r] = opticsResponse(compiled, dk.bpm_index, [[{ element: dk.quad_index, field: 'PolynomB', index: 1 }]], { state });
    const want: number[][] = dk.dbeta_dK_at_bpms;
    const got = want.map((_, i) => [r.dbeta[2 * i], r.dbeta[2 * i + 1]]);
    expect(maxAbsDiff(got, want) / maxAbs(want)).toBeLessThan(1e-5);
  });

  it('dispersion response at the BPMs', () => {
    const b = ref.optics_at_bpms;
    const d = dispersionResponse(compiled, b.index);
    expect(maxAbsDiff(d.Dx, b.dispersion.map((v: number[]) => v[0]))).toBeLessThan(1e-6);
    expect(maxAbsDiff(d.Dy, b.dispersion.map((v: number[]) => v[2]))).toBeLessThan(1e-6);
    expect(Math.abs(d.slipFactor / ref.momentum_compaction.slip_factor - 1)).toBeLessThan(1e-8);
  });
});

describe('family responses against finite differences of the full computation', () => {
  const l = LATTICES.find((x) => x.name === 'dba' && available(x))!;
  const lattice = loadLattice(l);
  const compiled = compileLattice(lattice);
  const ref = loadJson(l, 'ref');
  const dk = loadJson(l, 'dorm_dk');
  const quadFam = lattice.elements[dk.quad_index].FamName;
  const quads: ElementParameter[] = lattice.elements
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.FamName === quadFam)
    .map(({ i }) => ({ element: i, field: 'K' }));
  const sextFam = lattice.elements[ref.correctors.index[0]].FamName;
  const sexts: ElementParameter[] = lattice.elements
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.FamName === sextFam)
    .map(({ i }) => ({ element: i, field: 'PolynomB', index: 2 }));

  it('tune response of a quadrupole family', () => {
    expect(quads.length).toBeGreaterThan(1);
    const [d] = tuneResponse(compiled, [quads]);
    const h = 1e-5;
    const up = ringTunes(compileLattice(shifted(lattice, quads, h)));
    const dn = ringTunes(compileLattice(shifted(lattice, quads, -h)));
    const fd = [(up[0] - dn[0]) / (2 * h), (up[1] - dn[1]) / (2 * h)];
    expect(Math.abs(d[0] - fd[0])).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd[0])));
    expect(Math.abs(d[1] - fd[1])).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd[1])));
  });

  it('chromaticity response of a sextupole family', () => {
    expect(sexts.length).toBeGreaterThan(1);
    const [d] = chromaticityResponse(compiled, [sexts]);
    const h = 1e-2;
    const up = getChrom(compileLattice(shifted(lattice, sexts, h)));
    const dn = getChrom(compileLattice(shifted(lattice, sexts, -h)));
    const fd = [(up[0] - dn[0]) / (2 * h), (up[1] - dn[1]) / (2 * h)];
    expect(Math.abs(fd[0])).toBeGreaterThan(1e-3);
    // Not a quantity of the README: the reference is a difference (h = 1e-2) of chromaticities that are themselves
    // differences of tunes (δ = ±1.5e-6); measured 1.4e-5 of the largest, hence 5e-5.
    expect(Math.abs(d[0] - fd[0])).toBeLessThan(5e-5 * Math.max(Math.abs(fd[0]), Math.abs(fd[1])));
    expect(Math.abs(d[1] - fd[1])).toBeLessThan(5e-5 * Math.max(Math.abs(fd[0]), Math.abs(fd[1])));
  });

  it('rejects an empty group and unknown fields', () => {
    expect(() => tuneResponse(compiled, [[]])).toThrow(/empty/);
    expect(() => tuneResponse(compiled, [[{ element: dk.quad_index, field: 'NoSuchField' }]])).toThrow(/NoSuchField/);
  });

  it('rejects a corrector that does not respond to KickAngle', () => {
    const drift = lattice.elements.findIndex((e) => e.PassMethod === 'DriftPass');
    expect(() => orbitResponse(compiled, [0], [drift])).toThrow(/does not respond to KickAngle/);
  });
});
