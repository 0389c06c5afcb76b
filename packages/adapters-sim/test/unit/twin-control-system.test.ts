import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError, WriteRejectedError, measure, type Accelerator } from '@mlayer/core';
import { CM_GAIN, thomxOrm, thomxRef, thomxTwin } from '../twin-fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function twin(settings = {}) {
  const t = await thomxTwin(settings);
  open.push(t.acc);
  return t;
}
const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

describe('the twin as a control system (ThomX lattice, pyAT references)', () => {
  it('connection events: one stream, completed at close whether it was asked for before or after', async () => {
    const before = (await thomxTwin()).acc;
    const early = before.controlSystem.connection$;
    expect(before.controlSystem.connection$).toBe(early);
    const ended = firstValueFrom(early.pipe(toArray()));
    await before.close();
    await expect(ended).resolves.toEqual([]);
    const after = (await thomxTwin()).acc;
    await after.close();
    await expect(firstValueFrom(after.controlSystem.connection$.pipe(toArray()))).resolves.toEqual([]);
  });

  it('reads the closed orbit of the engine at the BPMs, in the facility channel names (errors and noise off)', async () => {
    const { acc } = await twin();
    const ref = thomxRef().closed_orbit_3_kicks;
    const hcm = acc.family('HCM');
    const vcm = acc.family('VCM');
    // KickAngle [10e-6, 10e-6] on the first three correctors, in hardware units (A).
    const kicked = (ref.kicked_corrector_index as number[]).map((e) => `E${e}`);
    await hcm.byName(...kicked).set(10e-6 / CM_GAIN, { wait: true });
    await vcm.byName(...kicked).set(10e-6, { units: 'physics', wait: true });
    const x = await acc.family('BPMx').get();
    const y = await acc.family('BPMy').get();
    const refX = (ref.orbit_at_bpms as number[][]).map((o) => o[0]);
    const refY = (ref.orbit_at_bpms as number[][]).map((o) => o[2]);
    const tolX = 1e-6 * maxAbs(refX);
    const tolY = 1e-6 * maxAbs(refY);
    x.forEach((v, i) => expect(Math.abs(v - refX[i])).toBeLessThan(tolX));
    y.forEach((v, i) => expect(Math.abs(v - refY[i])).toBeLessThan(tolY));
    expect(await acc.controlSystem.read(['HCM:1:1:SP'])).toMatchObject([{ value: 0.1, severity: 0 }]);
  });

  it('changes the orbit by the ORM column when a corrector steps', async () => {
    const { acc } = await twin();
    const orm = thomxOrm();
    const R: number[][] = orm['Rxx_h1e-7'];
    const Ry: number[][] = orm['Ryy_h1e-7'];
    const hcm = acc.family('HCM');
    const vcm = acc.family('VCM');
    const h = 1e-6; // rad
    for (const j of [0, 7, 23]) {
      const one = hcm.devices([hcm.deviceList[j]]);
      await one.set(h, { units: 'physics' });
      const plus = await acc.family('BPMx').get();
      await one.set(-h, { units: 'physics' });
      const minus = await acc.family('BPMx').get();
      await one.set(0);
      const col = R.map((row) => row[j]);
      const tol = 1e-6 * maxAbs(R.flat());
      plus.forEach((p, i) => expect(Math.abs((p - minus[i]) / (2 * h) - col[i])).toBeLessThan(tol));
      const onev = vcm.devices([vcm.deviceList[j]]);
      await onev.set(h, { units: 'physics' });
      const yp = await acc.family('BPMy').get();
      await onev.set(-h, { units: 'physics' });
      const ym = await acc.family('BPMy').get();
      await onev.set(0);
      const coly = Ry.map((row) => row[j]);
      const toly = 1e-6 * maxAbs(Ry.flat());
      yp.forEach((p, i) => expect(Math.abs((p - ym[i]) / (2 * h) - coly[i])).toBeLessThan(toly));
    }
  });

  it('shifts the orbit by dispersion times delta when the RF frequency steps', async () => {
    const { acc } = await twin();
    const ref = thomxRef();
    const f0 = (await acc.family('RF').get({ field: 'setpoint' }))[0];
    expect(f0).toBeCloseTo(ref.summary.rf_cavities[0].Frequency, 3);
    const alpha = ref.momentum_compaction.get_mcf_default;
    const df = 20; // Hz
    const x0 = await acc.family('BPMx').get();
    await acc.family('RF').set(f0 + df / 2);
    const xp = await acc.family('BPMx').get();
    await acc.family('RF').set(f0 - df / 2);
    const xm = await acc.family('BPMx').get();
    const delta = -df / (f0 * alpha);
    const D: number[] = ref.optics_at_bpms.dispersion.map((d: number[]) => d[0]);
    // The README's dispersion tolerance (1e-6 m): the ±10 Hz step is δ = ∓9.7e-7 (pyAT: ±1.5e-6).
    xp.forEach((v, i) => expect(Math.abs((v - xm[i]) / delta - D[i])).toBeLessThan(1e-6));
    expect(maxAbs(x0)).toBe(0);
  });

  it('applies seeded errors reproducibly, with the declared statistics over many seeds', async () => {
    const { acc, twin: tw } = await twin();
    const spec = {
      magnets: { HCM: { field: { sigma: 0.01, truncation: 2 } } },
      bpms: { BPMx: { offset: 100e-6, gain: 0.02 }, BPMy: { offset: { distribution: 'uniform', sigma: 50e-6 } } },
    };
    tw.applyErrors(spec, 7);
    const a = await acc.family('BPMx').get();
    const drawsA = structuredClone(tw.appliedErrors!);
    tw.applyErrors(spec, 8);
    const b = await acc.family('BPMx').get();
    tw.applyErrors(spec, 7);
    const c = await acc.family('BPMx').get();
    expect(Array.from(c)).toEqual(Array.from(a));
    expect(tw.appliedErrors).toEqual(drawsA);
    expect(Array.from(b)).not.toEqual(Array.from(a));
    // With a zero orbit, BPMx reads -(1+gain)*offset: the offsets are visible.
    a.forEach((v, i) => expect(v).toBeCloseTo(-(1 + drawsA.bpms.BPMx.gain[i]) * drawsA.bpms.BPMx.offset[i], 15));
    expect(tw.errorSeed).toBe(7);
    // Statistics over many seeds: sample rms within 5 standard errors of sigma, truncation respected.
    const offs: number[] = [];
    const unif: number[] = [];
    const field: number[] = [];
    for (let seed = 100; seed < 300; seed++) {
      tw.applyErrors(spec, seed);
      offs.push(...tw.appliedErrors!.bpms.BPMx.offset);
      unif.push(...tw.appliedErrors!.bpms.BPMy.offset);
      field.push(...tw.appliedErrors!.magnets.HCM.field);
    }
    const n = offs.length;
    const mean = offs.reduce((s, v) => s + v, 0) / n;
    const rms = Math.sqrt(offs.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean)).toBeLessThan((5 * 100e-6) / Math.sqrt(n));
    expect(Math.abs(rms / 100e-6 - 1)).toBeLessThan(5 / Math.sqrt(2 * n));
    expect(Math.max(...unif.map(Math.abs))).toBeLessThanOrEqual(50e-6);
    expect(Math.max(...unif.map(Math.abs))).toBeGreaterThan(49e-6);
    expect(Math.max(...field.map(Math.abs))).toBeLessThanOrEqual(0.02);
    const urms = Math.sqrt(unif.reduce((s, v) => s + v * v, 0) / unif.length);
    expect(Math.abs(urms / (50e-6 / Math.sqrt(3)) - 1)).toBeLessThan(0.05);
  });

  it('makes misalignments visible as a closed-orbit distortion, and a corrector calibration error scales its kick', async () => {
    const { acc, twin: tw } = await twin();
    const x0 = await acc.family('BPMx').get();
    expect(maxAbs(x0)).toBe(0);
    const rms = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    tw.applyErrors({ magnets: { QUAD: { dx: 1e-6, dy: 1e-6 } } }, 5);
    const x1 = await acc.family('BPMx').get();
    const y1 = await acc.family('BPMy').get();
    expect(rms(x1)).toBeGreaterThan(1e-7);
    expect(rms(y1)).toBeGreaterThan(1e-7);
    // Linear regime: the same seed with twice the sigma gives twice the orbit.
    tw.applyErrors({ magnets: { QUAD: { dx: 2e-6, dy: 2e-6 } } }, 5);
    const x2 = await acc.family('BPMx').get();
    x2.forEach((v, i) => expect(Math.abs(v - 2 * x1[i])).toBeLessThan(1e-3 * maxAbs(x2)));
    tw.clearErrors();
    expect(maxAbs(await acc.family('BPMx').get())).toBe(0);
    tw.applyErrors({ magnets: { HCM: { field: { sigma: 0.1 } } } }, 3);
    const g = tw.appliedErrors!.magnets.HCM.field[5];
    const one = acc.family('HCM').devices([acc.family('HCM').deviceList[5]]);
    await one.set(1e-6, { units: 'physics' });
    const kickModel = tw.machineModel.getParameter({ element: Number(one.names[0].slice(1)), field: 'KickAngle', index: 0 });
    expect(kickModel).toBeCloseTo(1e-6 * (1 + g), 18);
    await one.set(0);
    expect(tw.designModel.getParameter({ element: Number(one.names[0].slice(1)), field: 'KickAngle', index: 0 })).toBe(0);
  });

  it('adds BPM noise with the declared rms, reproducible from the seed', async () => {
    const { acc } = await twin({ bpmNoise: 2e-6, seed: 11 });
    const bpm = acc.family('BPMx');
    const reads: number[] = [];
    for (let k = 0; k < 100; k++) reads.push(...(await bpm.get()));
    const rms = Math.sqrt(reads.reduce((s, v) => s + v * v, 0) / reads.length);
    expect(Math.abs(rms / 2e-6 - 1)).toBeLessThan(5 / Math.sqrt(2 * reads.length));
    const again = await twin({ bpmNoise: 2e-6, seed: 11 });
    expect(Array.from(await again.acc.family('BPMx').get())).toEqual(reads.slice(0, 24));
  });

  it('rejects writes outside the limits and to read-only channels; a missing channel times out', async () => {
    const { acc } = await twin();
    await expect(acc.controlSystem.write([{ channel: 'HCM:1:1:SP', value: 7 }])).rejects.toBeInstanceOf(WriteRejectedError);
    await expect(acc.controlSystem.write([{ channel: 'BPM:1:1:X', value: 0 }])).rejects.toThrow(/read-only/);
    await expect(acc.controlSystem.read(['NO:SUCH:PV'], { timeout: 100 })).rejects.toBeInstanceOf(TimeoutError);
    expect((await acc.controlSystem.read(['HCM:1:1:SP']))[0].value).toBe(0);
  });

  it('ramps power supplies: the readback follows the setpoint at the ramp rate, write with wait waits', async () => {
    const { acc } = await twin({ rampRate: 20 });
    const hcm = acc.family('HCM').devices([[1, 1]]);
    await hcm.set(2, { wait: true }); // 2 A at 20 A/s: 100 ms
    // The write with wait returned only when the ramp was over: the readback is at the set point.
    expect((await hcm.get({ field: 'readback' }))[0]).toBe(2);
    await hcm.set(0);
    const rb = (await hcm.get({ field: 'readback' }))[0];
    expect(rb).toBeGreaterThan(1.5);
    expect((await hcm.get({ field: 'setpoint' }))[0]).toBe(0);
    await expect(acc.controlSystem.write([{ channel: 'HCM:1:1:SP', value: 4 }], { wait: true, timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('shows a magnet changed through the twin API in a readback stream while a tool watches', async () => {
    const { acc, twin: tw } = await twin();
    const bpm = acc.family('BPMx');
    const got = firstValueFrom(bpm.readback$.pipe(filter((x) => maxAbs(x) > 0), take(1)));
    // Another actor kicks a corrector directly in the machine model (a disturbance).
    tw.setModelParameter({ element: 13, field: 'KickAngle', index: 0 }, 20e-6);
    const seen = await got;
    expect(maxAbs(seen)).toBeGreaterThan(1e-6);
    const now = await bpm.get();
    expect(Array.from(now)).toEqual(Array.from(seen));
  });

  it('shows a magnet changed by another actor during a measurement in the measurement result', async () => {
    const { acc, twin: tw } = await twin();
    const bpm = acc.family('BPMx');
    const hcm = acc.family('HCM');
    // A tool averages the orbit over 10 readings 20 ms apart while a disturbance kicks a corrector element directly.
    setTimeout(() => tw.setModelParameter({ element: 13, field: 'KickAngle', index: 0 }, 20e-6), 90);
    const result = await measure(acc, { name: 'orbit', drives: [hcm] }, (m) => m.average(bpm, 10, { interval: 20 }));
    const disturbed = await bpm.get();
    // The mean lies between the undisturbed orbit (zero) and the disturbed one: the change happened during the measurement.
    const i = Array.from(disturbed).findIndex((v) => Math.abs(v) === maxAbs(disturbed));
    expect(result.samples[0][i]).toBe(0);
    expect(result.samples[9][i]).toBe(disturbed[i]);
    expect(Math.abs(result.mean[i])).toBeGreaterThan(0.1 * Math.abs(disturbed[i]));
    expect(Math.abs(result.mean[i])).toBeLessThan(0.9 * Math.abs(disturbed[i]));
    // The tool's own setpoints did not move: the change came from outside.
    expect(Array.from(await hcm.get({ field: 'setpoint' })).every((v) => v === 0)).toBe(true);
  });

  it('emits monitors periodically (nothing changes, yet samples keep coming) and serves tune and beam current', async () => {
    const { acc } = await twin({ updateRate: 50, tuneNoise: 0 });
    const samples = await firstValueFrom(acc.controlSystem.monitor('BPM:1:1:X').pipe(take(6), toArray()));
    expect(samples).toHaveLength(6);
    const ref = thomxRef();
    const q = (await acc.family('TUNE').get())[0];
    expect(q).toBeCloseTo(ref.tunes.ring_tunes_fractional[0], 7);
    expect((await acc.family('DCCT').get())[0]).toBe(0.3);
  });
});
