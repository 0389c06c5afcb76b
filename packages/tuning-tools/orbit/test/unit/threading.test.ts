import { afterEach, describe, expect, it } from 'vitest';
import { correctTrajectory, threadBeam } from '../../src/index.js';
import { abortTimerAt, rmsOf, type TwinFixture } from '../fixture.js';
import { threadingTwin } from '../threading-fixture.js';

// ThomX (24 BPMs, 24 correctors per plane) with a 4 mm elliptical chamber and the injection at element 0.
const ERRORS = (dx: number) => ({
  magnets: { QUAD: { dx: { sigma: dx, truncation: 2 }, dy: { sigma: dx, truncation: 2 } } },
  bpms: { BPMx: { noise: 10e-6 }, BPMy: { noise: 10e-6 } },
  injection: { x: { sigma: 0.5e-3, truncation: 2 }, px: { sigma: 50e-6, truncation: 2 }, y: { sigma: 0.5e-3, truncation: 2 }, py: { sigma: 50e-6, truncation: 2 } },
});

let fx: TwinFixture | undefined;
afterEach(async () => {
  await fx?.acc.close();
  fx = undefined;
});

describe('beam threading (issue 22) on the ThomX twin', () => {
  it('threads a beam lost in the first turn into the stored state, then corrects the closed orbit', async () => {
    fx = await threadingTwin();
    const { acc, twin } = fx;
    twin.applyErrors(ERRORS(200e-6), 1);
    expect(twin.beamState).toBe('none');
    expect((await acc.family('DCCT').get())[0]).toBe(0);
    const r = await threadBeam(acc);
    // The first shot is lost in the first turn: 14 of 24 BPMs see it, nothing further.
    expect(r.reachedFirst).toBe(14);
    expect(r.status).toBe('stored');
    expect(twin.beamState).toBe('stored');
    expect(r.injections).toBeLessThanOrEqual(4);
    expect(twin.injectionCount).toBe(r.injections);
    // The stored charge of one shot (16 macro-particles, at least half survive 8 turns) circulating in 17.99 m.
    const current = (await acc.family('DCCT').get())[0];
    expect(current).toBeGreaterThanOrEqual(0.5 * 1e-9 * (299792458 / 17.986716) - 1e-12);
    expect(current).toBeLessThanOrEqual(1e-9 * (299792458 / 17.986716) + 1e-12);
    // Closed-orbit correction took over: the BPMs read the closed orbit, corrected.
    expect(r.orbit!.rmsFinal.x!).toBeLessThan(r.orbit!.rmsInitial.x!);
    expect(r.orbit!.rmsFinal.y!).toBeLessThan(r.orbit!.rmsInitial.y!);
  });

  it('400 um misalignments: the first turn is threaded, then turns 2-4 are stitched to turn 1 until the beam stores', async () => {
    fx = await threadingTwin();
    const { acc, twin } = fx;
    twin.applyErrors(ERRORS(400e-6), 4);
    const r = await threadBeam(acc, { maxInjections: 20, closeOrbit: false });
    expect(r.reachedFirst).toBe(10);
    expect(r.status).toBe('stored');
    expect(twin.beamState).toBe('stored');
    expect(r.steps.some((s) => s.stage === 'stitching')).toBe(true);
    expect(r.injections).toBeLessThanOrEqual(8);
    expect(r.orbit).toBeUndefined();
  });

  it('abort during threading restores every corrector', async () => {
    fx = await threadingTwin();
    const { acc, twin } = fx;
    twin.applyErrors(ERRORS(400e-6), 1);
    // Correctors start away from zero, so that a restore to zero would be seen.
    const hcm = acc.family('HCM');
    const vcm = acc.family('VCM');
    await hcm.set(Float64Array.from({ length: hcm.size }, (_v, i) => 0.1 * ((i % 5) - 2)));
    await vcm.set(Float64Array.from({ length: vcm.size }, (_v, i) => -0.07 * ((i % 3) - 1)));
    const h0 = await hcm.get({ field: 'setpoint' });
    const v0 = await vcm.get({ field: 'setpoint' });
    const timer = abortTimerAt(2);
    await expect(threadBeam(acc, { signal: timer.signal, onProgress: timer.onProgress, maxInjections: 40 })).rejects.toThrow();
    expect(timer.atAbort).toBeGreaterThanOrEqual(2);
    // The threading had changed them (the abort came after two corrections) ...
    expect(fx.writes.filter((w) => w.channel.startsWith('HCM:') || w.channel.startsWith('VCM:')).length).toBeGreaterThan(0);
    // ... and every one is back where it was, exactly.
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual(Array.from(h0));
    expect(Array.from(await vcm.get({ field: 'setpoint' }))).toEqual(Array.from(v0));
  });

  it('dry run: one step computed from the BPMs as they read, nothing written (not even an injection)', async () => {
    fx = await threadingTwin();
    const { acc, twin } = fx;
    twin.applyErrors(ERRORS(200e-6), 1);
    await acc.family('INJ').set(1);
    const before = fx.writes.length;
    const r = await threadBeam(acc, { dryRun: true });
    expect(r.status).toBe('dry run');
    expect(r.steps[0].plan!.writes.length).toBeGreaterThan(0);
    expect(fx.writes.length).toBe(before);
    expect(twin.injectionCount).toBe(1);
  });
});

describe('trajectory correction of a transfer line (issue 22): ThomX cut open at element 0', () => {
  it('steers the line trajectory from about 1 mm rms to within twice the BPM noise', async () => {
    // Corrector limits of +-2 mrad: the 50 MeV line needs up to 1.2 mrad.
    fx = await threadingTwin({ openLine: true, chamber: [0.02, 0.02], limits: [-20, 20] });
    const { acc, twin } = fx;
    const noise = 20e-6;
    twin.applyErrors({ magnets: { QUAD: { dx: { sigma: 100e-6, truncation: 2 }, dy: { sigma: 100e-6, truncation: 2 } } }, bpms: { BPMx: { noise }, BPMy: { noise } } }, 1);
    const x0 = await acc.family('BPMx').get();
    const y0 = await acc.family('BPMy').get();
    const r = await correctTrajectory(acc, { iterations: 6 });
    // About 1 mm rms to start with, over all 24 BPMs.
    expect(r.reachedInitial).toBe(24);
    expect(Math.hypot(rmsOf(x0), rmsOf(y0)) / Math.SQRT2).toBeGreaterThan(0.6e-3);
    expect(Math.hypot(rmsOf(x0), rmsOf(y0)) / Math.SQRT2).toBeLessThan(1.6e-3);
    expect(r.reachedFinal).toBe(24);
    // A fresh reading of every BPM after the correction: within twice the BPM noise in each plane.
    expect(rmsOf(await acc.family('BPMx').get())).toBeLessThan(2 * noise);
    expect(rmsOf(await acc.family('BPMy').get())).toBeLessThan(2 * noise);
  });
});
