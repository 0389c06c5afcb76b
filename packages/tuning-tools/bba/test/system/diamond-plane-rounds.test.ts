import { describe, expect, it } from 'vitest';
import { analyseBba, measureBba, planBba, planCentring, type Plane } from '@mlayer/bba';
import { correctOrbit, truthOf, type BbaTwin } from '../twin-fixture.js';
import { diamondTwin } from '../diamond-fixture.js';

// 0.1 mm scans: the sextupoles' curvature of the scan is quadratic in it (0.2 mm: coverage 58.3 %, rms 0.89 um; 0.1 mm: 66.7 %, 0.50 um).
const AMP = 1e-4;
const umMax = (v: number[]) => Math.max(...v.map(Math.abs)) * 1e6;
const umRms = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length) * 1e6;

/** Measures one plane (noise-free) and steers the beam through its quadrupoles' centres; the errors against the twin's truth. */
async function planeThenCentre(t: BbaTwin, bpms: string[], plane: Plane, amplitude: number, out?: { err: number[]; sigma: number[] }): Promise<number[]> {
  const plan = planBba(t.acc, { planes: [plane], bpms, amplitude, steps: 5 });
  const truth = plan.pairs.map((p) => truthOf(t, p));
  const result = analyseBba(await measureBba(t.acc, plan));
  const c = await planCentring(t.acc, plan, result);
  for (const k of c.correctors) {
    const f = t.acc.family(k.family).enabled();
    const now = await f.get({ units: 'physics', field: 'setpoint' });
    await f.set(now.map((v, i) => v + k.change[i]), { units: 'physics' });
  }
  const err = result.pairs.map((r, i) => r.offset - truth[i]);
  out?.err.push(...err);
  out?.sigma.push(...result.pairs.map((r) => r.sigma));
  return err;
}

describe('BBA one plane after the other, the beam steered through the centres between, on the twin of the demo facility (diamond-i04; quadrupoles 50 um rms, BPM offsets 100 um rms)', () => {
  it('every paired BPM within 2 um of the truth, both planes, measured one plane after the other with the beam steered through the centres between (two rounds)', async () => {
    const t = await diamondTwin(5, 0);
    await correctOrbit(t, 4, undefined, 1e-3);
    const bpms = t.acc.family('BPMx').names.filter((_n, i) => i % 11 === 0).slice(0, 16);
    // The beam's offset in a quadrupole in the other plane kicks it there too when the gradient is modulated, and the
    // sextupoles' feed-down (the orbit through them) couples that into this plane's induced orbit: a constant the line
    // fit reads as a shift of the centre. Measured both planes at once with 0.5 mm scans: 5.1 um rms, 12.4 um at most (x).
    // So one plane after the other, each time the beam steered through the centres just measured (planCentring), two
    // rounds, and 0.1 mm scans (the sextupoles' curvature of the scan is quadratic in it).
    const first = await planeThenCentre(t, bpms, 'y', AMP);
    const x1 = await planeThenCentre(t, bpms, 'x', AMP);
    const y1 = await planeThenCentre(t, bpms, 'y', AMP);
    const x = await planeThenCentre(t, bpms, 'x', AMP);
    const y = await planeThenCentre(t, bpms, 'y', AMP);
    console.log(
      `noise-free, 16 BPMs: y first (beam off-centre in x) rms ${umRms(first).toFixed(2)} um, max ${umMax(first).toFixed(2)}; x with y centred rms ${umRms(x1).toFixed(2)}, max ${umMax(x1).toFixed(2)}; ` +
        `y with x centred rms ${umRms(y1).toFixed(2)}, max ${umMax(y1).toFixed(2)}; second round: x rms ${umRms(x).toFixed(2)}, max ${umMax(x).toFixed(2)}, y rms ${umRms(y).toFixed(2)}, max ${umMax(y).toFixed(2)} um`,
    );
    // Measured: first round 4.23/15.11 (y), 1.61/4.79 (x), 0.82/3.20 (y); second round x 0.38/0.96, y 0.21/0.82 um rms/max.
    expect(umMax(x)).toBeLessThanOrEqual(2);
    expect(umMax(y)).toBeLessThanOrEqual(2);
    // The first round's planes are the ones the cross-plane offset spoils.
    expect(umMax(first)).toBeGreaterThan(2);
    await t.acc.close();
  }, 600000);

  it('with 1 um noise per reading, 3 seeds, both planes (second round): rms(fit - truth) <= 10 um and the 1-sigma errors cover the truth for 58-78 % of the BPMs', async () => {
    const pooled = { err: [] as number[], sigma: [] as number[] };
    for (const seed of [4, 5, 6]) {
      const t = await diamondTwin(seed, 1e-6);
      await correctOrbit(t, 4, undefined, 1e-3);
      const bpms = t.acc.family('BPMx').names.filter((_n, i) => i % 11 === 0).slice(0, 16);
      for (const plane of ['y', 'x', 'y'] as const) await planeThenCentre(t, bpms, plane, AMP);
      await planeThenCentre(t, bpms, 'x', AMP, pooled);
      await planeThenCentre(t, bpms, 'y', AMP, pooled);
      await t.acc.close();
    }
    const covered = pooled.err.filter((e, i) => Math.abs(e) <= pooled.sigma[i]).length / pooled.err.length;
    console.log(`noise 1 um, seeds 4-6, 16 BPMs, both planes (second round, 0.1 mm scans): rms(fit - truth) ${umRms(pooled.err).toFixed(2)} um (max ${umMax(pooled.err).toFixed(2)}), 1-sigma covers ${(100 * covered).toFixed(1)} % of ${pooled.err.length}`);
    // Measured: 0.50 um rms (max 1.48), 66.7 % of 96 covered.
    expect(umRms(pooled.err)).toBeLessThanOrEqual(10);
    expect(covered).toBeGreaterThanOrEqual(0.58);
    expect(covered).toBeLessThanOrEqual(0.78);
  }, 600000);
});
