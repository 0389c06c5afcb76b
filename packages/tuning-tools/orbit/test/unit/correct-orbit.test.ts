import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, type Accelerator } from '@mlayer/core';
import { readMeasurement } from '@mlayer/data';
import { CorrectorLimitError, correctOrbit, measureOrbit, measureOrm, saveCorrection, svd, type OrbitResponseMatrix } from '../../src/index.js';
import { abortTimerAt, rmsOf, thomxRef, thomxTwin, type FixtureOptions } from '../fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function twin(options: FixtureOptions = {}) {
  const t = await thomxTwin(options);
  open.push(t.acc);
  return t;
}
const BPM_EL: number[] = thomxRef().optics_at_bpms.index;
const COR_EL: number[] = thomxRef().correctors.index;

/** Residual of r after removing its projection on the first k left singular vectors of R (the best k-mode correction). */
function bestResidual(R: Float64Array[], r: ArrayLike<number>, k: number): Float64Array {
  const d = svd(R);
  const out = Float64Array.from(r);
  for (let i = 0; i < k; i++) {
    const c = d.u[i].reduce((s, u, n) => s + u * r[n], 0);
    d.u[i].forEach((u, n) => (out[n] -= c * u));
  }
  return out;
}

const SIGMA = 2e-6; // BPM noise per reading, m
const AVG = 4; // readings averaged during the correction
const FLOOR = SIGMA / Math.sqrt(AVG);
const errors = (offset: number) => ({
  magnets: { QUAD: { dx: 40e-6, dy: 40e-6 } },
  bpms: { BPMx: { offset, noise: SIGMA }, BPMy: { offset, noise: SIGMA } },
});

describe('orbit correction with the measured ORM (ThomX twin, seeded errors)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: brings the orbit to the best reachable with 8 singular values, within twice the noise floor`, async () => {
      const { acc, twin: tw } = await twin({ limits: [-10, 10] });
      tw.applyErrors(errors(100e-6), seed);
      const off = tw.appliedErrors!.bpms;
      // Truth before: closed orbit of the errored machine, and what noise-free BPMs read.
      const co0 = tw.machineModel.closedOrbit(BPM_EL);
      const read0 = { x: co0.map((c, i) => c[0] - off.BPMx.offset[i]), y: co0.map((c, i) => c[2] - off.BPMy.offset[i]) };
      expect(rmsOf(co0.map((c) => c[0]))).toBeGreaterThan(0.3e-3);
      const R = tw.machineModel.orbitResponse(BPM_EL, COR_EL);
      const best = { x: rmsOf(bestResidual(R.Rxx, read0.x, 8)), y: rmsOf(bestResidual(R.Ryy, read0.y, 8)) };

      const orm = await measureOrm(acc, { kick: 0.5, average: 8 });
      const res = await correctOrbit(acc, { orm, average: AVG, method: { type: 'svd', singularValues: 8 }, iterations: 5 });
      expect(res.steps.length).toBeLessThanOrEqual(4);
      expect(res.stopReason).toBe('stalled');
      expect(res.rmsFinal.x!).toBeLessThan(0.25 * res.rmsInitial.x!);
      // The noise-free reading after the correction, from the twin's truth.
      const co1 = tw.machineModel.closedOrbit(BPM_EL);
      const read1 = { x: co1.map((c, i) => c[0] - off.BPMx.offset[i]), y: co1.map((c, i) => c[2] - off.BPMy.offset[i]) };
      for (const p of ['x', 'y'] as const) {
        expect(rmsOf(read1[p])).toBeLessThan(best[p] + 2 * FLOOR);
        expect(res.rmsFinal[p]!).toBeLessThan(best[p] + 2 * FLOOR);
      }
      // Every corrector stayed within its limits.
      for (const f of ['HCM', 'VCM']) expect(Math.max(...Array.from(await acc.family(f).get({ field: 'setpoint' }), Math.abs))).toBeLessThanOrEqual(10);
    });
  }

  it('with the BPM offsets given (beam-based alignment), corrects the true orbit instead of the readings', async () => {
    const { acc, twin: tw } = await twin({ limits: [-10, 10] });
    tw.applyErrors(errors(200e-6), 4);
    const off = tw.appliedErrors!.bpms;
    const R = tw.machineModel.orbitResponse(BPM_EL, COR_EL);
    const co0 = tw.machineModel.closedOrbit(BPM_EL);
    const best = rmsOf(bestResidual(R.Rxx, co0.map((c) => c[0]), 8));
    const orm = await measureOrm(acc, { kick: 0.5, average: 8, planes: 'x', observe: 'x' });
    // The reading of a BPM when the beam is on the reference axis is −offset (gain 0).
    const offsets = { x: off.BPMx.offset.map((o) => -o) };
    const res = await correctOrbit(acc, { orm, offsets, average: AVG, method: { type: 'svd', singularValues: 8 } });
    const co1 = tw.machineModel.closedOrbit(BPM_EL);
    expect(rmsOf(co1.map((c) => c[0]))).toBeLessThan(best + 2 * FLOOR);
    // The readings now show the offsets.
    expect(rmsOf(res.final.x!.values.map((v, i) => v + off.BPMx.offset[i]))).toBeLessThan(best + 3 * FLOOR);
  });
});

async function erroredWithOrm(options: FixtureOptions, seed = 2): Promise<{ acc: Accelerator; orm: OrbitResponseMatrix; tw: Awaited<ReturnType<typeof twin>>['twin']; writes: Awaited<ReturnType<typeof twin>>['writes'] }> {
  const t = await twin(options);
  t.twin.applyErrors({ magnets: { QUAD: { dx: 40e-6, dy: 40e-6 } } }, seed);
  const orm = await measureOrm(t.acc, { kick: 0.05 });
  t.writes.length = 0;
  return { acc: t.acc, orm, tw: t.twin, writes: t.writes };
}

describe('corrector limits', () => {
  it("'stop' writes nothing and names the correctors and limits", async () => {
    const { acc, orm, writes } = await erroredWithOrm({ limits: [-1, 1] });
    const run = correctOrbit(acc, { orm, method: { type: 'svd', singularValues: 8 }, onLimit: 'stop' });
    await expect(run).rejects.toBeInstanceOf(CorrectorLimitError);
    await expect(correctOrbit(acc, { orm, method: { type: 'svd', singularValues: 8 }, onLimit: 'stop' })).rejects.toThrow(/correctors? would pass (its|their) limits \((HCM|VCM) E\d+: 0 -> -?\d.*outside \[-1, 1\].*\); nothing was written/);
    expect(writes).toHaveLength(0);
  });

  it("'scale' shortens the step to the limits: no value past a limit is ever written", async () => {
    const { acc, orm, writes } = await erroredWithOrm({ limits: [-1, 1] });
    const res = await correctOrbit(acc, { orm, method: { type: 'svd', singularValues: 8 }, onLimit: 'scale', iterations: 4 });
    expect(res.steps[0].scale).toBeGreaterThan(0);
    expect(res.steps[0].scale).toBeLessThan(1);
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(Math.abs(w.value as number)).toBeLessThanOrEqual(1);
    expect(res.rmsFinal.x!).toBeLessThan(res.rmsInitial.x!);
    expect(res.message).toMatch(/limits/);
  });

  it("'exclude' leaves the correctors that would pass their limits out and solves again", async () => {
    const { acc, orm, writes } = await erroredWithOrm({ limits: [-1.5, 1.5] });
    const res = await correctOrbit(acc, { orm, method: { type: 'svd', singularValues: 8 }, onLimit: 'exclude', iterations: 3 });
    expect(res.steps[0].excluded.every((n) => /^(HCM|VCM) E\d+$/.test(n))).toBe(true);
    expect(res.steps[0].excluded.length).toBeGreaterThan(0);
    for (const w of writes) expect(Math.abs(w.value as number)).toBeLessThanOrEqual(1.5);
    expect(res.rmsFinal.x!).toBeLessThan(0.5 * res.rmsInitial.x!);
  });
});

describe('correction options', () => {
  it('an abort from outside the tool (a timer, as Ctrl-C), after the first or the third step, restores every corrector it changed', async () => {
    const { acc, orm, writes } = await erroredWithOrm({});
    const before = await acc.snapshot();
    for (const at of [1, 3]) {
      writes.length = 0;
      // Fired by the event loop, not by the tool: seen only if the twin lets the loop run.
      const timer = abortTimerAt(at);
      const run = correctOrbit(acc, {
        orm,
        method: { type: 'svd', singularValues: 8 },
        iterations: 6,
        minImprovement: -1, // runs all 6 steps unless the rms doubles
        signal: timer.signal,
        onProgress: timer.onProgress,
      });
      await expect(run).rejects.toBeInstanceOf(AbortedError);
      expect(timer.atAbort).toBeGreaterThanOrEqual(at);
      expect(timer.last).toBe(timer.atAbort);
      expect(timer.last).toBeLessThan(6);
      // Steps were written (then the restore wrote the starting values back).
      expect(writes.filter((w) => w.value !== 0).length).toBeGreaterThan(0);
      expect((await acc.snapshot()).families).toEqual(before.families);
    }
  });

  it('refuses a matrix whose units differ from the families', async () => {
    const { acc, orm } = await erroredWithOrm({});
    const inMm = { ...orm, bpms: { ...orm.bpms, x: { ...orm.bpms.x!, unit: 'mm' } } };
    await expect(correctOrbit(acc, { orm: inMm, dryRun: true })).rejects.toThrow(/BPMx: the response matrix has BPM readings in 'mm', the family reads 'm'/);
  });

  it('dry run returns the setpoints that would be written and writes nothing', async () => {
    const { acc, orm, writes } = await erroredWithOrm({});
    const before = await acc.snapshot();
    const res = await correctOrbit(acc, { orm, method: { type: 'svd', singularValues: 8 }, dryRun: true });
    expect(res.dryRun).toBe(true);
    expect(res.stopReason).toBe('dry-run');
    expect(writes).toHaveLength(0);
    expect((await acc.snapshot()).families).toEqual(before.families);
    const w = res.steps[0].writes;
    expect(w.map((x) => x.family).sort()).toEqual(['HCM', 'VCM']);
    expect(res.steps[0].correction.rmsPredicted.x!).toBeLessThan(0.2 * res.rmsInitial.x!);
    // Applying what the dry run planned gives the predicted orbit.
    for (const x of w) await acc.family(x.family).devices(x.devices as [number, number][]).set(x.target);
    const after = await measureOrbit(acc);
    const pred = res.steps[0].correction.predicted.x!;
    expect(rmsOf(after.x!.values.map((v, i) => v - pred[i]))).toBeLessThan(0.05 * res.rmsInitial.x!);
  });

  it('MICADO uses only the chosen number of correctors per plane', async () => {
    const { acc, orm, writes } = await erroredWithOrm({});
    const res = await correctOrbit(acc, { orm, method: { type: 'micado', correctors: 4 }, iterations: 1 });
    const names = new Set(writes.map((w) => w.channel));
    expect(names.size).toBe(8);
    expect(res.steps[0].correction.systems.map((s) => s.selected!.length)).toEqual([4, 4]);
    expect(res.rmsFinal.x!).toBeLessThan(0.5 * res.rmsInitial.x!);
    expect(res.rmsFinal.y!).toBeLessThan(0.5 * res.rmsInitial.y!);
  });

  it('Tikhonov regularisation trades orbit for corrector strength', async () => {
    const { acc, orm } = await erroredWithOrm({});
    const dry = async (alpha: number) => (await correctOrbit(acc, { orm, method: { type: 'tikhonov', alpha }, dryRun: true, planes: ['x'] })).steps[0].correction;
    const strength = (c: { deltas: { x?: Float64Array } }) => Math.sqrt(c.deltas.x!.reduce((s, v) => s + v * v, 0));
    const small = await dry(1e-6);
    const large = await dry(1e-4);
    expect(strength(large)).toBeLessThan(0.5 * strength(small));
    expect(large.rmsPredicted.x!).toBeGreaterThan(small.rmsPredicted.x!);
    const res = await correctOrbit(acc, { orm, method: { type: 'tikhonov', alpha: 1e-5 }, iterations: 4 });
    expect(res.rmsFinal.x!).toBeLessThan(0.2 * res.rmsInitial.x!);
  });

  it('steers to a golden orbit', async () => {
    const { acc, twin: tw } = await twin({ settings: { bpmNoise: 1e-6, seed: 5 } });
    const orm = await measureOrm(acc, { kick: 0.5, average: 4 });
    // A golden orbit the correctors can make: the orbit of a known corrector pattern.
    const hcm = acc.family('HCM');
    await hcm.set(Float64Array.from({ length: 24 }, (_v, j) => (j % 4 === 0 ? 1.5 : 0)));
    const golden = (await measureOrbit(acc, { average: 16 })).x!.values;
    await hcm.set(0);
    expect(rmsOf(golden)).toBeGreaterThan(50e-6);
    const res = await correctOrbit(acc, { orm, golden: { x: golden }, average: 4, method: { type: 'svd', singularValues: 8 } });
    const co = tw.machineModel.closedOrbit(BPM_EL);
    // The part of the golden orbit 8 modes of the true ORM reach, within twice the noise floor (1e-6 / 2).
    const best = rmsOf(bestResidual(tw.machineModel.orbitResponse(BPM_EL, COR_EL).Rxx, golden, 8));
    expect(rmsOf(co.map((c, i) => c[0] - golden[i]))).toBeLessThan(best + 2 * (1e-6 / 2));
    expect(res.rmsFinal.x!).toBeLessThan(best + 2 * (1e-6 / 2));
    expect(res.rmsFinal.x!).toBeLessThan(0.05 * res.rmsInitial.x!);
  });

  it('with the RF column, finds the RF frequency error of the machine', async () => {
    const { acc, twin: tw } = await twin();
    const orm = await measureOrm(acc, { kick: 0.05, rf: { step: 20 } });
    tw.applyErrors({ rf: { frequency: 300 } }, 8);
    const df = tw.appliedErrors!.rfOffset;
    expect(Math.abs(df)).toBeGreaterThan(50);
    const f0 = (await acc.family('RF').get({ field: 'setpoint' }))[0];
    const withRf = await correctOrbit(acc, { orm, rf: true, method: { type: 'svd', singularValues: 8 }, dryRun: true, planes: ['x'] });
    // The correction sets the frequency back by the hidden offset; the correctors do (almost) nothing.
    expect(Math.abs(withRf.steps[0].rf + df)).toBeLessThan(0.01 * Math.abs(df));
    const res = await correctOrbit(acc, { orm, rf: true, method: { type: 'svd', singularValues: 8 }, planes: ['x'] });
    const f1 = (await acc.family('RF').get({ field: 'setpoint' }))[0];
    expect(Math.abs(f1 - f0 + df)).toBeLessThan(0.01 * Math.abs(df));
    expect(res.rmsFinal.x!).toBeLessThan(1e-2 * res.rmsInitial.x!);
    // Without the RF column the correctors cannot remove a pure energy error as well.
    await acc.family('RF').set(f0);
    const without = await correctOrbit(acc, { orm, method: { type: 'svd', singularValues: 8 }, dryRun: true, planes: ['x'] });
    expect(without.steps[0].correction.rmsPredicted.x!).toBeGreaterThan(10 * withRf.steps[0].correction.rmsPredicted.x!);
  });

  it("corrects with the model ORM ('model', physics units) and saves the correction", async () => {
    const { acc, twin: tw } = await twin({ limits: [-10, 10] });
    tw.applyErrors({ magnets: { QUAD: { dx: 40e-6, dy: 40e-6 } } }, 6);
    const res = await correctOrbit(acc, { orm: 'model', model: tw.designModel, method: { type: 'svd', singularValues: 8 }, iterations: 5 });
    expect(res.units).toBe('physics');
    expect(res.orm.source).toBe('model');
    const R = tw.machineModel.orbitResponse(BPM_EL, COR_EL);
    const co0x = res.initial.x!.values;
    expect(res.rmsFinal.x!).toBeLessThan(rmsOf(bestResidual(R.Rxx, co0x, 8)) * 1.05 + 1e-7);
    const file = await saveCorrection(join(mkdtempSync(join(tmpdir(), 'mlayer-orbit-corr-')), 'correction.h5'), res, acc, { author: 'Orbit Test <orbit@example.org>' });
    const c = await readMeasurement(file);
    expect(c.dataType).toBe('orbit_correction');
    expect(c.attributes.stopReason).toBe(res.stopReason);
    expect(c.dataset('x/orbit_initial')).toMatchObject({ unit: 'm', shape: [24] });
    expect(c.dataset('setpoints/HCM/after').unit).toBe('A');
    const rmsSteps = c.dataset('x/rms').value as Float64Array;
    expect(rmsSteps[rmsSteps.length - 1]).toBeCloseTo(res.rmsFinal.x!, 15);
  });
});
