import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, type Accelerator, type MeasurementProgress } from '@mlayer/core';
import { readMeasurement } from '@mlayer/data';
import { loadOrm, measureDispersion, measureOrbit, measureOrm, modelOrm, saveDispersion, saveOrbit, saveOrm } from '../../src/index.js';
import { CM_GAIN, abortTimerAt, maxAbs, thomxOrm, thomxRef, thomxTwin } from '../fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function twin(options = {}) {
  const t = await thomxTwin(options);
  open.push(t.acc);
  return t;
}
const tmp = () => mkdtempSync(join(tmpdir(), 'mlayer-orbit-files-'));

describe('orbit response matrix measurement (ThomX twin)', () => {
  it('equals the pyAT ORM (h = 1e-7) and the twin model ORM to 1e-6 of the largest entry, in hardware and physics units', async () => {
    const { acc, twin: tw } = await twin();
    const ref = thomxOrm();
    const progress: MeasurementProgress[] = [];
    // Bipolar steps of 0.01 A = 1 µrad, hardware units: R in m/A.
    const hw = await measureOrm(acc, { kick: 0.01, rf: { step: 10 }, onProgress: (p) => progress.push(p) });
    expect(progress).toHaveLength(24 + 24 + 1);
    expect(progress.at(-1)).toMatchObject({ step: 49, total: 49 });
    expect(hw.units).toBe('hardware');
    expect(hw.bpms.x!.unit).toBe('m');
    expect(hw.correctors.x!.unit).toBe('A');
    for (const [name, refName] of [
      ['Rxx', 'Rxx_h1e-7'],
      ['Ryy', 'Ryy_h1e-7'],
    ] as const) {
      const R: number[][] = ref[refName];
      const tol = 1e-6 * maxAbs(R.flat());
      hw[name]!.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v / CM_GAIN - R[i][j])).toBeLessThan(tol)));
    }
    // The twin's own model ORM (machine model, m/rad).
    const bpmEl: number[] = thomxRef().optics_at_bpms.index;
    const corEl: number[] = thomxRef().correctors.index;
    const model = tw.machineModel.orbitResponse(bpmEl, corEl);
    const tolM = 1e-6 * maxAbs(model.Rxx.flatMap((r) => Array.from(r)));
    hw.Rxx!.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v / CM_GAIN - model.Rxx[i][j])).toBeLessThan(tolM)));
    // Cross-plane blocks vanish in the uncoupled lattice.
    expect(maxAbs(hw.Rxy!.flatMap((r) => Array.from(r)))).toBeLessThan(1e-12);
    expect(maxAbs(hw.Ryx!.flatMap((r) => Array.from(r)))).toBeLessThan(1e-12);
    // RF column: −D / (f α) per Hz, to the README's dispersion tolerance (1e-6 m) in m/Hz. The ±10 Hz
    // step is δ = ∓9.7e-7, close to pyAT's own central difference (±1.5e-6).
    const r = thomxRef();
    const f0 = r.summary.rf_cavities[0].Frequency;
    const alpha = r.momentum_compaction.get_mcf_default;
    const D: number[] = r.optics_at_bpms.dispersion.map((d: number[]) => d[0]);
    const tolRf = 1e-6 / (f0 * alpha);
    hw.rf!.x!.forEach((v, i) => expect(Math.abs(v + D[i] / (f0 * alpha))).toBeLessThan(tolRf));
    // Physics units: 1 µrad steps, R in m/rad.
    const ph = await measureOrm(acc, { kick: 1e-6, units: 'physics', planes: 'x', observe: 'x' });
    expect(ph.units).toBe('physics');
    expect(ph.correctors.x!.unit).toBe('rad');
    expect(ph.Ryy).toBeUndefined();
    const R: number[][] = ref['Rxx_h1e-7'];
    ph.Rxx!.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - R[i][j])).toBeLessThan(1e-6 * maxAbs(R.flat()))));
    // The model ORM through the LatticeModel port agrees as well.
    const mo = await modelOrm(acc, { model: tw.designModel, rf: true });
    expect(mo.units).toBe('physics');
    mo.Rxx!.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - R[i][j])).toBeLessThan(1e-6 * maxAbs(R.flat()))));
    mo.rf!.x!.forEach((v, i) => expect(Math.abs(v - hw.rf!.x![i])).toBeLessThan(tolRf));
    // Every corrector is back where it started.
    expect(maxAbs(await acc.family('HCM').get({ field: 'setpoint' }))).toBe(0);
    expect((await acc.family('RF').get({ field: 'setpoint' }))[0]).toBe(f0);
  });

  it('with BPM noise, agrees with the model within the statistics of the averaging', async () => {
    const sigma = 2e-6;
    const { acc, twin: tw } = await twin({ settings: { bpmNoise: sigma, seed: 3 } });
    const n = 4;
    const k = 0.5; // A = 50 µrad
    const orm = await measureOrm(acc, { kick: k, average: n, planes: 'x', observe: 'x' });
    const bpmEl: number[] = thomxRef().optics_at_bpms.index;
    const corEl: number[] = thomxRef().correctors.index;
    const model = tw.machineModel.orbitResponse(bpmEl, corEl);
    // Standard error of a column: sqrt(2 σ²/n) / (2k).
    const expected = Math.sqrt((2 * sigma * sigma) / n) / (2 * k);
    const z: number[] = [];
    orm.Rxx!.forEach((row, i) => row.forEach((v, j) => z.push((v - model.Rxx[i][j] * CM_GAIN) / expected)));
    const zrms = Math.sqrt(z.reduce((s, v) => s + v * v, 0) / z.length);
    // 576 normalised residuals: rms 1 within 5 standard errors (1/sqrt(2N) each), none beyond 5 sigma.
    expect(Math.abs(zrms - 1)).toBeLessThan(5 / Math.sqrt(2 * z.length));
    expect(maxAbs(z)).toBeLessThan(5);
    // The reported standard errors estimate the same quantity.
    const s = orm.std!.Rxx!.flatMap((r) => Array.from(r));
    const meanStd = Math.sqrt(s.reduce((a, v) => a + v * v, 0) / s.length);
    expect(Math.abs(meanStd / expected - 1)).toBeLessThan(0.1);
  });

  it('an abort from outside the tool (a timer, as Ctrl-C), at several points, stops it at once, restores every corrector and the RF, and rejects with AbortedError', async () => {
    const { acc } = await twin();
    const hcm = acc.family('HCM');
    const vcm = acc.family('VCM');
    const startH = Float64Array.from({ length: 24 }, (_v, j) => 0.1 * Math.sin(j + 1));
    const startV = Float64Array.from({ length: 24 }, (_v, j) => -0.05 * Math.cos(j));
    await hcm.set(startH);
    await vcm.set(startV);
    const rf0 = (await acc.family('RF').get({ field: 'setpoint' }))[0];
    // The timer is armed when the measurement reports step `at` (early, in each plane, during the RF
    // column) and fires from the event loop: with settle 0 the twin never waits on I/O, so the
    // abort is seen only if the twin lets the event loop run during the measurement.
    for (const at of [1, 17, 30, 48]) {
      const timer = abortTimerAt(at);
      const run = measureOrm(acc, { kick: 0.2, rf: { step: 5 }, average: 4, signal: timer.signal, onProgress: timer.onProgress });
      await expect(run).rejects.toBeInstanceOf(AbortedError);
      console.log(`abort armed at step ${at}: fired at step ${timer.atAbort}, rejected ${(performance.now() - timer.firedAt).toFixed(1)} ms later (restore included)`);
      // The timer fired during the measurement and no step finished after it.
      expect(timer.atAbort).toBeGreaterThanOrEqual(at);
      expect(timer.last).toBe(timer.atAbort);
      expect(timer.last).toBeLessThan(49);
      expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual(Array.from(startH));
      expect(Array.from(await vcm.get({ field: 'setpoint' }))).toEqual(Array.from(startV));
      expect((await acc.family('RF').get({ field: 'setpoint' }))[0]).toBe(rf0);
    }
    // The devices are free again: another measurement can drive them.
    await measureOrm(acc, { kick: 0.01, planes: 'y', observe: 'y' });
  });

  it('refuses a kick that would pass a corrector limit before moving anything', async () => {
    const { acc, writes } = await twin();
    await acc.family('HCM').devices([[3, 1]]).set(4.9);
    writes.length = 0;
    await expect(measureOrm(acc, { kick: 0.2 })).rejects.toThrow(/HCM E\d+: the step to 5\.1.*limits \[-5, 5\]/);
    expect(writes).toHaveLength(0);
  });

  it('saves the ORM as a measurement file with units and device axes, and loads it back', async () => {
    const { acc, twin: tw } = await twin();
    tw.applyErrors({ bpms: { BPMx: { offset: 1e-4 } } }, 42);
    const orm = await measureOrm(acc, { kick: 0.01, rf: { step: 10 } });
    const file = await saveOrm(join(tmp(), 'orm.h5'), orm, acc, { author: 'Orbit Test <orbit@example.org>' });
    const c = await readMeasurement(file);
    expect(c.dataType).toBe('orbit_response_matrix');
    expect(c.mode).toBe('twin');
    expect(c.errorSeed).toBe(42);
    const rxx = c.dataset('Rxx');
    expect(rxx).toMatchObject({ unit: 'm/A', unitSI: 1, shape: [24, 24] });
    expect(rxx.unitDimension).toEqual([1, 0, 0, -1, 0, 0, 0]);
    expect(rxx.axes[0]!.names).toEqual(acc.family('BPMx').names);
    expect(rxx.axes[1]!.devices).toEqual(acc.family('HCM').deviceList);
    expect(c.dataset('rf/x')).toMatchObject({ unit: 'm/Hz' });
    expect(c.setpoints.find((s) => s.family === 'HCM')!.unit).toBe('A');
    const back = await loadOrm(file);
    expect(back.units).toBe('hardware');
    expect(back.bpms.y!.devices).toEqual(acc.family('BPMy').deviceList);
    for (const b of ['Rxx', 'Ryx', 'Rxy', 'Ryy'] as const) back[b]!.forEach((row, i) => expect(Array.from(row)).toEqual(Array.from(orm[b]![i])));
    expect(Array.from(back.rf!.x!)).toEqual(Array.from(orm.rf!.x!));
    expect(back.rf!.device).toEqual([1, 1]);
    expect(Array.from(back.correctors.x!.kicks)).toEqual(new Array(24).fill(0.01));
    await expect(saveOrm(file, orm, acc, { author: 'a <a@b.c>' })).rejects.toThrow(/exists already/);
  });
});

describe('orbit and dispersion measurement', () => {
  it('averages the orbit of the enabled BPMs, excludes NaN readings, and saves it', async () => {
    const sigma = 5e-6;
    const { acc, twin: tw } = await twin({ settings: { bpmNoise: sigma, seed: 9 }, disabledBpms: [4, 17] });
    tw.applyErrors({ bpms: { BPMx: { offset: 1e-4, noise: sigma }, BPMy: { noise: sigma } } }, 5);
    const offsets = tw.appliedErrors!.bpms.BPMx.offset;
    const o = await measureOrbit(acc, { average: 25 });
    expect(o.x!.values).toHaveLength(22);
    expect(o.x!.names).not.toContain(acc.family('BPMx').names[4]);
    const enabled = [...Array(24).keys()].filter((i) => i !== 4 && i !== 17);
    // Zero orbit: the reading is −offset, averaged noise σ/5.
    const z = enabled.map((i, k) => (o.x!.values[k] + offsets[i]) / (sigma / 5));
    expect(maxAbs(z)).toBeLessThan(5);
    expect(Array.from(o.x!.count)).toEqual(new Array(22).fill(25));
    // A BPM that reads NaN on some readings is averaged over its finite ones.
    const read = tw.read.bind(tw);
    let calls = 0;
    tw.read = async (channels, opts) => {
      const s = await read(channels, opts);
      calls++;
      return calls % 2 === 0 ? s.map((x, i) => (i === 0 ? { ...x, value: Number.NaN } : x)) : s;
    };
    const o2 = await measureOrbit(acc, { average: 10, planes: 'x' });
    tw.read = read;
    expect(o2.x!.count[0]).toBe(5);
    expect(o2.x!.count[1]).toBe(10);
    expect(Number.isFinite(o2.x!.values[0])).toBe(true);
    expect(o2.y).toBeUndefined();
    const file = await saveOrbit(join(tmp(), 'orbit.h5'), o, acc, { author: 'Orbit Test <orbit@example.org>' });
    const c = await readMeasurement(file);
    expect(c.dataType).toBe('orbit');
    expect(c.dataset('x/mean')).toMatchObject({ unit: 'm', shape: [22] });
    expect(c.dataset('x/mean').axes[0]!.names).toEqual(o.x!.names);
  });

  it('measures the dispersion per Hz and, with the momentum compaction, per unit δ (pyAT reference)', async () => {
    const { acc } = await twin();
    const ref = thomxRef();
    const alpha = ref.momentum_compaction.get_mcf_default;
    const progress: number[] = [];
    const d = await measureDispersion(acc, { step: 10, momentumCompaction: alpha, onProgress: (p) => progress.push(p.step) });
    expect(progress).toEqual([1, 2]);
    const D: number[] = ref.optics_at_bpms.dispersion.map((x: number[]) => x[0]);
    // The README's dispersion tolerance (1e-6 m): the ±10 Hz step is δ = ∓9.7e-7 (pyAT: ±1.5e-6).
    d.x!.eta!.forEach((v, i) => expect(Math.abs(v - D[i])).toBeLessThan(1e-6));
    expect(maxAbs(d.y!.eta!)).toBeLessThan(1e-12);
    const f0 = ref.summary.rf_cavities[0].Frequency;
    d.x!.perRf.forEach((v, i) => expect(Math.abs(v + D[i] / (f0 * alpha))).toBeLessThan(1e-6 / (f0 * alpha)));
    expect((await acc.family('RF').get({ field: 'setpoint' }))[0]).toBe(f0);
    const file = await saveDispersion(join(tmp(), 'disp.h5'), d, acc, { author: 'Orbit Test <orbit@example.org>' });
    const c = await readMeasurement(file);
    expect(c.dataset('x/eta')).toMatchObject({ unit: 'm' });
    expect(c.dataset('x/per_rf')).toMatchObject({ unit: 'm/Hz' });
    expect(c.attributes.momentumCompaction).toBe(alpha);
    // Without α the dispersion is per Hz only.
    const perHz = await measureDispersion(acc, { step: 10, planes: 'x' });
    expect(perHz.x!.eta).toBeUndefined();
  });
});
