import { describe, expect, it } from 'vitest';
import { analyseBba, measureBba, planBba, planCentring } from '@mlayer/bba';
import { quadBeamOffset } from '@mlayer/adapters-sim';
import { correctOrbit } from '../twin-fixture.js';
import { diamondTwin } from '../diamond-fixture.js';

const rmsUm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length) * 1e6;

describe('after BBA, the beam steered through the paired quadrupoles (diamond-i04 twin; quadrupoles 50 um rms, BPM offsets 100 um rms, 1 um noise)', () => {
  it('passes within 15 um rms of the paired quadrupoles centres (twin truth), both planes, 16 BPMs', async () => {
    const t = await diamondTwin(4, 1e-6);
    await correctOrbit(t, 4, undefined, 1e-3);
    const bpms = t.acc.family('BPMx').names.filter((_n, i) => i % 11 === 0).slice(0, 16);
    const plan = planBba(t.acc, { bpms, steps: 7 });
    const result = analyseBba(await measureBba(t.acc, plan));
    const inQuads = () => plan.pairs.map((p) => quadBeamOffset(t.twin, p.quad.element, p.plane));
    const before = inQuads();
    const c = await planCentring(t.acc, plan, result);
    // The BBA's estimate of where the beam is in each quadrupole now, against the twin's truth.
    const estErr = c.quads.map((q) => q.offset - quadBeamOffset(t.twin, q.element, q.plane));
    for (const k of c.correctors) {
      const f = t.acc.family(k.family).enabled();
      const now = await f.get({ units: 'physics', field: 'setpoint' });
      await f.set(now.map((v, i) => v + k.change[i]), { units: 'physics' });
    }
    const after = inQuads();
    console.log(
      `centring: ${plan.pairs.length} pairs (${c.quads.length} quadrupole-planes); beam from the centres ${rmsUm(before).toFixed(1)} um rms before, ${rmsUm(after).toFixed(2)} um after ` +
        `(max ${(Math.max(...after.map(Math.abs)) * 1e6).toFixed(1)}); the BBA's estimate of the offsets in the quadrupoles ${rmsUm(estErr).toFixed(2)} um rms from the truth`,
    );
    expect(rmsUm(before)).toBeGreaterThan(50);
    expect(rmsUm(after)).toBeLessThanOrEqual(15);
    await t.acc.close();
  }, 600000);
});
