/**
 * Coupled lattices (skew quadrupole terms): the Green-function ORM, including
 * the cross-plane blocks, against closed orbits found by Newton with real
 * KickAngle changes (an independent path through the tracking code), and the
 * normal-mode optics against the one-turn matrix.
 */
import { describe, expect, it } from 'vitest';
import type { Lattice } from '../../src/lattice.js';
import { compileLattice } from '../../src/tracking/index.js';
import { findOrbit4 } from '../../src/physics/orbit.js';
import { linopt6 } from '../../src/physics/linear.js';
import { findM44 } from '../../src/physics/linear-state.js';
import { orbitResponse } from '../../src/physics/response.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LATTICES, SHARED, available, loadJson, loadLattice, maxAbs } from '../physics-fixtures.js';

const hmba = LATTICES.find((x) => x.name === 'hmba')!;
const australian = LATTICES.find((x) => x.name === 'australian_synchrotron')!;
const COUPLED_REF = join(SHARED, 'lattices/coupled/australian_synchrotron_coupled_ref.json');

/** hmba with a skew-quadrupole term on every sextupole. */
function coupled(lattice: Lattice, ks: number): Lattice {
  const l = structuredClone(lattice);
  for (const e of l.elements) {
    if (e.Class === 'Sextupole') {
      const a = (e.PolynomA as number[]).slice();
      a[1] = ks;
      e.PolynomA = a;
    }
  }
  return l;
}

describe.runIf(available(hmba))('coupled lattice (hmba + skew quadrupoles)', () => {
  const base = loadLattice(hmba);
  const ref = loadJson(hmba, 'ref');
  const lattice = coupled(base, 0.05);
  const compiled = compileLattice(lattice);
  const bpms: number[] = ref.optics_at_bpms.index;
  const correctors: number[] = ref.correctors.index;

  it('ORM blocks including Rxy and Ryx match Newton closed orbits with kicked correctors', () => {
    const R = orbitResponse(compiled, bpms, correctors);
    const h = 1e-7;
    const blocks = { Rxx: 0, Rxy: 0, Ryx: 0, Ryy: 0 };
    const scale = Math.max(maxAbs(R.Rxx), maxAbs(R.Ryy));
    expect(maxAbs(R.Rxy)).toBeGreaterThan(1e-3 * scale); // really coupled
    correctors.forEach((c, j) => {
      for (const plane of [0, 1]) {
        const orbitFor = (kick: number): Float64Array[] => {
          const l = structuredClone(lattice);
          const ka = [0, 0];
          ka[plane] = kick;
          l.elements[c].KickAngle = ka;
          return findOrbit4(compileLattice(l), 0, bpms).orbits;
        };
        const up = orbitFor(h);
        const dn = orbitFor(-h);
        bpms.forEach((_, i) => {
          const dx = (up[i][0] - dn[i][0]) / (2 * h);
          const dy = (up[i][2] - dn[i][2]) / (2 * h);
          if (plane === 0) {
            blocks.Rxx = Math.max(blocks.Rxx, Math.abs(dx - R.Rxx[i][j]));
            blocks.Ryx = Math.max(blocks.Ryx, Math.abs(dy - R.Ryx[i][j]));
          } else {
            blocks.Rxy = Math.max(blocks.Rxy, Math.abs(dx - R.Rxy[i][j]));
            blocks.Ryy = Math.max(blocks.Ryy, Math.abs(dy - R.Ryy[i][j]));
          }
        });
      }
    });
    for (const v of Object.values(blocks)) expect(v / scale).toBeLessThan(1e-6);
  });

  it('normal modes diagonalise the one-turn matrix and the optics differ from the uncoupled ones', () => {
    const N = lattice.elements.length;
    const r = linopt6(compiled, { refpts: [0, N] });
    const m = findM44(compiled).m44;
    // trace of each mode block of T equals 2 cos(2 pi Q) of that mode (invariant of the decomposition)
    const t = m[0] + m[5] + m[10] + m[15];
    const q = r.ringdata.tune;
    expect(Math.abs(t - 2 * Math.cos(2 * Math.PI * q[0]) - 2 * Math.cos(2 * Math.PI * q[1]))).toBeLessThan(1e-10);
    const uncoupled = ref.optics_all_refpts.beta[0];
    expect(Math.abs(r.elemdata[0].beta[0] - uncoupled[0])).toBeGreaterThan(1e-4);
    // periodic: the optics at the end equal those at the start
    expect(Math.abs(r.elemdata[1].beta[0] - r.elemdata[0].beta[0])).toBeLessThan(1e-8 * uncoupled[0]);
    expect(Math.abs(r.elemdata[1].beta[1] - r.elemdata[0].beta[1])).toBeLessThan(1e-8 * uncoupled[1]);
  });
});

/**
 * The pyAT reference of a coupled ring (shared/lattices/coupled): the Australian Synchrotron with
 * skew-quadrupole components on three sextupoles. Tolerances of shared/lattices/README.md: tunes 1e-7,
 * chromaticity 1e-5, beta 1e-6 of the largest, alpha and dispersion 1e-6 absolute, mu 1e-7 rad,
 * ORM 1e-6 of the largest entry of the whole matrix (cross blocks included).
 */
describe('coupled ring against pyAT (Australian Synchrotron + skew quadrupoles)', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ref: any = JSON.parse(readFileSync(COUPLED_REF, 'utf8'));
  const lattice = structuredClone(loadLattice(australian));
  for (const sk of ref.skew_quadrupoles as { index: number; PolynomA_1: number }[]) {
    const e = lattice.elements[sk.index];
    const a = Array.from((e.PolynomA as number[] | undefined) ?? [0, 0]);
    while (a.length < 2) a.push(0);
    a[1] = sk.PolynomA_1;
    e.PolynomA = a;
    const b = Array.from((e.PolynomB as number[] | undefined) ?? [0, 0]);
    while (b.length < a.length) b.push(0);
    e.PolynomB = b;
    e.MaxOrder = Math.max(Number(e.MaxOrder ?? 0), 2);
  }
  const compiled = compileLattice(lattice);
  const bpms: number[] = ref.bpm_index;
  const correctors: number[] = ref.corrector_index;

  it('normal-mode tunes, chromaticities, mode beta, alpha, mu and dispersion at the BPMs', () => {
    const r = linopt6(compiled, { refpts: bpms, getChrom: true });
    const frac = (q: number) => q - Math.floor(q);
    for (const p of [0, 1]) {
      expect(Math.abs(frac(r.ringdata.tune[p]) - ref.fractional_tunes[p])).toBeLessThan(1e-7);
      expect(Math.abs(r.ringdata.chromaticity![p] - ref.chromaticity[p])).toBeLessThan(1e-5);
    }
    const betaRef: number[][] = ref.mode_beta_at_bpms;
    const betaTol = 1e-6 * maxAbs(betaRef);
    const worst = { beta: 0, alpha: 0, mu: 0, dispersion: 0 };
    r.elemdata.forEach((o, i) => {
      for (const p of [0, 1]) {
        worst.beta = Math.max(worst.beta, Math.abs(o.beta[p] - betaRef[i][p]));
        worst.alpha = Math.max(worst.alpha, Math.abs(o.alpha[p] - ref.mode_alpha_at_bpms[i][p]));
        worst.mu = Math.max(worst.mu, Math.abs(o.mu[p] - ref.mode_mu_at_bpms[i][p]));
      }
      for (let k = 0; k < 4; k++) worst.dispersion = Math.max(worst.dispersion, Math.abs(o.dispersion[k] - ref.dispersion_at_bpms[i][k]));
    });
    console.log(`coupled ring vs pyAT: beta ${worst.beta.toExponential(2)} m (tolerance ${betaTol.toExponential(2)}), alpha ${worst.alpha.toExponential(2)}, mu ${worst.mu.toExponential(2)} rad, dispersion ${worst.dispersion.toExponential(2)} m`);
    expect(worst.beta).toBeLessThan(betaTol);
    expect(worst.alpha).toBeLessThan(1e-6);
    expect(worst.mu).toBeLessThan(1e-7);
    expect(worst.dispersion).toBeLessThan(1e-6);
    // Really coupled: the vertical dispersion is far from zero.
    expect(maxAbs(r.elemdata.map((o) => o.dispersion[2]))).toBeGreaterThan(1e-3);
  });

  it('ORM blocks Rxx, Rxy, Ryx, Ryy equal pyAT to 1e-6 of the largest entry of the whole matrix', () => {
    const R = orbitResponse(compiled, bpms, correctors);
    const blocks = ref['orm_h1e-7'] as Record<'Rxx' | 'Rxy' | 'Ryx' | 'Ryy', number[][]>;
    const tol = 1e-6 * Math.max(...Object.values(blocks).map((b) => maxAbs(b)));
    for (const k of ['Rxx', 'Rxy', 'Ryx', 'Ryy'] as const) {
      let worst = 0;
      R[k].forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - blocks[k][i][j])))));
      console.log(`${k}: largest difference ${worst.toExponential(2)} m/rad (tolerance ${tol.toExponential(2)}, largest entry of the block ${maxAbs(blocks[k]).toExponential(2)})`);
      expect(worst, k).toBeLessThan(tol);
    }
    // The cross blocks are far above the tolerance: the comparison is not with zeros.
    expect(maxAbs(blocks.Rxy)).toBeGreaterThan(1e4 * tol);
    expect(maxAbs(blocks.Ryx)).toBeGreaterThan(1e4 * tol);
  });
});

describe('equal tunes in both planes (symmetric FODO ring)', () => {
  // 8 FODO cells: QF/2 - D - QD - D - QF/2; x and y one-turn traces are equal.
  const q = (name: string, k: number, L: number) => ({
    FamName: name, PassMethod: 'StrMPoleSymplectic4Pass', Length: L, PolynomA: [0, 0], PolynomB: [0, k], MaxOrder: 1, NumIntSteps: 10, Class: 'Quadrupole',
  });
  const d = (L: number) => ({ FamName: 'D', PassMethod: 'DriftPass', Length: L, Class: 'Drift' });
  const cell = [q('QF', 1.2, 0.1), d(1), q('QD', -1.2, 0.2), d(1), q('QF', 1.2, 0.1)];
  const lattice: Lattice = {
    elements: Array.from({ length: 8 }, () => structuredClone(cell)).flat(),
    properties: { name: 'fodo', energy: 1e9, particle: { name: 'relativistic', rest_energy: 0, charge: -1 }, periodicity: 1 },
  };

  it('gives the FODO cell optics in both planes', () => {
    const c = compileLattice(lattice);
    const r = linopt6(c, { refpts: [0, 5] });
    expect(Math.abs(r.ringdata.tune[0] - r.ringdata.tune[1])).toBeLessThan(1e-6); // equal up to the integrator steps
    // Symmetry point of QF: alpha = 0, beta_x > beta_y; cell phase advance from the cell matrix
    const e0 = r.elemdata[0];
    expect(Math.abs(e0.alpha[0])).toBeLessThan(1e-9);
    expect(Math.abs(e0.alpha[1])).toBeLessThan(1e-9);
    expect(e0.beta[0]).toBeGreaterThan(e0.beta[1]);
    const m = r.elemdata[1].M; // one cell
    const cosx = (m[0] + m[5]) / 2;
    const betax = m[1] / Math.sqrt(1 - cosx * cosx);
    expect(Math.abs(e0.beta[0] - betax) / betax).toBeLessThan(1e-9);
    expect(Math.abs(r.elemdata[1].mu[0] - Math.acos(cosx))).toBeLessThan(1e-9);
  });
});
