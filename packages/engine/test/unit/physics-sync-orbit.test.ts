/**
 * The synchronous orbit (pyAT find_sync_orbit; the shared folder has no pyAT reference for it):
 * - physics, independent solution: the 6D closed orbit (findOrbit6) of the same lattice with its
 *   cavity active at f_RF + df and no radiation is the orbit the RF imposes; findSyncOrbit({df})
 *   must give it (different Newton, 6 unknowns with the cavity's kick);
 * - physics, the dispersion relation: for a small path lengthening the orbit is x(s) = Dx(s) dp
 *   and dp = dct / (alpha_c L) to first order;
 * - consistency (stated as such): one turn of orbit0 closes x..py and dp and lengthens ct by dct;
 *   the dp variant gives back the same orbit and dct;
 * - errors: a 6D lattice, two specifications, df without a cavity.
 */
import { describe, expect, it } from 'vitest';
import { compileLattice, type CompiledLattice } from '../../src/tracking/compile.js';
import { track } from '../../src/tracking/track.js';
import { compile6d } from '../../src/physics/enable-6d.js';
import { findOrbit6 } from '../../src/physics/orbit6.js';
import { findSyncOrbit, nominalRfFrequency } from '../../src/physics/sync-orbit.js';
import { linopt6 } from '../../src/physics/linear.js';
import { getMcf } from '../../src/physics/mcf.js';
import { available, LATTICES, loadLattice, type RefLattice } from '../physics-fixtures.js';

const HMBA = LATTICES.find((l) => l.name === 'hmba') as RefLattice;
const DBA = LATTICES.find((l) => l.name === 'dba') as RefLattice;
const lengthOf = (c: CompiledLattice) => c.elements.reduce((s, e) => s + e.element.Length, 0);

describe('synchronous orbit (pyAT find_sync_orbit), hmba', () => {
  it.skipIf(!available(HMBA))('df: equals the 6D closed orbit with the cavity at f_RF + df and no radiation', () => {
    const lattice = loadLattice(HMBA);
    const c4 = compileLattice(lattice);
    const frf = nominalRfFrequency(c4);
    for (const df of [100, -500]) {
      const sync = findSyncOrbit(c4, { df });
      const rf = { ...lattice, elements: lattice.elements.map((e) => (e.Class === 'RFCavity' ? { ...e, PassMethod: 'RFCavityPass', Frequency: frf + df } : e)) };
      const o6 = findOrbit6(compileLattice(rf, { sixD: true }), { guess: [0, 0, 0, 0, 0, 0] });
      const err = [0, 1, 2, 3, 4].map((k) => Math.abs(sync.orbit0[k] - o6[k]));
      console.log(`df ${df} Hz: dp ${sync.orbit0[4].toExponential(6)}, x ${sync.orbit0[0].toExponential(6)}; |sync - orbit6| ${err.map((e) => e.toExponential(1)).join(', ')}`);
      expect(Math.abs(sync.dct - (-lengthOf(c4) * df) / (frf + df))).toBeLessThan(1e-18);
      // dp ~ 1e-2, x ~ 1e-5: agreement to the Newton convergence of the two solvers
      expect(err[4]).toBeLessThan(5e-12);
      expect(err[0]).toBeLessThan(1e-14);
      expect(err[1]).toBeLessThan(1e-16);
    }
  });

  it.skipIf(!available(HMBA))('small dct: x(s) = Dx(s) dp at every element, dp = dct / (alpha_c L) to first order', () => {
    const c4 = compileLattice(loadLattice(HMBA));
    const dct = -1e-6;
    const N = c4.elements.length;
    const refpts = Array.from({ length: N + 1 }, (_, i) => i);
    const sync = findSyncOrbit(c4, { dct }, refpts);
    const dp = sync.orbit0[4];
    const first = dct / (getMcf(c4) * lengthOf(c4));
    const optics = linopt6(c4, { refpts }).elemdata;
    let worst = 0, xmax = 0;
    sync.orbits.forEach((o, i) => {
      worst = Math.max(worst, Math.abs(o[0] - optics[i].dispersion[0] * dp));
      xmax = Math.max(xmax, Math.abs(o[0]));
      expect(o[4]).toBe(dp);
    });
    console.log(`dct ${dct}: dp ${dp.toExponential(6)} (first order ${first.toExponential(6)}), max |x - Dx dp| ${worst.toExponential(2)} of max |x| ${xmax.toExponential(2)}`);
    expect(Math.abs(dp / first - 1)).toBeLessThan(5e-3);
    expect(worst).toBeLessThan(5e-3 * xmax);
  });

  it.skipIf(!available(HMBA))('consistency: one turn closes x..dp and lengthens ct by dct; the dp variant gives the same orbit back', () => {
    const c4 = compileLattice(loadLattice(HMBA));
    const sync = findSyncOrbit(c4, { dct: 2e-5 });
    const c = Float64Array.from(sync.orbit0);
    track(c4, c, { turns: 1 });
    for (let k = 0; k < 5; k++) expect(Math.abs(c[k] - sync.orbit0[k])).toBeLessThan(1e-15);
    expect(Math.abs(c[5] - sync.orbit0[5] - 2e-5)).toBeLessThan(1e-17);
    const back = findSyncOrbit(c4, { dp: sync.orbit0[4] });
    expect(Math.abs(back.dct - 2e-5)).toBeLessThan(1e-16);
    for (let k = 0; k < 4; k++) expect(Math.abs(back.orbit0[k] - sync.orbit0[k])).toBeLessThan(1e-15);
    // default: dct = 0, the on-momentum orbit of the ideal lattice
    expect(Array.from(findSyncOrbit(c4).orbit0).every((v) => Math.abs(v) < 1e-15)).toBe(true);
  });
});

describe('synchronous orbit: errors', () => {
  it.skipIf(!available(HMBA))('a 6D lattice, two specifications, a non-finite value: messages naming what', () => {
    const lattice = loadLattice(HMBA);
    expect(() => findSyncOrbit(compile6d(lattice))).toThrow(/synchronous orbit: element #\d+ '.+' has the 6D pass method \w+; this solution needs the 4D lattice/);
    const c4 = compileLattice(lattice);
    expect(() => findSyncOrbit(c4, { dct: 1e-6, df: 10 })).toThrow(/give one of dct, df and dp \(got dct, df\)/);
    expect(() => findSyncOrbit(c4, { dp: Number.NaN })).toThrow(/dp NaN is not a finite number/);
  });
  it.skipIf(!available(DBA))('df on a lattice without a cavity: the harmonic number is unknown', () => {
    expect(() => findSyncOrbit(compileLattice(loadLattice(DBA)), { df: 100 })).toThrow(/no RF cavity with a Frequency .*give dct instead/);
  });
});
