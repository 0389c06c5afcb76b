/**
 * Corrections that never lie: a step that makes the orbit worse beyond the noise is
 * undone and the result says "diverged"; a correction that changes nothing says
 * "no improvement"; the gain applies per plane. ThomX twin with BPM noise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import { correctOrbit, modelOrm, type OrbitResponseMatrix } from '../../src/index.js';
import { rmsOf, thomxRef, thomxTwin } from '../fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
const NOISE = 1e-6;
async function twin(bpmNoise = NOISE) {
  const t = await thomxTwin({ settings: { bpmNoise, seed: 5 } });
  open.push(t.acc);
  return t;
}
const BPM_EL: number[] = thomxRef().optics_at_bpms.index;

/** The matrix with the sign of column j of the x-kick blocks flipped. */
function flipColumn(orm: OrbitResponseMatrix, j: number): OrbitResponseMatrix {
  const flip = (m: Float64Array[] | undefined) => m?.map((row) => row.map((v, k) => (k === j ? -v : v)));
  return { ...orm, Rxx: flip(orm.Rxx), Ryx: flip(orm.Ryx) };
}

describe('orbit correction results that never lie (ThomX twin, 1 µm BPM noise)', () => {
  it('a matrix with one column sign flipped: the step that makes the orbit worse is undone, the result says diverged, the orbit is no worse than found', async () => {
    const { acc, twin: tw } = await twin();
    const hcm = acc.family('HCM');
    const j = 5;
    // The orbit of one corrector (0.5 A = 50 µrad): the flipped column is the one the correction needs.
    await hcm.devices([hcm.deviceList[j]]).set(0.5);
    const start = Array.from(await hcm.get({ field: 'setpoint' }));
    const true0 = rmsOf(tw.machineModel.closedOrbit(BPM_EL).map((c) => c[0]));
    const orm = flipColumn(await modelOrm(acc, { model: tw.designModel }), j);
    // MICADO with one corrector picks that column and, its sign flipped, doubles the kick.
    const r = await correctOrbit(acc, { orm, planes: ['x'], average: 4, method: { type: 'micado', correctors: 1 }, iterations: 5 });
    expect(r.status).toBe('diverged');
    expect(r.stopReason).toBe('diverged');
    expect(r.message).toMatch(/^diverged: step 1 made the rms orbit error worse \(x .* -> .*, predicted .*\); the step was undone/);
    expect(r.message).not.toMatch(/converged/);
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0].undone).toBe(true);
    // Measured after the step: far worse than found and than predicted.
    expect(r.steps[0].rmsMeasured!.x!).toBeGreaterThan(1.5 * r.rmsInitial.x!);
    expect(r.steps[0].rmsPredicted.x!).toBeLessThan(0.1 * r.rmsInitial.x!);
    // The setpoints and the true orbit are back where they were.
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual(start);
    const true1 = rmsOf(tw.machineModel.closedOrbit(BPM_EL).map((c) => c[0]));
    expect(Math.abs(true1 - true0)).toBeLessThan(1e-12);
    expect(r.rmsFinal.x!).toBeLessThan(r.rmsInitial.x! + 3 * r.noise.x!);
    // With SVD over every mode the same matrix predicts a perfect step that does not come: never 'converged'.
    const svd = await correctOrbit(acc, { orm, planes: ['x'], average: 4, iterations: 5 });
    expect(['diverged', 'no improvement']).toContain(svd.status);
    expect(svd.message).not.toMatch(/converged/);
    expect(rmsOf(tw.machineModel.closedOrbit(BPM_EL).map((c) => c[0]))).toBeLessThan(true0 * 1.01);
  });

  it('the right matrix converges (status converged); a gain per plane applies that fraction of each step', async () => {
    // Noise-free readings: the two dry runs see the same orbit.
    const { acc, twin: tw } = await twin(0);
    const hcm = acc.family('HCM');
    const vcm = acc.family('VCM');
    await hcm.devices([hcm.deviceList[5]]).set(0.5);
    await vcm.devices([vcm.deviceList[2]]).set(-0.4);
    const orm = await modelOrm(acc, { model: tw.designModel });
    const full = await correctOrbit(acc, { orm, dryRun: true, method: { type: 'svd', singularValues: 8 } });
    const half = await correctOrbit(acc, { orm, dryRun: true, gain: { x: 0.5 }, method: { type: 'svd', singularValues: 8 } });
    expect(half.steps[0].applied).toEqual({ x: 0.5, y: 1 });
    half.steps[0].correction.deltas.x!.forEach((d, k) => expect(d).toBeCloseTo(0.5 * full.steps[0].correction.deltas.x![k], 12));
    half.steps[0].correction.deltas.y!.forEach((d, k) => expect(d).toBeCloseTo(full.steps[0].correction.deltas.y![k], 12));
    await acc.close();
    const noisy = await twin();
    await noisy.acc.family('HCM').devices([hcm.deviceList[5]]).set(0.5);
    await noisy.acc.family('VCM').devices([vcm.deviceList[2]]).set(-0.4);
    const r = await correctOrbit(noisy.acc, { orm, average: 4, gain: 0.8, method: { type: 'svd', singularValues: 8 }, iterations: 8 });
    expect(r.status).toBe('converged');
    expect(r.message).toMatch(/^converged: /);
    expect(r.steps.every((s) => !s.undone)).toBe(true);
    for (const p of ['x', 'y'] as const) expect(r.rmsFinal[p]!).toBeLessThan(0.05 * r.rmsInitial[p]!);
    // The first step did what was predicted, within the noise.
    expect(Math.abs(r.steps[0].rmsMeasured!.x! - r.steps[0].rmsPredicted.x!)).toBeLessThan(5 * r.noise.x! + 0.05 * r.rmsInitial.x!);
  });

  it('a threshold that keeps no singular value (CLI --threshold 2) changes nothing and says no improvement, not converged', async () => {
    const { acc, twin: tw, writes } = await twin();
    const hcm = acc.family('HCM');
    await hcm.devices([hcm.deviceList[5]]).set(0.5);
    writes.length = 0;
    const orm = await modelOrm(acc, { model: tw.designModel });
    const r = await correctOrbit(acc, { orm, average: 2, method: { type: 'svd', threshold: 2 } });
    expect(r.stopReason).toBe('nothing-to-correct');
    expect(r.status).toBe('no improvement');
    expect(r.message).toMatch(/^no improvement: nothing corrected: the method keeps 0 modes of the response matrix \(threshold 2 x the largest singular value\); no setpoint was changed$/);
    expect(writes).toEqual([]);
  });
});
