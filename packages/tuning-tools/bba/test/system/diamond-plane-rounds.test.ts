import { describe, expect, it } from 'vitest';
import { measureBbaRounds, type Plane } from '@mlayer/bba';
import { correctOrbit, truthOf } from '../twin-fixture.js';
import { diamondTwin } from '../diamond-fixture.js';

// 0.1 mm scans: the sextupoles' curvature of the scan is quadratic in it (0.2 mm by hand: coverage 58.3 %, rms 0.89 um; 0.1 mm: 66.7 %, 0.50 um).
const AMP = 1e-4;
const umMax = (v: number[]) => Math.max(...v.map(Math.abs)) * 1e6;
const umRms = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length) * 1e6;

describe('BBA one plane after the other, the beam steered through the centres between, on the twin of the demo facility (diamond-i04; quadrupoles 50 um rms, BPM offsets 100 um rms)', () => {
  it('every paired BPM within 2 um of the truth, both planes, measured one plane after the other with the beam steered through the centres between (measureBbaRounds)', async () => {
    const t = await diamondTwin(5, 0);
    await correctOrbit(t, 4, undefined, 1e-3);
    const bpms = t.acc.family('BPMx').names.filter((_n, i) => i % 11 === 0).slice(0, 16);
    // The beam's offset in a quadrupole in the other plane kicks it there too when the gradient is modulated, and the
    // sextupoles' feed-down (the orbit through them) couples that into this plane's induced orbit: a constant the line
    // fit reads as a shift of the centre. Measured both planes at once with 0.5 mm scans: 5.1 um rms, 12.4 um at most (x).
    // So one plane after the other, each time the beam steered through the centres just measured (planCentring), and
    // 0.1 mm scans (the sextupoles' curvature of the scan is quadratic in it).
    const truths: number[][] = [];
    const r = await measureBbaRounds(t.acc, { bpms, amplitude: AMP, steps: 5 }, { rounds: 3, order: ['y', 'x'], beforePlane: (_round, _plane, plan) => void truths.push(plan.pairs.map((p) => truthOf(t, p))) });
    const err = r.steps.map((s, k) => s.result.pairs.map((p, i) => p.offset - truths[k][i]));
    console.log(`noise-free, 16 BPMs, rms / max of each measurement: ${r.steps.map((s, k) => `${s.round}${s.plane} ${umRms(err[k]).toFixed(2)}/${umMax(err[k]).toFixed(2)}`).join(', ')} um`);
    // Measured (the same procedure by hand): y first 4.23/15.11, then x 1.61/4.79, y 0.82/3.20, x 0.38/0.96, y 0.21/0.82 um.
    for (const k of [err.length - 2, err.length - 1]) expect(umMax(err[k])).toBeLessThanOrEqual(2);
    // The first plane is the one the cross-plane offset spoils.
    expect(umMax(err[0])).toBeGreaterThan(2);
    await t.acc.close();
  }, 600000);

  it('with 1 um noise per reading, 3 seeds, both planes (measureBbaRounds, third round): rms(fit - truth) <= 10 um and the 1-sigma errors cover the truth for 58-78 % of the BPMs', async () => {
    const pooled = { err: [] as number[], sigma: [] as number[] };
    for (const seed of [4, 5, 6]) {
      const t = await diamondTwin(seed, 1e-6);
      await correctOrbit(t, 4, undefined, 1e-3);
      const bpms = t.acc.family('BPMx').names.filter((_n, i) => i % 11 === 0).slice(0, 16);
      // The truth of each plane's last measurement, on the orbit that measurement started from.
      const truth = new Map<Plane, number[]>();
      const r = await measureBbaRounds(t.acc, { bpms, amplitude: AMP, steps: 5 }, { rounds: 3, order: ['y', 'x'], beforePlane: (round, plane, plan) => void (round === 3 && truth.set(plane, plan.pairs.map((p) => truthOf(t, p)))) });
      expect(r.steps.map((s) => `${s.round}${s.plane}`)).toEqual(['1y', '1x', '2y', '2x', '3y', '3x']);
      const want = [...truth.get('y')!, ...truth.get('x')!];
      r.result.pairs.forEach((p, i) => {
        pooled.err.push(p.offset - want[i]);
        pooled.sigma.push(p.sigma);
      });
      await t.acc.close();
    }
    const covered = pooled.err.filter((e, i) => Math.abs(e) <= pooled.sigma[i]).length / pooled.err.length;
    console.log(`noise 1 um, seeds 4-6, 16 BPMs, both planes (measureBbaRounds, third round, 0.1 mm scans): rms(fit - truth) ${umRms(pooled.err).toFixed(2)} um (max ${umMax(pooled.err).toFixed(2)}), 1-sigma covers ${(100 * covered).toFixed(1)} % of ${pooled.err.length}`);
    // Measured: 0.48 um rms (max 1.53), 71.9 % of 96 covered; with two rounds 0.73 um and 41.7 % (the cross-plane offset
    // still shows beside the noise).
    expect(umRms(pooled.err)).toBeLessThanOrEqual(10);
    expect(covered).toBeGreaterThanOrEqual(0.58);
    expect(covered).toBeLessThanOrEqual(0.78);
  }, 600000);
});
