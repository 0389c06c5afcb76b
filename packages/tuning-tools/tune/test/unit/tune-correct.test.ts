import { afterEach, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import { OutOfLimitsError } from '@mlayer/core';
import { TuneError, measureTuneResponse, modelTuneResponse, setTunes, stepTunes } from '../../src/index.js';
import { diamondTwin, twinAccelerator } from '../twin-facility.js';

const opened: Accelerator[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});
const frac = (q: number) => q - Math.floor(q);
const quadErrors = (acc: Accelerator, sigma: number) => ({
  magnets: Object.fromEntries(acc.familyNames().filter((f) => acc.family(f).elementClass === 'Quadrupole').map((f) => [f, { field: sigma }])),
});
const machineTunes = (acc: Accelerator) => {
  const t = acc.twin.machineModel.tunes();
  return [frac(t.qx), frac(t.qy)];
};

async function thomx(settings = {}, limits?: number) {
  const t = await twinAccelerator({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, settings, limits });
  opened.push(t.acc);
  return t;
}

describe('tune response and correction on the twin', () => {
  it('measures a tune response equal to the model response (ThomX, families QP1 and QP2, noise 1e-5)', async () => {
    const { acc } = await thomx({ tuneNoise: 1e-5, seed: 4 });
    const fams = ['Q_QP1', 'Q_QP2'];
    const model = modelTuneResponse(acc, fams);
    const before = await acc.family('Q_QP1').get({ field: 'setpoint' });
    const measured = await measureTuneResponse(acc, fams, { measure: { samples: 10 } });
    expect(measured.source).toBe('measured');
    for (const p of [0, 1]) {
      const scale = Math.max(...Array.from(model.matrix[p], Math.abs));
      for (let j = 0; j < 2; j++) expect(Math.abs(measured.matrix[p][j] - model.matrix[p][j])).toBeLessThan(0.02 * scale);
    }
    expect(Array.from(await acc.family('Q_QP1').get({ field: 'setpoint' }))).toEqual(Array.from(before));
  });

  it('sets the tunes to a target within 1e-3 in at most three steps with quadrupole field errors (several seeds)', async () => {
    const { acc, twin } = await thomx({ tuneNoise: 5e-5, seed: 7 });
    const design = acc.model!.tunes();
    const target: [number, number] = [frac(design.qx) + 0.015, frac(design.qy) - 0.02];
    for (const seed of [1, 2, 3]) {
      twin.clearErrors();
      const snap = await acc.snapshot();
      twin.applyErrors(quadErrors(acc, 1e-2), seed);
      const r = await setTunes(acc, target, { families: ['Q_QP1', 'Q_QP2', 'Q_QP3', 'Q_QP4'], tolerance: 2e-4, measure: { samples: 10 } });
      expect(r.steps.length).toBeLessThanOrEqual(3);
      expect(r.converged).toBe(true);
      const q = machineTunes(acc);
      expect(Math.abs(q[0] - target[0])).toBeLessThan(1e-3);
      expect(Math.abs(q[1] - target[1])).toBeLessThan(1e-3);
      await acc.restore(snap);
    }
  });

  it('splits a large move into steps and refuses a move past the limits without changing anything', async () => {
    const { acc } = await thomx({}, 0.2);
    const fams = ['Q_QP1', 'Q_QP2'];
    const r = await stepTunes(acc, [0.005, 0.004], { families: fams, maxStep: 0.002 });
    expect(r.steps).toBe(3);
    const q = machineTunes(acc);
    const d = acc.model!.tunes();
    // The linear prediction of a small move, to 10 % (the second-order terms of ThomX).
    expect(Math.abs(q[0] - frac(d.qx) - 0.005)).toBeLessThan(5e-4);
    expect(Math.abs(q[1] - frac(d.qy) - 0.004)).toBeLessThan(5e-4);
    const before = await Promise.all(fams.map((f) => acc.family(f).get({ field: 'setpoint' })));
    await expect(stepTunes(acc, [0.2, -0.2], { families: fams })).rejects.toThrow(OutOfLimitsError);
    await expect(stepTunes(acc, [0.2, -0.2], { families: fams })).rejects.toThrow(/outside the limits/);
    const after = await Promise.all(fams.map((f) => acc.family(f).get({ field: 'setpoint' })));
    expect(after.map((a) => Array.from(a))).toEqual(before.map((b) => Array.from(b)));
    await expect(stepTunes(acc, [0.01, 0], { families: ['Q_QP1'] })).rejects.toThrow(/at least two families/);
  });

  it('diamond-i04: settune with two quadrupole families through the pytac current-to-strength curves', async () => {
    const { acc, twin } = await diamondTwin({ tuneNoise: 5e-5, seed: 2 });
    opened.push(acc);
    twin.applyErrors(quadErrors(acc, 1e-3), 9);
    const d = acc.model!.tunes();
    const target: [number, number] = [frac(d.qx) + 0.01, frac(d.qy) + 0.01];
    const r = await setTunes(acc, target, { families: ['Q1B', 'Q2B'], tolerance: 2e-4, measure: { samples: 5 } });
    expect(r.steps.length).toBeLessThanOrEqual(3);
    const q = machineTunes(acc);
    expect(Math.abs(q[0] - target[0])).toBeLessThan(1e-3);
    expect(Math.abs(q[1] - target[1])).toBeLessThan(1e-3);
  });
});
