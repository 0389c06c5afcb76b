import { describe, expect, it } from 'vitest';
import { analyseBba, measureBba, planBba } from '@mlayer/bba';
import { bbaTwin, correctOrbit, truthOf } from '../twin-fixture.js';

describe('serial BBA on the ThomX twin with 1 um rms BPM noise per reading', () => {
  it('rms(fit - truth) <= 10 um over all pairs and both planes, and the 1-sigma errors cover the truth for 58-78 % of the BPMs (3 seeds)', async () => {
    const z: number[] = [];
    const dev: number[] = [];
    for (const seed of [11, 12, 13]) {
      const t = await bbaTwin(seed, 1e-6);
      await correctOrbit(t);
      const plan = planBba(t.acc, { steps: 7 });
      const result = analyseBba(await measureBba(t.acc, plan));
      result.pairs.forEach((r, i) => {
        const d = r.offset - truthOf(t, plan.pairs[i]);
        dev.push(d);
        z.push(d / r.sigma);
      });
      await t.acc.close();
    }
    const rms = Math.sqrt(dev.reduce((s, v) => s + v * v, 0) / dev.length);
    const coverage = z.filter((v) => Math.abs(v) <= 1).length / z.length;
    const sigmas = z.map((v, i) => Math.abs(dev[i] / v));
    console.log(`noise 1 um: ${dev.length} pairs, rms(fit - truth) ${(rms * 1e6).toFixed(2)} um, max ${(Math.max(...dev.map(Math.abs)) * 1e6).toFixed(2)} um, median 1-sigma ${(sigmas.sort((a, b) => a - b)[sigmas.length >> 1] * 1e6).toFixed(2)} um, 1-sigma coverage ${(coverage * 100).toFixed(1)} %`);
    expect(rms).toBeLessThan(10e-6);
    expect(coverage).toBeGreaterThanOrEqual(0.58);
    expect(coverage).toBeLessThanOrEqual(0.78);
  }, 120000);
});
