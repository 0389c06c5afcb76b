/**
 * Open lines (issue 22): each shared ring cut open, given its own periodic Twiss and
 * orbit at the entrance, has the ring's periodic optics at every position (1e-9;
 * dispersion 1e-9 of the largest |D| when above 1 m: pyAT's line dispersion, orbits at
 * +-dp/2 started along (D0, 1) and tracked, differs from the periodic one, closed orbits
 * at +-dp/2, at O(dpStep^2): dba 1.13e-9 m of 2.1 m; the others 5e-13 .. 8e-11 m),
 * through LatticeModel.lineOptics and through a model made an open line; the
 * open-line model's orbit response is the trajectory response, and ring-only
 * quantities are refused.
 */
import { describe, expect, it } from 'vitest';
import { MlayerError, type OpticsAt, type TwissInput } from '@mlayer/core';
import { createLatticeModel } from '../../src/index.js';
import { LATTICES, available, loadJson, loadLattice, maxAbs, maxAbsDiff } from '../physics-fixtures.js';

function compare(line: OpticsAt[], ring: OpticsAt[]): { beta: number; alpha: number; mu: number; disp: number; orbit: number } {
  return {
    beta: maxAbsDiff(line.map((e) => e.beta), ring.map((e) => e.beta)) / maxAbs(ring.map((e) => e.beta)),
    alpha: maxAbsDiff(line.map((e) => e.alpha), ring.map((e) => e.alpha)),
    mu: maxAbsDiff(line.map((e) => e.mu), ring.map((e) => e.mu)),
    // relative to the largest dispersion (at least 1 m), as beta is to the largest beta
    disp: maxAbsDiff(line.map((e) => e.dispersion), ring.map((e) => e.dispersion)) / Math.max(1, maxAbs(ring.map((e) => e.dispersion))),
    orbit: maxAbsDiff(line.map((e) => e.closedOrbit), ring.map((e) => e.closedOrbit)),
  };
}

describe.each(LATTICES.filter(available))('$name cut open', (l) => {
  const lattice = loadLattice(l);
  const N = lattice.elements.length;
  const all = Array.from({ length: N + 1 }, (_, i) => i);
  const ring = createLatticeModel(lattice);
  const periodic = ring.optics(all);
  const e0 = periodic[0];
  const twiss: TwissInput = { beta: e0.beta, alpha: e0.alpha, dispersion: e0.dispersion, orbit: e0.closedOrbit };

  it('line optics from the periodic Twiss at the entrance equal the periodic optics to 1e-9 at every element', () => {
    const d = compare(ring.lineOptics(twiss, all), periodic);
    expect(d.beta).toBeLessThan(1e-9);
    expect(d.alpha).toBeLessThan(1e-9);
    expect(d.mu).toBeLessThan(1e-9);
    expect(d.disp).toBeLessThan(1e-9);
    expect(d.orbit).toBeLessThan(1e-12);
    // and pyAT's periodic optics (what its linopt6 with this twiss_in gives), to the shared tolerances
    const o = loadJson(l, 'ref').optics_all_refpts;
    const line = ring.lineOptics(twiss, all);
    expect(maxAbsDiff(line.map((e) => e.beta), o.beta) / maxAbs(o.beta)).toBeLessThan(1e-6);
    expect(maxAbsDiff(line.map((e) => e.alpha), o.alpha)).toBeLessThan(1e-6);
    expect(maxAbsDiff(line.map((e) => e.mu), o.mu)).toBeLessThan(1e-7);
    expect(maxAbsDiff(line.map((e) => e.dispersion), o.dispersion)).toBeLessThan(1e-6);
  });

  it('a model made an open line: optics, orbit and dispersion are the line\'s, the phase advance over the line is the cell tune', () => {
    const line = createLatticeModel(lattice, { openLine: twiss });
    expect(line.openLine).toBeDefined();
    const bpms = ring.find('all').filter((i) => i % 7 === 0);
    const d = compare(line.optics(bpms), ring.optics(bpms));
    expect(Math.max(d.beta, d.alpha, d.mu, d.disp)).toBeLessThan(1e-9);
    const q = line.tunes();
    const P = lattice.properties.periodicity ?? 1;
    const qr = ring.tunes();
    expect(Math.abs(q.qx * P - qr.qx)).toBeLessThan(1e-9 * P);
    expect(Math.abs(q.qy * P - qr.qy)).toBeLessThan(1e-9 * P);
    expect(maxAbsDiff(line.dispersion(bpms), ring.dispersion(bpms))).toBeLessThan(1e-9 * Math.max(1, maxAbs(ring.dispersion(bpms))));
    expect(maxAbsDiff(line.closedOrbit(bpms), ring.closedOrbit(bpms))).toBeLessThan(1e-12);
    expect(() => line.chromaticity()).toThrow(MlayerError);
    expect(() => line.momentumCompaction()).toThrow(/open line/);
    expect(() => line.clone().tuneResponse([[{ element: 1, field: 'Length' }]])).toThrow(/open line/);
  });
});

describe('open-line model orbit response', () => {
  const l = LATTICES.find((x) => x.name === 'dba')!;
  it.skipIf(!available(l))('is the one-turn trajectory response: no response upstream of a corrector', () => {
    const lattice = loadLattice(l);
    const ring = createLatticeModel(lattice);
    const e0 = ring.optics([0])[0];
    const line = createLatticeModel(lattice, { openLine: { beta: e0.beta, alpha: e0.alpha } });
    const bpms = ring.find('class:Quadrupole');
    const cors = ring.find('class:Sextupole');
    const r = line.orbitResponse(bpms, cors);
    const t = ring.trajectoryResponse(bpms, cors);
    expect(maxAbsDiff(r.Rxx, t.Rxx)).toBe(0);
    expect(maxAbsDiff(r.Ryy, t.Ryy)).toBe(0);
    for (let i = 0; i < bpms.length; i++) {
      for (let j = 0; j < cors.length; j++) {
        if (bpms[i] <= cors[j]) {
          expect(r.Rxx[i][j]).toBe(0);
          expect(r.Ryy[i][j]).toBe(0);
        }
      }
    }
    expect(maxAbs(r.Rxx)).toBeGreaterThan(1);
    expect(() => line.orbitResponse(bpms, cors, { orbitType: 'fixed-path-length' })).toThrow(/open line/);
  });
});
