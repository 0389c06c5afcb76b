import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BbaError, measureBba, measureBbaParallel, planBba, planParallel } from '@mlayer/bba';
import { svd } from '@mlayer/tuning-common';
import { bbaTwin, setpoints, type BbaTwin } from '../twin-fixture.js';

describe('BBA configuration from the facility and the model (ThomX twin)', () => {
  let t: BbaTwin;
  beforeAll(async () => {
    t = await bbaTwin(1, 0);
  });
  afterAll(async () => t?.acc.close());

  it('pairs each BPM with the nearest quadrupole and the strongest corrector, and sizes the steps from the optics', () => {
    const plan = planBba(t.acc, { bpms: ['E54'], amplitude: 0.4e-3, modulation: 40e-6, maxQuadChange: 1 });
    const model = t.acc.model!;
    for (const p of plan.pairs) {
      expect(p.quad.name).toBe('E57');
      // The nearest quadrupole: no other quadrupole centre is closer to the BPM.
      const sB = model.element(p.bpm.element).s;
      for (const q of model.find('class:Quadrupole')) expect(Math.abs(sB - model.element(q).s - model.element(q).length / 2)).toBeGreaterThanOrEqual(Math.abs(p.distance) - 1e-12);
      // The corrector moves the beam at the BPM most of all correctors.
      const cors = t.acc.family(p.plane === 'x' ? 'HCM' : 'VCM').latticeElements(model);
      const r = model.orbitResponse([p.bpm.element], cors);
      const row = (p.plane === 'x' ? r.Rxx : r.Ryy)[0];
      expect(Math.abs(p.response)).toBeCloseTo(Math.max(...Array.from(row, Math.abs)), 12);
      expect(p.correctorStep * Math.abs(p.response)).toBeCloseTo(0.4e-3, 12);
      // sqrt(beta_b beta_q) / (2 |sin pi Q|) * dK L * amplitude = modulation.
      const pl = p.plane === 'x' ? 0 : 1;
      const Q = p.plane === 'x' ? model.tunes().qx : model.tunes().qy;
      const [ob, oq] = [model.optics([p.bpm.element])[0], model.optics([p.quad.element])[0]];
      const induced = (Math.sqrt(ob.beta[pl] * oq.beta[pl]) / (2 * Math.abs(Math.sin(Math.PI * Q)))) * p.quadStep * model.element(p.quad.element).length * 0.4e-3;
      expect(induced).toBeCloseTo(40e-6, 12);
    }
  });

  it('reports the BPMs without an individually powered quadrupole within reach, and honours overrides', () => {
    const far = planBba(t.acc, { bpms: ['E3', 'E24'], planes: ['x'], maxDistance: 0.05 });
    expect(far.pairs).toEqual([]);
    expect(far.unpaired.map((u) => u.bpm.name)).toEqual(['E3', 'E24']);
    expect(far.unpaired[0].reason).toMatch(/nearest individually powered quadrupole \(E6\) is 0\.\d\d m away \(> 0\.05 m\)/);
    const o = planBba(t.acc, { bpms: ['E3'], planes: ['y'], overrides: { E3: { quad: 'E22', corrector: 'E13', correctorStep: 1e-5, quadStep: 0.02 } } });
    expect(o.pairs.map((p) => [p.quad.name, p.corrector.name, p.correctorStep, p.quadStep])).toEqual([['E22', 'E13', 1e-5, 0.02]]);
    expect(() => planBba(t.acc, { bpms: ['E3'], overrides: { E3: { quad: 'Q9' } } })).toThrow(BbaError);
    expect(() => planBba(t.acc, { bpms: ['E3'], overrides: { E3: { quad: 'Q9' } } })).toThrow(/overrides\.E3\.quad: 'Q9' is not an individually powered quadrupole \(no such device\)/);
    expect(() => planBba(t.acc, { steps: 2 })).toThrow(/steps must be at least 3/);
    // A modulation that would need more than 5 % of a quadrupole's gradient is capped there, and the pair says so.
    const big = planBba(t.acc, { bpms: ['E54'], planes: ['x'], amplitude: 0.05e-3 });
    const k1 = Math.abs(t.acc.model!.getParameter({ element: big.pairs[0].quad.element, field: 'PolynomB', index: 1 }));
    expect(big.pairs[0].capped).toBe(true);
    expect(big.pairs[0].quadStep).toBeCloseTo(0.05 * k1, 12);
  });

  it('with everyQuad pairs every individually powered quadrupole once per plane: the others each with their nearest BPM, as extra pairs', () => {
    const model = t.acc.model!;
    const base = planBba(t.acc, {});
    const every = planBba(t.acc, { everyQuad: true });
    // The nearest pairs are unchanged and come first; the extra pairs are marked.
    expect(every.pairs.filter((p) => !p.extra)).toEqual(base.pairs);
    const extra = every.pairs.filter((p) => p.extra);
    expect(extra.length).toBeGreaterThan(0);
    const quadNames = t.acc.family('QUAD').names;
    for (const plane of ['x', 'y'] as const) {
      const quads = every.pairs.filter((p) => p.plane === plane).map((p) => p.quad.name);
      // Every quadrupole exactly once in this plane (none of the test facility's quadrupoles is farther than 3 m from a BPM).
      expect([...new Set(quads)].sort()).toEqual([...quadNames].sort());
      expect(quads.filter((q) => base.pairs.some((b) => b.plane === plane && b.quad.name === q))).toHaveLength(base.pairs.filter((b) => b.plane === plane).length);
    }
    const bpmEls = t.acc.family('BPMx').latticeElements(model);
    const circ = model.circumference * model.periodicity;
    const dist = (b: number, q: number) => {
      let d = model.element(b).s - model.element(q).s - model.element(q).length / 2;
      d -= Math.round(d / circ) * circ;
      return Math.abs(d);
    };
    for (const p of extra) {
      // Its BPM is the nearest BPM of the quadrupole, and the distance is signed from the BPM to the quadrupole's centre.
      for (const b of bpmEls) expect(dist(b, p.quad.element)).toBeGreaterThanOrEqual(Math.abs(p.distance) - 1e-12);
      expect(Math.abs(p.distance)).toBeCloseTo(dist(p.bpm.element, p.quad.element), 12);
    }
  });

  it('groups pairs for parallel measurement: each pair once, no quadrupole twice in a group, separations and tune shifts within the bounds', () => {
    const plan = planBba(t.acc, { planes: ['x', 'y'] });
    const pp = planParallel(t.acc, plan, { k: 4, minSeparation: 0.2, maxTuneShift: 0.002 });
    expect(pp.groups.flatMap((g) => g.pairs).sort((a, b) => a - b)).toEqual(plan.pairs.map((_p, i) => i));
    expect(pp.groups.length).toBeLessThan(plan.pairs.length);
    for (const g of pp.groups) {
      expect(g.pairs.length).toBeLessThanOrEqual(4);
      expect(g.pairs.every((i) => plan.pairs[i].plane === g.plane)).toBe(true);
      expect(new Set(g.pairs.map((i) => plan.pairs[i].quad.name)).size).toBe(g.pairs.length);
      if (g.pairs.length === 1) continue;
      // Smallest over largest singular value of the unit-norm response columns, from the group's own response.
      const norms = g.pairs.map((_i, j) => Math.hypot(...g.response.map((row) => row[j])));
      const s = svd(g.response.map((row) => Float64Array.from(row, (v, j) => v / norms[j]))).s;
      expect(s[s.length - 1] / s[0]).toBeGreaterThanOrEqual(0.2);
      expect(Math.max(...g.tuneShift.map(Math.abs))).toBeLessThanOrEqual(0.002);
      expect(g.quadScale.every((c) => c >= 0.1 && c <= 1)).toBe(true);
    }
    // Two passes (the default) share the plan's 5 steps: 2 coarse, 3 fine, and one centring set per corrector family.
    expect(pp.passes).toBe(2);
    expect(pp.passSteps).toEqual([2, 3]);
    expect(pp.steps).toBe(pp.groups.length * 2 * plan.steps + 2);
    expect(planParallel(t.acc, planBba(t.acc, { planes: ['x'], steps: 9 }), { k: 4, minSeparation: 0.2 }).passSteps).toEqual([3, 6]);
    expect(planParallel(t.acc, plan, { k: 4, minSeparation: 0.2, passes: 1 }).steps).toBe(pp.groups.length * 2 * plan.steps);
    expect(() => planParallel(t.acc, plan, { coarseSteps: 3 })).toThrow(/coarseSteps must be an integer >= 2 that leaves the fine pass at least 3 of the plan's 5 steps/);
    expect(pp.serialSteps).toBe(plan.pairs.length * 2 * plan.steps);
  });

  it('refuses a corrector step (serial) or bump (parallel) past the hardware limits before anything moves', async () => {
    // 3 mrad is 30 A; the correctors stop at 20 A.
    const plan = planBba(t.acc, { bpms: ['E3', 'E54'], planes: ['x'], overrides: { E54: { correctorStep: 3e-3 } } });
    const before = await setpoints(t.acc, ['QUAD', 'HCM', 'VCM']);
    const refusal = /HCM E\d+: the corrector step to -?30(\.\d+)? \(hardware\) would pass the limits \[-20, 20\]; choose a smaller step \(nothing was changed\)/;
    await expect(measureBba(t.acc, plan)).rejects.toThrow(refusal);
    // The parallel scans are bumps of the whole corrector family: a 5 mm bump needs more than 20 A somewhere.
    const parallel = measureBbaParallel(t.acc, planParallel(t.acc, plan, { minSeparation: 0, amplitude: 5e-3 }));
    await expect(parallel).rejects.toThrow(BbaError);
    await expect(parallel).rejects.toThrow(/HCM E\d+: the bump of step \d+ sets -?\d+(\.\d+)? \(hardware\), past the limits \[-20, 20\]; choose a smaller amplitude \(nothing was changed\)/);
    expect(await setpoints(t.acc, ['QUAD', 'HCM', 'VCM'])).toEqual(before);
  });
});
