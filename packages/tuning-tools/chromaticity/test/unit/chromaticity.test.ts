import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, type Accelerator } from '@mlayer/core';
import { checkScan, readManifest } from '@mlayer/data';
import { ChromaticityError, measureChromaticity, modelChromaticityResponse, setChromaticity, stepChromaticity } from '../../src/index.js';
import { diamondTwin, twinAccelerator } from '../../../tune/test/twin-facility.js';

const opened: Accelerator[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});
const quadErrors = (acc: Accelerator, sigma: number) => ({
  magnets: Object.fromEntries(acc.familyNames().filter((f) => acc.family(f).elementClass === 'Quadrupole').map((f) => [f, { field: sigma }])),
});
const SEXT = ['S_SX1', 'S_SX2', 'S_SX3'];
/** Tune readings averaged per scan point by the default reader (tuneMonitorReader). */
const READS_PER_POINT = 5;
/**
 * Standard error of the fitted chromaticity (the slope dq/dδ) for a scan of `points`
 * momentum offsets spread evenly over [-half, half], each point's tune with the declared
 * monitor noise averaged over READS_PER_POINT readings: sigma / sqrt(Σ δ²) (for symmetric
 * points the slope is independent of the constant and the quadratic term). A fixed
 * tolerance, computed from what the twin was given, not from what the tool reports.
 */
function slopeError(tuneNoise: number, points: number, half: number): number {
  let s2 = 0;
  for (let k = 0; k < points; k++) s2 += (-half + (2 * half * k) / (points - 1)) ** 2;
  return tuneNoise / Math.sqrt(READS_PER_POINT) / Math.sqrt(s2);
}

async function thomx(settings = {}, limits?: number) {
  const t = await twinAccelerator({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, settings: { tuneNoise: 1e-4, ...settings }, limits });
  opened.push(t.acc);
  return t;
}

describe('chromaticity on the twin', () => {
  it('measures the chromaticities of the errored machine within 5 standard errors of the declared tune noise (ThomX, RF scan, linear and quadratic fits), saved as an openPMD line scan', async () => {
    const { acc, twin } = await thomx({ seed: 3 });
    twin.applyErrors(quadErrors(acc, 1e-2), 5);
    const model = twin.machineModel.chromaticity();
    const f0 = (await acc.family('RF').get({ field: 'setpoint' }))[0];
    const dir = join(mkdtempSync(join(tmpdir(), 'mlayer-chrom-')), 'scan');
    const quad = await measureChromaticity(acc, { order: 2, points: 9, dir, author: 'Test <test@example.org>' });
    const tolQuad = 5 * slopeError(1e-4, 9, 2e-3);
    for (const p of [0, 1]) {
      console.log(`quadratic fit, plane ${p}: |measured - model| ${Math.abs(quad.chromaticity[p] - model[p]).toFixed(4)}, tolerance ${tolQuad.toFixed(4)}, reported uncertainty ${quad.uncertainty[p].toFixed(4)}`);
      expect(quad.uncertainty[p]).toBeGreaterThan(0);
      expect(Math.abs(quad.chromaticity[p] - model[p])).toBeLessThan(tolQuad);
    }
    // The errors moved ξx well beyond that: the scan sees the errored machine.
    const design = acc.model!.chromaticity();
    expect(Math.abs(design[0] - model[0])).toBeGreaterThan(3 * tolQuad);
    const lin = await measureChromaticity(acc, { order: 1, dpRange: [-1e-3, 1e-3], points: 7 });
    const tolLin = 5 * slopeError(1e-4, 7, 1e-3);
    for (const p of [0, 1]) {
      console.log(`linear fit, plane ${p}: |measured - model| ${Math.abs(lin.chromaticity[p] - model[p]).toFixed(4)}, tolerance ${tolLin.toFixed(4)}`);
      expect(Math.abs(lin.chromaticity[p] - model[p])).toBeLessThan(tolLin);
    }
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

  it('the reported uncertainty agrees with the scatter of 30 repeated measurements (ThomX, linear fit, 5 points)', async () => {
    const noise = 1e-4;
    const K = 30;
    const { acc, twin } = await thomx({ seed: 13, tuneNoise: noise });
    twin.applyErrors(quadErrors(acc, 1e-2), 6);
    const xi: number[][] = [[], []];
    const reported: number[][] = [[], []];
    for (let k = 0; k < K; k++) {
      const m = await measureChromaticity(acc, { order: 1, points: 5, dpRange: [-1e-3, 1e-3] });
      for (const p of [0, 1]) {
        xi[p].push(m.chromaticity[p]);
        reported[p].push(m.uncertainty[p]);
      }
    }
    // The scatter of K results estimates the standard error with a relative uncertainty of 1/sqrt(2(K-1)) = 0.13.
    const rel = 1 / Math.sqrt(2 * (K - 1));
    const declared = slopeError(noise, 5, 1e-3);
    for (const p of [0, 1]) {
      const mean = xi[p].reduce((s, v) => s + v, 0) / K;
      const scatter = Math.sqrt(xi[p].reduce((s, v) => s + (v - mean) ** 2, 0) / (K - 1));
      const rms = Math.sqrt(reported[p].reduce((s, v) => s + v * v, 0) / K);
      console.log(`plane ${p}: scatter of ${K} measurements ${scatter.toFixed(4)}, reported uncertainty (rms) ${rms.toFixed(4)}, from the declared noise ${declared.toFixed(4)}`);
      expect(Math.abs(rms / scatter - 1)).toBeLessThan(4 * rel);
      expect(Math.abs(scatter / declared - 1)).toBeLessThan(4 * rel);
    }
  });

  it('restores the RF frequency when the scan is aborted from outside the tool (a timer, as Ctrl-C), with and without a scan directory', async () => {
    const { acc } = await thomx();
    const rf = acc.family('RF');
    const f0 = (await rf.get({ field: 'setpoint' }))[0];
    // The timer is armed after point `at` and fires from the event loop, not from the tool.
    const abortAfter = (at: number) => {
      const controller = new AbortController();
      const seen = { last: -1, atAbort: -1 };
      const onPoint = (k: number) => {
        seen.last = k;
        if (k === at)
          setTimeout(() => {
            seen.atAbort = seen.last;
            controller.abort();
          }, 0);
      };
      return { signal: controller.signal, onPoint, seen };
    };
    for (const at of [0, 2, 4]) {
      const a = abortAfter(at);
      const dir = join(mkdtempSync(join(tmpdir(), 'mlayer-chrom-')), 'scan');
      await expect(measureChromaticity(acc, { points: 7, dir, author: 'Test <test@example.org>', signal: a.signal, onPoint: a.onPoint })).rejects.toBeInstanceOf(AbortedError);
      expect(a.seen.atAbort).toBeGreaterThanOrEqual(at);
      expect(a.seen.last).toBe(a.seen.atAbort);
      expect(a.seen.last).toBeLessThan(6);
      expect((await rf.get({ field: 'setpoint' }))[0]).toBe(f0);
      // The points finished before the abort are on disk, the scan is not complete.
      const report = await checkScan(dir);
      expect(report.completed).toBeGreaterThanOrEqual(at + 1);
      expect(report.completed).toBeLessThanOrEqual(a.seen.last + 1);
    }
    // Without a directory too.
    for (const at of [1, 3]) {
      const a = abortAfter(at);
      await expect(measureChromaticity(acc, { points: 7, signal: a.signal, onPoint: a.onPoint })).rejects.toBeInstanceOf(AbortedError);
      expect(a.seen.atAbort).toBeGreaterThanOrEqual(at);
      expect(a.seen.last).toBe(a.seen.atAbort);
      expect(a.seen.last).toBeLessThan(6);
      expect((await rf.get({ field: 'setpoint' }))[0]).toBe(f0);
    }
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
    const tol = 5 * slopeError(5e-5, 5, 1.5e-3);
    for (const p of [0, 1]) expect(Math.abs(m.chromaticity[p] - model[p])).toBeLessThan(tol);
    const target: [number, number] = [model[0] + 0.5, model[1] - 0.5];
    const r = await setChromaticity(acc, target, { families: ['S1B', 'S2B'], tolerance: 0.03, measure: { points: 5, dpRange: [-1.5e-3, 1.5e-3] } });
    expect(r.steps.length).toBeLessThanOrEqual(3);
    const xi = twin.machineModel.chromaticity();
    expect(Math.abs(xi[0] - target[0])).toBeLessThan(0.1);
    expect(Math.abs(xi[1] - target[1])).toBeLessThan(0.1);
  });
});
