/** The engine's LatticeModel (port of @mlayer/core) against the pyAT references. */
import { describe, expect, it } from 'vitest';
import type { LatticeModel } from '@mlayer/core';
import { createLatticeModel } from '../../src/model/index.js';
import { LATTICES, available, loadJson, loadLattice, maxAbs, maxAbsDiff } from '../physics-fixtures.js';

const hmba = LATTICES.find((x) => x.name === 'hmba')!;
const thomx = LATTICES.find((x) => x.name === 'thomx')!;

describe.runIf(available(hmba))('LatticeModel on hmba (one cell, periodicity 32)', () => {
  const lattice = loadLattice(hmba);
  const ref = loadJson(hmba, 'ref');
  const orm = loadJson(hmba, 'orm');
  const dk = loadJson(hmba, 'dorm_dk');

  it('describes the lattice', () => {
    const m: LatticeModel = createLatticeModel(lattice);
    expect(m.length).toBe(ref.summary.n_elements);
    expect(m.periodicity).toBe(32);
    expect(m.circumference).toBeCloseTo(ref.summary.cell_length_m, 9);
    expect(m.energy).toBe(ref.summary.energy_eV);
    const e = m.element(ref.optics_at_bpms.index[1]);
    expect(e.famName).toBe(ref.optics_at_bpms.FamName[1]);
    expect(e.className).toBe('Monitor');
    expect(e.s).toBeCloseTo(ref.optics_at_bpms.s_pos[1], 9);
    expect(() => m.element(m.length)).toThrow(/outside/);
  });

  it('selects elements by class, pass method, FamName regex and index list', () => {
    const m = createLatticeModel(lattice);
    expect(m.find('class:Monitor')).toEqual(ref.optics_at_bpms.index);
    expect(m.find('class:monitor')).toEqual(ref.optics_at_bpms.index);
    expect(m.find('class:Sextupole')).toEqual(ref.correctors.index);
    expect(m.find('famname:BPM_0[1-3]')).toEqual(ref.optics_at_bpms.index.slice(0, 3));
    expect(m.find('famname:BPM')).toEqual([]);
    expect(m.find('pass:BndMPoleSymplectic4Pass').length).toBe(ref.summary.passmethod_counts_4d.BndMPoleSymplectic4Pass);
    expect(m.find([5, 3, 3, m.length])).toEqual([3, 5, m.length]);
    expect(() => m.find('kind:Monitor')).toThrow(/class:NAME/);
    expect(() => m.find('famname:(')).toThrow(/invalid regular expression/);
    expect(() => m.find([m.length + 1])).toThrow(/outside/);
  });

  it('tunes, chromaticity, momentum compaction, optics, orbit and dispersion', () => {
    const m = createLatticeModel(lattice);
    const q = m.tunes();
    expect(Math.abs(q.qx - ref.tunes.ring_tunes_with_integer[0])).toBeLessThan(1e-7);
    expect(Math.abs(q.qy - ref.tunes.ring_tunes_with_integer[1])).toBeLessThan(1e-7);
    const c = m.chromaticity();
    expect(Math.abs(c[0] - ref.chromaticity['get_chrom_default_DPStep_3e-6'][0])).toBeLessThan(1e-5);
    expect(Math.abs(c[1] - ref.chromaticity['get_chrom_default_DPStep_3e-6'][1])).toBeLessThan(1e-5);
    expect(Math.abs(m.momentumCompaction() / ref.momentum_compaction.get_mcf_default - 1)).toBeLessThan(1e-8);
    const b = ref.optics_at_bpms;
    const o = m.optics('class:Monitor');
    expect(o.map((x) => x.index)).toEqual(b.index);
    expect(maxAbsDiff(o.map((x) => x.beta), b.beta) / maxAbs(b.beta)).toBeLessThan(1e-6);
    expect(maxAbsDiff(o.map((x) => x.alpha), b.alpha)).toBeLessThan(1e-6);
    expect(maxAbsDiff(o.map((x) => x.mu), b.mu)).toBeLessThan(1e-7);
    expect(maxAbsDiff(o.map((x) => x.dispersion), b.dispersion)).toBeLessThan(1e-6);
    const d = m.dispersion('class:Monitor');
    expect(maxAbsDiff(d.map((x) => x[0]), b.dispersion.map((v: number[]) => v[0]))).toBeLessThan(1e-6);
    const end = m.optics([m.length])[0];
    expect(end.mu[0] / (2 * Math.PI)).toBeCloseTo(ref.tunes.cell_tunes_with_integer[0], 9);
  });

  it('orbit response and its derivative, tune response', () => {
    const m = createLatticeModel(lattice);
    const R = m.orbitResponse('class:Monitor', 'class:Sextupole');
    expect(R.bpms).toEqual(orm.bpm_index);
    expect(R.correctors).toEqual(orm.corrector_index);
    expect(maxAbsDiff(R.Rxx, orm['Rxx_h1e-7']) / maxAbs(orm['Rxx_h1e-7'])).toBeLessThan(1e-6);
    expect(maxAbsDiff(R.Ryy, orm['Ryy_h1e-7']) / maxAbs(orm['Ryy_h1e-7'])).toBeLessThan(1e-6);
    const D = m.orbitResponseDerivative('class:Monitor', 'class:Sextupole', [{ element: dk.quad_index, field: 'K' }]);
    expect(maxAbsDiff(D.Rxx, dk.dRxx_dK) / maxAbs(dk.dRxx_dK)).toBeLessThan(1e-5);
    expect(maxAbsDiff(D.Ryy, dk.dRyy_dK) / maxAbs(dk.dRyy_dK)).toBeLessThan(1e-5);
    const [t] = m.tuneResponse([[{ element: dk.quad_index, field: 'K' }]]);
    expect(Math.abs(t[0] - dk.dtune_dK_ring_with_integer[0])).toBeLessThan(1e-6);
    expect(Math.abs(t[1] - dk.dtune_dK_ring_with_integer[1])).toBeLessThan(1e-6);
  });

  it('parameter writes bump the version and invalidate cached results', () => {
    const m = createLatticeModel(lattice);
    const ref0 = { element: dk.quad_index, field: 'K' };
    const k0 = m.getParameter(ref0);
    expect(k0).toBe(dk.quad_K);
    expect(m.getParameter({ element: dk.quad_index, field: 'PolynomB', index: 1 })).toBe(dk.quad_K);
    const q0 = m.tunes();
    const v0 = m.version;
    m.setParameter(ref0, k0 + 1e-5);
    expect(m.version).toBe(v0 + 1);
    expect(m.getParameter({ element: dk.quad_index, field: 'PolynomB', index: 1 })).toBe(k0 + 1e-5);
    const q1 = m.tunes();
    m.setParameter(ref0, k0 - 1e-5);
    const qm = m.tunes();
    // Central difference against pyAT's d(tune)/dK, to the README's dORM/dK tolerance (1e-5 of the largest).
    const dq = dk.dtune_dK_ring_with_integer as number[];
    const tolDq = 1e-5 * maxAbs(dq);
    expect(Math.abs((q1.qx - qm.qx) / 2e-5 - dq[0])).toBeLessThan(tolDq);
    expect(Math.abs((q1.qy - qm.qy) / 2e-5 - dq[1])).toBeLessThan(tolDq);
    m.setParameter(ref0, k0);
    expect(Math.abs(m.tunes().qx - q0.qx)).toBeLessThan(1e-12);
  });

  it('closed orbit with KickAngle written through setParameter', () => {
    const m = createLatticeModel(lattice);
    const k = ref.closed_orbit_3_kicks;
    expect(maxAbs(m.closedOrbit('class:Monitor'))).toBe(0);
    for (const i of k.kicked_corrector_index) {
      m.setParameter({ element: i, field: 'KickAngle', index: 0 }, 10e-6);
      m.setParameter({ element: i, field: 'KickAngle', index: 1 }, 10e-6);
    }
    const o = m.closedOrbit(k.bpm_index);
    const want = k.orbit_at_bpms.map((r: number[]) => r.slice(0, 4));
    expect(maxAbsDiff(o, want) / maxAbs(want)).toBeLessThan(1e-6);
  });

  it('clone() is independent of the original', () => {
    const m = createLatticeModel(lattice);
    const q0 = m.tunes();
    const c = m.clone();
    c.setParameter({ element: dk.quad_index, field: 'K' }, dk.quad_K * 1.001);
    expect(c.tunes().qx).not.toBe(q0.qx);
    expect(m.tunes().qx).toBe(q0.qx);
    expect(m.getParameter({ element: dk.quad_index, field: 'K' })).toBe(dk.quad_K);
  });

  it('the closed orbit asked for alone is the linear state\'s, bit for bit, with and without kicks and off momentum', () => {
    const bpms = ref.optics_at_bpms.index as number[];
    const kicks = ref.closed_orbit_3_kicks.kicked_corrector_index as number[];
    const kicked = (m: LatticeModel): LatticeModel => {
      for (const i of kicks) m.setParameter({ element: i, field: 'KickAngle', index: 0 }, 10e-6);
      return m;
    };
    for (const dp of [0, 1e-3]) {
      // Alone first (no transfer matrices), then from the optics (the linear state) of another model.
      const alone = kicked(createLatticeModel(lattice)).closedOrbit(bpms, { dp });
      const withState = kicked(createLatticeModel(lattice));
      const optics = withState.optics(bpms, { dp });
      expect(alone.map((o) => Array.from(o))).toStrictEqual(optics.map((o) => [...o.closedOrbit]));
      expect(withState.closedOrbit(bpms, { dp })).toStrictEqual(alone);
      expect(maxAbs(alone)).toBeGreaterThan(0);
    }
  });

  it('clone() shares the elements until either model writes one (copy on write, both ways)', () => {
    const m = createLatticeModel(lattice);
    const c = m.clone();
    const q0 = m.tunes();
    const k = { element: dk.quad_index, field: 'K' };
    // The original written after the clone: the clone keeps the design value.
    m.setParameter(k, dk.quad_K * 1.002);
    expect(c.getParameter(k)).toBe(dk.quad_K);
    expect(c.tunes()).toStrictEqual(q0);
    expect(m.tunes().qx).not.toBe(q0.qx);
    // A clone of a clone, written: neither the first clone nor the original follow.
    const cc = c.clone();
    cc.setParameter({ element: dk.quad_index, field: 'PolynomB', index: 1 }, dk.quad_K * 0.999);
    expect(c.getParameter(k)).toBe(dk.quad_K);
    expect(m.getParameter(k)).toBe(dk.quad_K * 1.002);
    expect(cc.getParameter(k)).toBe(dk.quad_K * 0.999);
    // Lattice data handed out are copies either way.
    expect(c.lattice().elements[dk.quad_index].K).toBe(dk.quad_K);
    expect(m.lattice().elements[dk.quad_index].K).toBe(dk.quad_K * 1.002);
    // A rejected write leaves a shared element as it was, in both models.
    const d = createLatticeModel(lattice);
    const e = d.clone();
    expect(() => e.setParameter(k, Number.NaN)).toThrow(/not a finite number/);
    expect(e.getParameter(k)).toBe(dk.quad_K);
    expect(d.getParameter(k)).toBe(dk.quad_K);
  });

  it('names the element and field in parameter errors', () => {
    const m = createLatticeModel(lattice);
    expect(() => m.getParameter({ element: dk.quad_index, field: 'Voltage' })).toThrow(/QF1A.*Voltage/);
    expect(() => m.getParameter({ element: dk.quad_index, field: 'PolynomB' })).toThrow(/give an index/);
    expect(() => m.setParameter({ element: dk.quad_index, field: 'K' }, NaN)).toThrow(/not a finite number/);
    expect(() => m.getParameter({ element: -1, field: 'K' })).toThrow(/outside/);
  });
});

describe.runIf(available(thomx))('LatticeModel on thomx (thick correctors)', () => {
  const lattice = loadLattice(thomx);
  const orm = loadJson(thomx, 'orm');
  it('orbit response with CorrectorPass correctors selected by pass method', () => {
    const m = createLatticeModel(lattice);
    expect(m.find('pass:CorrectorPass')).toEqual(orm.corrector_index);
    const R = m.orbitResponse('class:Monitor', 'pass:CorrectorPass');
    expect(R.bpms).toEqual(orm.bpm_index);
    expect(maxAbsDiff(R.Rxx, orm['Rxx_h1e-7']) / maxAbs(orm['Rxx_h1e-7'])).toBeLessThan(1e-6);
    expect(maxAbsDiff(R.Ryy, orm['Ryy_h1e-7']) / maxAbs(orm['Ryy_h1e-7'])).toBeLessThan(1e-6);
  });
});
