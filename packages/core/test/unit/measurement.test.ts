import { describe, expect, it } from 'vitest';
import { AbortedError, DeviceBusyError, DisconnectedError, Measurement, measure } from '../../src/index.js';
import { ringAccelerator } from '../helpers.js';

describe('measurement orchestration', () => {
  it('restores every changed setpoint when aborted midway', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    const qf = acc.family('QF');
    await hcm.set([1, -1, 0.5, 2]);
    await qf.set([100, 101]);
    const controller = new AbortController();
    const steps: number[] = [];
    const m = new Measurement(acc, { name: 'orm', drives: [hcm, qf], signal: controller.signal, total: 4 });
    m.progress$.subscribe({ next: (p) => steps.push(p.step), error: () => undefined });
    const run = m.run(async (ctx) => {
      await ctx.set(qf, [90, 95]);
      for (let k = 0; k < 4; k++) {
        const one = hcm.devices([hcm.deviceList[k]]);
        await ctx.step(one, 0.3);
        ctx.progress(k + 1, `corrector ${k}`);
        if (k === 1) controller.abort();
        await ctx.average(acc.family('BPMx'), 3, { interval: 5 });
      }
      return 'finished';
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(steps).toEqual([1, 2]);
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual([1, -1, 0.5, 2]);
    expect(Array.from(await qf.get({ field: 'setpoint' }))).toEqual([100, 101]);
    // The last writes were the restores, with wait.
    const last = cs.writes.slice(-4);
    expect(last.every((w) => w.wait)).toBe(true);
    expect(m.records.filter((r) => r.kind === 'restore').length).toBe(2);
  });

  it('restores when the body fails, and reports the original error', async () => {
    const { acc } = await ringAccelerator();
    const hcm = acc.family('HCM');
    await expect(
      measure(acc, { name: 'broken', drives: [hcm] }, async (ctx) => {
        await ctx.set(hcm, [1, 2, 1, 2]);
        await ctx.set(hcm.byName('HCM1'), 5);
        throw new Error('BPM system failed');
      }),
    ).rejects.toThrow('BPM system failed');
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual([0, 0, 0, 0]);
  });

  it('restores after a write that the control system rejects midway', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    let n = 0;
    cs.beforeWrite = (w) => {
      if (w.channel === 'SR03-HCM-01:SP' && ++n === 1) throw new Error('power supply trip');
    };
    await expect(
      measure(acc, { name: 'trip', drives: [hcm] }, async (ctx) => {
        await ctx.set(hcm.byName('HCM1'), 1);
        await ctx.set(hcm.byName('HCM2'), 1);
        await ctx.set(hcm.byName('HCM3'), 1);
      }),
    ).rejects.toThrow('power supply trip');
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual([0, 0, 0, 0]);
  });

  it('retries a restore while the server is disconnected, until it comes back', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    let down = false;
    let refused = 0;
    cs.beforeWrite = () => {
      if (down) {
        refused++;
        throw new DisconnectedError('SR01-HCM-01:SP', 'server restarting');
      }
    };
    await expect(
      measure(acc, { name: 'restart', drives: [hcm], settleTimeout: 5000 }, async (ctx) => {
        await ctx.set(hcm, 1);
        down = true;
        setTimeout(() => (down = false), 300);
        throw new Error('IOC restarted');
      }),
    ).rejects.toThrow('IOC restarted');
    expect(refused).toBeGreaterThan(0);
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual([0, 0, 0, 0]);
  });

  it('a restore that fails does not hide why the measurement failed: both are said', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    let tripped = false;
    cs.beforeWrite = () => {
      if (tripped) throw new Error('power supply interlock');
    };
    const run = measure(acc, { name: 'orm', drives: [hcm] }, async (ctx) => {
      await ctx.set(hcm, 1);
      tripped = true;
      throw new Error('BPMx: no fresh reading within 3000 ms');
    });
    await expect(run).rejects.toThrow(/^BPMx: no fresh reading within 3000 ms; then orm: restoring setpoints failed: .*power supply interlock/);
    await run.catch((e: Error) => expect((e.cause as Error).message).toBe('BPMx: no fresh reading within 3000 ms'));
  });

  it('keeps setpoints after success unless asked to restore', async () => {
    const { acc } = await ringAccelerator();
    const hcm = acc.family('HCM');
    await measure(acc, { name: 'keep', drives: [hcm] }, (ctx) => ctx.set(hcm, 1));
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual([1, 1, 1, 1]);
    await measure(acc, { name: 'bipolar', drives: [hcm], restoreOnSuccess: true }, (ctx) => ctx.step(hcm, 0.5));
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual([1, 1, 1, 1]);
  });

  it('refuses to drive devices outside its declaration, and locks them against a second measurement', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    await expect(measure(acc, { name: 'a', drives: [hcm.byName('HCM1')] }, (ctx) => ctx.set(hcm.byName('HCM2'), 1))).rejects.toThrow(/HCM SR02-HCM-01:SP not among the devices/);
    let release!: () => void;
    const first = measure(acc, { name: 'first', drives: [hcm] }, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 10));
    await expect(measure(acc, { name: 'second', drives: [hcm.byName('HCM2')] }, async () => undefined)).rejects.toBeInstanceOf(DeviceBusyError);
    // A measurement on other devices may run at the same time.
    await measure(acc, { name: 'quads', drives: [acc.family('QF')] }, (ctx) => ctx.set(acc.family('QF'), 50));
    release();
    await first;
    await measure(acc, { name: 'third', drives: [hcm.byName('HCM2')] }, async () => undefined);
    expect(cs.writes.filter((w) => w.channel.startsWith('SR02-HCM')).length).toBe(0);
  });

  it('averages readings, excluding NaN per device, and waits for the readback to settle', async () => {
    const { acc, cs } = await ringAccelerator();
    const bpm = acc.family('BPMx');
    let k = 0;
    const values = [
      [1e-3, 2e-3, Number.NaN, 0],
      [3e-3, 2e-3, Number.NaN, 0],
    ];
    const orig = cs.read.bind(cs);
    cs.read = async (channels, options) => {
      if (channels[0] === 'SR01-BPM-01:X') {
        const row = values[k++ % 2];
        channels.forEach((c, i) => cs.inject(c, row[i]));
      }
      return orig(channels, options);
    };
    const hcm = acc.family('HCM');
    const result = await measure(acc, { name: 'avg', drives: [hcm] }, async (ctx) => {
      await ctx.set(hcm, 1);
      // The readback lags: settle must wait until it is within tolerance.
      cs.inject('SR01-HCM-01:RB', 0.5);
      setTimeout(() => cs.inject('SR01-HCM-01:RB', 1.0005), 60);
      await ctx.settle(hcm);
      // settle returned only once the lagging readback had come within tolerance.
      expect((await hcm.get({ field: 'readback' }))[0]).toBe(1.0005);
      return ctx.average(bpm, 4);
    });
    expect(result.mean[0]).toBeCloseTo(2e-3, 15);
    expect(result.std[0]).toBeCloseTo(Math.sqrt(4 / 3) * 1e-3, 12);
    expect(Number.isNaN(result.mean[2])).toBe(true);
    expect(Array.from(result.count)).toEqual([4, 4, 0, 4]);
  });
});
