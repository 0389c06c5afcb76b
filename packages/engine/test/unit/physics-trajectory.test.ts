/**
 * Trajectories and the trajectory response (issue 22): the analytic response against
 * central differences of tracked trajectories on the demo ring over two turns, the
 * closed orbit as a trajectory, losses on the chamber apertures, the chamber option.
 */
import { describe, expect, it } from 'vitest';
import { compileLattice, createLatticeModel, particlesFromRows, track, type Lattice } from '../../src/index.js';
import { LATTICES, available, loadLattice, maxAbs } from '../physics-fixtures.js';

const diamond = LATTICES.find((l) => l.name === 'diamond_i04')!;
const dba = LATTICES.find((l) => l.name === 'dba')!;

describe.skipIf(!available(diamond))('trajectory response, diamond_i04, 2 turns', () => {
  const lattice = loadLattice(diamond);
  const model = createLatticeModel(lattice);
  const bpms = model.find('famname:BPM');
  // the HSTR/VSTR steerers are KickAngle on sextupoles (StrMPoleSymplectic4Pass)
  const cors = model.find('class:Sextupole');

  it('equals central differences of tracked trajectories (h = 1e-8 rad) to 1e-8 of the largest entry; zero upstream of the kick', () => {
    expect(bpms.length).toBe(173);
    const r = model.trajectoryResponse(bpms, cors, { turns: 2 });
    expect(r.turns).toBe(2);
    expect(r.Rxx.length).toBe(2 * 173);
    const largest = maxAbs(r.Rxx);
    let worst = 0;
    const h = 1e-8;
    for (const j of [0, 41, 97, cors.length - 1]) {
      const c = r.correctors[j];
      for (const plane of [0, 1]) {
        const ref = { element: c, field: 'KickAngle', index: plane };
        const m = model.clone();
        m.setParameter(ref, h);
        const up = m.trajectory(bpms, { turns: 2 });
        m.setParameter(ref, -h);
        const dn = m.trajectory(bpms, { turns: 2 });
        for (let i = 0; i < up.x.length; i++) {
          const ax = plane === 0 ? r.Rxx[i][j] : r.Rxy[i][j];
          const ay = plane === 0 ? r.Ryx[i][j] : r.Ryy[i][j];
          worst = Math.max(worst, Math.abs((up.x[i] - dn.x[i]) / (2 * h) - ax), Math.abs((up.y[i] - dn.y[i]) / (2 * h) - ay));
          // a kick does not move the BPMs of the first turn upstream of the corrector
          if (i < bpms.length && bpms[i] <= c) expect(ax === 0 && ay === 0).toBe(true);
        }
      }
    }
    expect(largest).toBeGreaterThan(10);
    expect(worst).toBeLessThan(1e-8 * largest);
  });

  it('from an injection point k: the readings are those of the lattice rotated to start at k; the response equals central differences', () => {
    const k = 1000;
    const N = lattice.elements.length;
    const rotated = createLatticeModel({ ...lattice, elements: [...lattice.elements.slice(k), ...lattice.elements.slice(0, k)] });
    const start = [5e-4, -2e-5, -3e-4, 1e-5, 1e-4, 0];
    const t = model.trajectory(bpms, { initial: start, turns: 2, start: k });
    const rb = bpms.map((b) => (b >= k ? b - k : b - k + N));
    const order = rb.map((_, i) => i).sort((a, b) => rb[a] - rb[b]);
    const tr = rotated.trajectory(order.map((i) => rb[i]), { initial: start, turns: 2 });
    let worst = 0;
    for (let turn = 0; turn < 2; turn++) {
      order.forEach((i, j) => {
        worst = Math.max(worst, Math.abs(t.x[turn * bpms.length + i] - tr.x[turn * bpms.length + j]), Math.abs(t.y[turn * bpms.length + i] - tr.y[turn * bpms.length + j]));
      });
    }
    expect(t.start).toBe(k);
    expect(worst).toBe(0);
    const r = model.trajectoryResponse(bpms, cors, { turns: 2, start: k, initial: start });
    const h = 1e-8;
    let fd = 0;
    // a corrector downstream of k and one upstream (reached after the wrap)
    for (const j of [r.correctors.findIndex((c) => c > k + 50), 10]) {
      const c = r.correctors[j];
      const m = model.clone();
      m.setParameter({ element: c, field: 'KickAngle', index: 0 }, h);
      const up = m.trajectory(bpms, { turns: 2, start: k, initial: start });
      m.setParameter({ element: c, field: 'KickAngle', index: 0 }, -h);
      const dn = m.trajectory(bpms, { turns: 2, start: k, initial: start });
      for (let i = 0; i < up.x.length; i++) {
        fd = Math.max(fd, Math.abs((up.x[i] - dn.x[i]) / (2 * h) - r.Rxx[i][j]));
        const b = bpms[i % bpms.length];
        const firstTurn = i < bpms.length;
        const upstream = firstTurn && ((c >= k && (b <= c && b >= k)) || (c < k && (b >= k || b <= c)));
        if (upstream) expect(r.Rxx[i][j]).toBe(0);
      }
    }
    expect(fd).toBeLessThan(1e-8 * maxAbs(r.Rxx));
  });

  it('from the closed orbit, the trajectory is the closed orbit on every turn', () => {
    const m = model.clone();
    m.setParameter({ element: cors[3], field: 'KickAngle', index: 0 }, 2e-5);
    m.setParameter({ element: cors[50], field: 'KickAngle', index: 1 }, 2e-5);
    const co = m.closedOrbit([0])[0];
    const t = m.trajectory(bpms, { initial: [co[0], co[1], co[2], co[3], 0, 0], turns: 3 });
    const orbit = m.closedOrbit(bpms);
    expect(t.lost).toBeUndefined();
    let worst = 0;
    for (let turn = 0; turn < 3; turn++) {
      for (let i = 0; i < bpms.length; i++) {
        worst = Math.max(worst, Math.abs(t.x[turn * bpms.length + i] - orbit[i][0]), Math.abs(t.y[turn * bpms.length + i] - orbit[i][2]));
      }
    }
    expect(maxAbs(orbit.map((o) => o[0]))).toBeGreaterThan(1e-4);
    expect(worst).toBeLessThan(1e-12);
  });
});

describe.skipIf(!available(dba))('losses on the chamber', () => {
  const lattice: Lattice = loadLattice(dba);

  it('the chamber option puts an aperture on every element without one (per class, else the default); its own are kept', () => {
    const own = lattice.elements.findIndex((e) => e.Class === 'Quadrupole');
    const withOwn: Lattice = { ...lattice, elements: lattice.elements.map((e, i) => (i === own ? { ...e, RApertures: [-0.1, 0.1, -0.1, 0.1] } : e)) };
    const m = createLatticeModel(withOwn, {
      chamber: { default: { shape: 'elliptical', halfSizes: [0.03, 0.015] }, classes: { Quadrupole: { shape: 'rectangular', halfSizes: [0.02, 0.01] } } },
    });
    const els = m.lattice().elements;
    expect(els[own].RApertures).toEqual([-0.1, 0.1, -0.1, 0.1]);
    expect(els[own].EApertures).toBeUndefined();
    const q = els.findIndex((e, i) => e.Class === 'Quadrupole' && i !== own);
    expect(els[q].RApertures).toEqual([-0.02, 0.02, -0.01, 0.01]);
    const d = els.findIndex((e) => e.Class === 'Drift');
    expect(els[d].EApertures).toEqual([0.03, 0.015]);
    expect(() => createLatticeModel(lattice, { chamber: { default: { shape: 'elliptical', halfSizes: [0.03, -1] } } })).toThrow(/halfSizes/);
  });

  it('a trajectory is lost where tracking loses the particle; readings downstream and response rows beyond are NaN', () => {
    const chamber = { default: { shape: 'elliptical' as const, halfSizes: [0.01, 0.005] as [number, number] } };
    const m = createLatticeModel(lattice, { chamber });
    const bpms = m.find('class:Quadrupole');
    const start = [0.004, 0.0015, 0.001, 0, 0, 0];
    const t = m.trajectory(bpms, { initial: start, turns: 3 });
    const p = particlesFromRows([start]);
    const res = track(compileLattice(m.lattice()), p, { turns: 3 });
    expect(res.lostTurn[0]).toBeGreaterThan(0);
    expect(t.lost).toEqual({ element: res.lostElement[0], turn: res.lostTurn[0] - 1 });
    const nb = bpms.length;
    for (let turn = 0; turn < 3; turn++) {
      for (let i = 0; i < nb; i++) {
        const before = turn < t.lost!.turn || (turn === t.lost!.turn && bpms[i] <= t.lost!.element);
        expect(Number.isNaN(t.x[turn * nb + i])).toBe(!before);
      }
    }
    expect(Number.isNaN(t.final[0])).toBe(true);
    // the same start without the chamber goes around
    expect(createLatticeModel(lattice).trajectory(bpms, { initial: start, turns: 3 }).lost).toBeUndefined();
    const r = m.trajectoryResponse(bpms, m.find('class:Sextupole'), { initial: start, turns: 3 });
    expect(r.lost).toEqual(t.lost);
    const firstNaN = r.Rxx.findIndex((row) => Number.isNaN(row[0]));
    expect(firstNaN).toBe(Array.from(t.x).findIndex(Number.isNaN));
  });
});
