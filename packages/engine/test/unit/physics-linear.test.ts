/** Linear optics, tunes, chromaticity, one-turn matrix and momentum compaction against pyAT. */
import { describe, expect, it } from 'vitest';
import { compileLattice } from '../../src/tracking/index.js';
import { findM44 } from '../../src/physics/linear-state.js';
import { getChrom, getTune, linopt6, linoptLine, ringTunes } from '../../src/physics/linear.js';
import { getMcf, getMcfCoefficients } from '../../src/physics/mcf.js';
import { LATTICES, available, loadJson, loadLattice, maxAbs, maxAbsDiff } from '../physics-fixtures.js';

describe.each(LATTICES.filter(available))('$name linear optics vs pyAT', (l) => {
  const lattice = loadLattice(l);
  const ref = loadJson(l, 'ref');
  const compiled = compileLattice(lattice);
  const N = lattice.elements.length;
  const P = lattice.properties.periodicity ?? 1;
  const all = Array.from({ length: N + 1 }, (_, i) => i);
  const res = linopt6(compiled, { refpts: all, getChrom: true });
  const o = ref.optics_all_refpts;

  it('optics at every element entrance (linopt6)', () => {
    expect(o.refpts).toEqual(all);
    const beta = res.elemdata.map((e) => e.beta);
    expect(maxAbsDiff(beta, o.beta) / maxAbs(o.beta)).toBeLessThan(1e-6);
    expect(maxAbsDiff(res.elemdata.map((e) => e.alpha), o.alpha)).toBeLessThan(1e-6);
    expect(maxAbsDiff(res.elemdata.map((e) => e.mu), o.mu)).toBeLessThan(1e-7);
    expect(maxAbsDiff(res.elemdata.map((e) => e.dispersion), o.dispersion)).toBeLessThan(1e-6);
    expect(maxAbsDiff(res.elemdata.map((e) => e.closedOrbit), o.closed_orbit)).toBeLessThan(1e-12);
    expect(maxAbsDiff(res.elemdata.map((e) => e.s), o.s_pos)).toBeLessThan(1e-9);
  });

  it('optics at the BPMs only (same unwrapped phase)', () => {
    const b = ref.optics_at_bpms;
    const r = linopt6(compiled, { refpts: b.index });
    expect(maxAbsDiff(r.elemdata.map((e) => e.beta), b.beta) / maxAbs(b.beta)).toBeLessThan(1e-6);
    expect(maxAbsDiff(r.elemdata.map((e) => e.alpha), b.alpha)).toBeLessThan(1e-6);
    expect(maxAbsDiff(r.elemdata.map((e) => e.mu), b.mu)).toBeLessThan(1e-7);
    expect(maxAbsDiff(r.elemdata.map((e) => e.dispersion), b.dispersion)).toBeLessThan(1e-6);
  });

  it('total and fractional tunes', () => {
    const q = ringTunes(compiled);
    const qr = ref.tunes.ring_tunes_with_integer;
    expect(Math.abs(q[0] - qr[0])).toBeLessThan(1e-7);
    expect(Math.abs(q[1] - qr[1])).toBeLessThan(1e-7);
    const f = getTune(compiled);
    expect(Math.abs(f[0] - ref.tunes.get_tune_linopt[0])).toBeLessThan(1e-7);
    expect(Math.abs(f[1] - ref.tunes.get_tune_linopt[1])).toBeLessThan(1e-7);
    // ringdata.tune is the fractional tune of one cell
    expect(Math.abs(res.ringdata.tune[0] - ref.tunes.get_optics_ringdata_tune[0])).toBeLessThan(1e-7 / P);
    expect(Math.abs(res.ringdata.tune[1] - ref.tunes.get_optics_ringdata_tune[1])).toBeLessThan(1e-7 / P);
  });

  it('chromaticity (central difference at dp = +-DPStep/2)', () => {
    const c = getChrom(compiled);
    const cr = ref.chromaticity['get_chrom_default_DPStep_3e-6'];
    expect(Math.abs(c[0] - cr[0])).toBeLessThan(1e-5);
    expect(Math.abs(c[1] - cr[1])).toBeLessThan(1e-5);
    const cell = res.ringdata.chromaticity!;
    expect(Math.abs(cell[0] - ref.chromaticity.get_optics_ringdata_chromaticity[0])).toBeLessThan(1e-5);
    expect(Math.abs(cell[1] - ref.chromaticity.get_optics_ringdata_chromaticity[1])).toBeLessThan(1e-5);
    const c5 = getChrom(compiled, { dpStep: 1e-5 });
    expect(Math.abs(c5[0] - ref.chromaticity['get_chrom_DPStep_1e-05'][0])).toBeLessThan(1e-5);
    expect(Math.abs(c5[1] - ref.chromaticity['get_chrom_DPStep_1e-05'][1])).toBeLessThan(1e-5);
  });

  it('one-turn matrix (find_m44)', () => {
    const key = Object.keys(ref).find((k) => k.startsWith('one_turn_matrix_m44'))!;
    const m = findM44(compiled).m44;
    const rows = [0, 1, 2, 3].map((i) => Array.from(m.subarray(4 * i, 4 * i + 4)));
    expect(maxAbsDiff(rows, ref[key])).toBeLessThan(1e-9 * Math.max(1, maxAbs(ref[key])));
  });

  it('momentum compaction (get_mcf, linear and 2nd-order fits)', () => {
    const mc = ref.momentum_compaction;
    expect(Math.abs(getMcf(compiled) / mc.get_mcf_default - 1)).toBeLessThan(1e-8);
    // and the analytic first-order value (radiation integral I1 / L)
    expect(Math.abs(getMcf(compiled) / mc.I1_over_cell_length - 1)).toBeLessThan(1e-8);
    expect(Math.abs(getMcf(compiled, { dpStep: 1e-5 }) / mc['get_mcf_DPStep_1e-5'] - 1)).toBeLessThan(1e-8);
    const fit = getMcfCoefficients(compiled, { fitOrder: 2, nStep: 5, dpStep: 1e-4 });
    const rf = mc['get_mcf_fit_order2_nstep5_DPStep_1e-4'];
    expect(Math.abs(fit[0] / rf[0] - 1)).toBeLessThan(1e-8);
    expect(Math.abs(fit[1] - rf[1])).toBeLessThan(1e-6 * Math.max(Math.abs(rf[1]), Math.abs(rf[0])) + 1e-6 * Math.abs(rf[1]));
  });

  it('transfer-line optics from the periodic Twiss at the entrance reproduce the ring optics', () => {
    const e0 = res.elemdata0;
    const line = linoptLine(compiled, {
      beta: e0.beta,
      alpha: e0.alpha,
      dispersion: e0.dispersion,
      closedOrbit: e0.closedOrbit,
    }, { refpts: all });
    expect(maxAbsDiff(line.map((e) => e.beta), o.beta) / maxAbs(o.beta)).toBeLessThan(1e-6);
    expect(maxAbsDiff(line.map((e) => e.alpha), o.alpha)).toBeLessThan(1e-6);
    expect(maxAbsDiff(line.map((e) => e.mu), o.mu)).toBeLessThan(1e-7);
    expect(maxAbsDiff(line.map((e) => e.dispersion), o.dispersion)).toBeLessThan(1e-6);
  });
});
