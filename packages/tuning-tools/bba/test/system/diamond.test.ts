import { describe, expect, it } from 'vitest';
import { analyseBba, analyseBbaModel, analyseBbaParallel, measureBba, measureBbaParallel, planBba, planParallel } from '@mlayer/bba';
import { quadBeamOffset } from '@mlayer/adapters-sim';
import { correctOrbit, setpoints, truthOf } from '../twin-fixture.js';
import { diamondTwin } from '../diamond-fixture.js';

const rmsUm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length) * 1e6;

describe('BBA on the twin of the demo facility (diamond-i04; quadrupoles 50 um rms, BPM offsets 100 um rms, 1 um noise)', () => {
  it('keepTunes: the model-dependent variant with the tunes kept constant during the modulation (Q2B and Q2AB move with each quadrupole)', async () => {
    const t = await diamondTwin(6, 1e-6);
    await correctOrbit(t, 4, undefined, 1e-3);
    const bpms = t.acc.family('BPMx').names.filter((_n, i) => i % 29 === 0).slice(0, 6);
    const plan = planBba(t.acc, { planes: ['x', 'y'], bpms, steps: 5 });
    const nominal = t.twin.machineModel.tunes();
    const families = ['Q2B', 'Q2AB'];
    const before = await setpoints(t.acc, families);
    // At each progress event the quadrupole is at -dk (the step's second orbit was just read): the tunes then, with and without.
    const shifts = async (keepTunes?: string[]) => {
      let worst = 0;
      const data = await measureBba(t.acc, plan, {
        keepTunes,
        onProgress: () => {
          const q = t.twin.machineModel.tunes();
          worst = Math.max(worst, Math.abs(q.qx - nominal.qx), Math.abs(q.qy - nominal.qy));
        },
      });
      return { worst, data };
    };
    const free = await shifts();
    const kept = await shifts(families);
    expect(await setpoints(t.acc, families)).toEqual(before);
    expect(kept.data.pairs.every((d) => d.tuneCompensation?.length === 2)).toBe(true);
    const truth = plan.pairs.map((p) => truthOf(t, p));
    const model = analyseBbaModel(t.acc, kept.data);
    const e = model.pairs.map((r, i) => r.offset - truth[i]);
    console.log(`keepTunes: largest tune change during the modulation ${free.worst.toExponential(2)} free, ${kept.worst.toExponential(2)} kept; model-dependent rms(fit - truth) ${rmsUm(e).toFixed(2)} um (${e.length} pairs)`);
    // First-order cancellation: what is left is second order in the quadrupole changes.
    expect(kept.worst).toBeLessThan(free.worst / 10);
    expect(rmsUm(e)).toBeLessThanOrEqual(10);
    await t.acc.close();
  }, 600000);

  for (const seed of [4, 5]) {
    it(`seed ${seed}: serial rms(fit - truth) <= 10 um on 16 BPMs (x); parallel (groups of 8, two passes): within 1.5x the serial accuracy in at most 1.2 x serial / 8 steps`, async () => {
      const t0 = performance.now();
      const t = await diamondTwin(seed, 1e-6);
      const rms = await correctOrbit(t, 4, undefined, 1e-3);
      const bpms = t.acc.family('BPMx').names.filter((_n, i) => i % 11 === 0).slice(0, 16);
      // 9 corrector steps per pair; the parallel measurement takes 3 (coarse) + 6 (fine) and one centring between them.
      const plan = planBba(t.acc, { planes: ['x'], bpms, steps: 9 });
      const pp = planParallel(t.acc, plan, { k: 8, minSeparation: 0.05 });
      const start = await t.acc.snapshot();
      const t1 = performance.now();
      const serialData = await measureBba(t.acc, plan);
      const serial = analyseBba(serialData);
      const truth = plan.pairs.map((p) => truthOf(t, p));
      const t2 = performance.now();
      const parData = await measureBbaParallel(t.acc, pp);
      const parallel = analyseBbaParallel(parData);
      const t3 = performance.now();
      // The two passes leave the beam steered through the coarse pass's centres: the offsets refer to that orbit, and
      // the truth is the twin's there (where the BPM reads with the beam moved from it by the pair's own corrector).
      const truthEnd = plan.pairs.map((p) => truthOf(t, p));
      const inQuads = rmsUm(plan.pairs.map((p) => quadBeamOffset(t.twin, p.quad.element, p.plane)));
      const eS = serial.pairs.map((r, i) => r.offset - truth[i]);
      const eP = parallel.pairs.map((r, i) => r.offset - truthEnd[i]);
      const eP0 = parallel.pairs.map((r, i) => r.offset - truth[i]);
      // Model-dependent variant (issue 21 item 4) on the serial data: the induced orbit projected on the model's kick response.
      const modelDep = analyseBbaModel(t.acc, serialData);
      const eM = modelDep.pairs.map((r, i) => r.offset - truth[i]);
      const coverM = modelDep.pairs.filter((r, i) => Math.abs(eM[i]) <= r.sigma).length;
      console.log(
        `diamond seed ${seed}: orbit corrected to ${(rms.x * 1e6).toFixed(0)}/${(rms.y * 1e6).toFixed(0)} um; ${plan.pairs.length} pairs, groups ${pp.groups.map((g) => g.pairs.length).join(',')}; ` +
          `steps parallel ${parData.setReadSteps}, serial ${serialData.setReadSteps}; rms(fit - truth) serial ${rmsUm(eS).toFixed(2)} um (max ${(Math.max(...eS.map(Math.abs)) * 1e6).toFixed(2)}), ` +
          `parallel ${rmsUm(eP).toFixed(2)} um (against the starting orbit's truth ${rmsUm(eP0).toFixed(2)} um; beam in the paired quadrupoles after it ${inQuads.toFixed(1)} um rms), model-dependent ${rmsUm(eM).toFixed(2)} um (1-sigma covers ${coverM} of ${eM.length}); ` +
          `wall: set-up ${((t1 - t0) / 1000).toFixed(1)} s, serial ${((t2 - t1) / 1000).toFixed(1)} s, parallel ${((t3 - t2) / 1000).toFixed(1)} s`,
      );
      expect(rmsUm(eS)).toBeLessThanOrEqual(10);
      expect(rmsUm(eM)).toBeLessThanOrEqual(10);
      expect(parData.setReadSteps).toBe(pp.steps);
      // Issue 21: with k >= 8 at once, at most 1.2 x serial / k set-and-read steps and within 1.5x of the serial accuracy.
      // Measured: 37 steps against 288 serial (43.2 allowed); seed 4: 3.36 um against 5.38 um serial, seed 5: 3.68 against 4.29
      // (one pass, 9 steps: 6.32 and 10.49 um; the truth moves 19 um rms between the starting and the centred orbit).
      expect(Math.min(...pp.groups.map((g) => g.pairs.length))).toBeGreaterThanOrEqual(8);
      expect(parData.setReadSteps).toBeLessThanOrEqual((1.2 * serialData.setReadSteps) / 8);
      expect(rmsUm(eP)).toBeLessThanOrEqual(1.5 * rmsUm(eS));
      // The centring between the passes put the beam near the paired quadrupoles' centres (they start 50-150 um off).
      expect(inQuads).toBeLessThan(25);
      await t.acc.restore(start, { wait: true });
      await t.acc.close();
    }, 600000);
  }
});
