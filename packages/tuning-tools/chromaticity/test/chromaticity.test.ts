import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, checkScan, readManifest, type Accelerator } from '@mlayer/core';
import { ChromaticityError, measureChromaticity, modelChromaticityResponse, setChromaticity, stepChromaticity } from '../src/index.js';
import { diamondTwin, twinAccelerator } from '../../tune/test/twin-facility.js';

const opened: Accelerator[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});
const quadErrors = (acc: Accelerator, sigma: number) => ({
  magnets: Object.fromEntries(acc.familyNames().filter((f) => acc.family(f).elementClass === 'Quadrupole').map((f) => [f, { field: sigma }])),
});
const SEXT = ['S_SX1', 'S_SX2', 'S_SX3'];

async function thomx(settings = {}, limits?: number) {
  const t = await twinAccelerator({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, settings: { tuneNoise: 1e-4, ...settings }, limits });
  opened.push(t.acc);
  return t;
}

describe('chromaticity on the twin', () => {
  it('measures the chromaticities of the errored machine within their fit uncertainty (ThomX, RF scan, linear and quadratic fits), saved as an openPMD line scan', async () => {
    const { acc, twin } = await thomx({ seed: 3 });
    twin.applyErrors(quadErrors(acc, 1e-2), 5);
    const model = twin.machineModel.chromaticity();
    const f0 = (await acc.family('RF').get({ field: 'setpoint' }))[0];
    const dir = join(mkdtempSync(join(tmpdir(), 'mlayer-chrom-')), 'scan');
    const quad = await measureChromaticity(acc, { order: 2, points: 9, dir, author: 'Test <test@example.org>' });
    for (const p of [0, 1]) {
      expect(quad.uncertainty[p]).toBeGreaterThan(0);
      expect(Math.abs(quad.chromaticity[p] - model[p])).toBeLessThan(3 * quad.uncertainty[p]);
    }
    // The errors moved ξx well beyond the uncertainty: the scan sees the errored machine.
    const design = acc.model!.chromaticity();
    expect(Math.abs(design[0] - model[0])).toBeGreaterThan(3 * quad.uncertainty[0]);
    const lin = await measureChromaticity(acc, { order: 1, dpRange: [-1e-3, 1e-3], points: 7 });
    for (const p of [0, 1]) expect(Math.abs(lin.chromaticity[p] - model[p])).toBeLessThan(3 * lin.uncertainty[p]);
    expect((await acc.family('RF').get({ field: 'setpoint' }))[0]).toBe(f0);
    // The scan on disk: a finished line scan with the tunes and the analysis.
    const report = await checkScan(dir);
    expect(report.ok).toBe(true);
    expect(report.completed).toBe(9);
    const m = await readManifest(dir);
    expect(m.scanType).toBe('line');
    expect(Array.from(m.results.tune_y.values)).toEqual(Array.from(quad.tunes.y, (q) => q - Math.floor(q)));
    expect(m.parameters.map((p) => p.name)).toEqual(['rf_frequency', 'momentum_offset']);
    await expect(measureChromaticity(acc, { dir })).rejects.toThrow(ChromaticityError);
  });

  it('restores the RF frequency when the scan is aborted', async () => {
    const { acc } = await thomx();
    const rf = acc.family('RF');
    const f0 = (await rf.get({ field: 'setpoint' }))[0];
    const controller = new AbortController();
    const dir = join(mkdtempSync(join(tmpdir(), 'mlayer-chrom-')), 'scan');
    const run = measureChromaticity(acc, { points: 7, dir, author: 'Test <test@example.org>', signal: controller.signal, onPoint: (k) => (k === 2 ? controller.abort() : undefined) });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect((await rf.get({ field: 'setpoint' }))[0]).toBe(f0);
    const report = await checkScan(dir);
    expect(report.completed).toBe(3);
    // Without a directory too.
    const c2 = new AbortController();
    await expect(measureChromaticity(acc, { signal: c2.signal, onPoint: (k) => (k === 1 ? c2.abort() : undefined) })).rejects.toBeInstanceOf(AbortedError);
    expect((await rf.get({ field: 'setpoint' }))[0]).toBe(f0);
  });

  it('sets the chromaticities to a target within 0.1 in at most three steps (ThomX, three sextupole families, several seeds)', async () => {
    const { acc, twin } = await thomx({ seed: 8 }, 1);
    const target: [number, number] = [1, 2];
    for (const seed of [1, 2, 3]) {
      twin.clearErrors();
      const snap = await acc.snapshot();
      twin.applyErrors(quadErrors(acc, 1e-2), seed);
      const r = await setChromaticity(acc, target, { families: SEXT, tolerance: 0.03, measure: { points: 5 } });
      expect(r.steps.length).toBeLessThanOrEqual(3);
      const xi = twin.machineModel.chromaticity();
      expect(Math.abs(xi[0] - target[0])).toBeLessThan(0.1);
      expect(Math.abs(xi[1] - target[1])).toBeLessThan(0.1);
      await acc.restore(snap);
    }
  });

  it('refuses a chromaticity change past the sextupole limits without changing anything; the model response sums over the devices of a family', async () => {
    const { acc } = await thomx({}, 0.1);
    const before = await Promise.all(SEXT.map((f) => acc.family(f).get({ field: 'setpoint' })));
    await expect(stepChromaticity(acc, [-5, -5], { families: SEXT })).rejects.toThrow(/outside the limits/);
    const after = await Promise.all(SEXT.map((f) => acc.family(f).get({ field: 'setpoint' })));
    expect(after.map((a) => Array.from(a))).toEqual(before.map((b) => Array.from(b)));
    // The model response of a family is the sum over its devices (one parameter group per family).
    const r = modelChromaticityResponse(acc, SEXT);
    const one = acc.model!.chromaticityResponse([acc.family('S_SX1').elements.map((e) => ({ element: e as number, field: 'PolynomB', index: 2 }))]);
    expect(r.matrix[0][0]).toBeCloseTo(one[0][0], 12);
    expect(r.matrix[1][0]).toBeCloseTo(one[0][1], 12);
    expect(() => modelChromaticityResponse(acc, ['S_SX1'])).toThrow(/at least two families/);
  });

  it('diamond-i04: measures the chromaticity through the TUNE family and corrects it with two sextupole families', async () => {
    const { acc, twin } = await diamondTwin({ tuneNoise: 5e-5, seed: 6 });
    opened.push(acc);
    twin.applyErrors(quadErrors(acc, 1e-3), 2);
    const model = twin.machineModel.chromaticity();
    const m = await measureChromaticity(acc, { points: 5, dpRange: [-1.5e-3, 1.5e-3] });
    for (const p of [0, 1]) expect(Math.abs(m.chromaticity[p] - model[p])).toBeLessThan(3 * m.uncertainty[p]);
    const target: [number, number] = [model[0] + 0.5, model[1] - 0.5];
    const r = await setChromaticity(acc, target, { families: ['S1B', 'S2B'], tolerance: 0.03, measure: { points: 5, dpRange: [-1.5e-3, 1.5e-3] } });
    expect(r.steps.length).toBeLessThanOrEqual(3);
    const xi = twin.machineModel.chromaticity();
    expect(Math.abs(xi[0] - target[0])).toBeLessThan(0.1);
    expect(Math.abs(xi[1] - target[1])).toBeLessThan(0.1);
  });
});
