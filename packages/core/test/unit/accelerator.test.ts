import { firstValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { OutOfLimitsError, WriteRejectedError, WritesNotAllowedError, rigidity } from '../../src/index.js';
import { ringAccelerator } from '../helpers.js';

describe('Accelerator facade', () => {
  it('selects devices by device list and by name, keeping the requested order', async () => {
    const { acc } = await ringAccelerator();
    const hcm = acc.family('HCM');
    expect(hcm.size).toBe(4);
    const sel = hcm.devices([[3, 1], [1, 1]]);
    expect(sel.names).toEqual(['HCM3', 'HCM1']);
    expect(sel.channels('setpoint')).toEqual(['SR03-HCM-01:SP', 'SR01-HCM-01:SP']);
    expect(hcm.byName('HCM2').deviceList).toEqual([[2, 1]]);
    expect(hcm.byName(/HCM[34]/).names).toEqual(['HCM3', 'HCM4']);
    expect(() => hcm.devices([[9, 9]])).toThrow(/no device \[9, 9\]/);
    expect(() => hcm.byName('nope')).toThrow(/no device named 'nope'/);
    expect(acc.family('BPMx').enabled().names).toEqual(['BPM1-1', 'BPM1-2', 'BPM2-1']);
    expect(acc.group('COR').map((f) => f.name)).toEqual(['HCM']);
    expect(() => acc.family('XYZ')).toThrow(/unknown family 'XYZ'/);
  });

  it('converts hardware <-> physics through the registry in both directions', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    await hcm.set([1e-3, -2e-3, 0.5e-3, 0], { units: 'physics' });
    // 0.5 mrad/A: 1 mrad is 2 A in hardware units.
    expect(cs.value('SR01-HCM-01:SP')).toBeCloseTo(2, 12);
    expect(cs.value('SR02-HCM-01:SP')).toBeCloseTo(-4, 12);
    const phys = await hcm.get({ units: 'physics' });
    expect(Array.from(phys)).toEqual([1e-3, -2e-3, 0.5e-3, 0].map((v) => expect.closeTo(v, 15)));
    const hw = await hcm.get({ field: 'readback' });
    expect(Array.from(hw)).toEqual([2, -4, 1, 0].map((v) => expect.closeTo(v, 12)));
  });

  it('steps setpoints relative to the present values', async () => {
    const { acc, cs } = await ringAccelerator();
    const qf = acc.family('QF');
    await qf.set([100, 120]);
    await qf.step([1, -2]);
    expect(cs.value('SR-QF-QF1:SP')).toBe(101);
    expect(cs.value('SR-QF-QF2:SP')).toBe(118);
  });

  it('rejects an out-of-limit set before writing anything (never clamps)', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    // HCM3 has device limits [-2, 2]; HCM1 is valid, but nothing of the batch may be written.
    await expect(hcm.set([1, 1, 3, 1])).rejects.toBeInstanceOf(OutOfLimitsError);
    await expect(hcm.set([1, 1, 3, 1])).rejects.toThrow(/HCM3.*value 3 is outside the limits \[-2, 2\]/);
    // In physics units too: 12 A would be 6 mrad.
    await expect(hcm.byName('HCM1').set(6e-3, { units: 'physics' })).rejects.toThrow(/outside the limits \[-10, 10\]/);
    expect(cs.writes).toHaveLength(0);
    expect(cs.value('SR01-HCM-01:SP')).toBe(0);
  });

  it('rejects NaN and Inf before writing anything', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    await expect(hcm.set([1, Number.NaN, 0, 0])).rejects.toBeInstanceOf(WriteRejectedError);
    await expect(hcm.set([Infinity, 0, 0, 0], { units: 'physics' })).rejects.toThrow(/not finite/);
    await expect(hcm.step([0, 0, Number.NaN, 0])).rejects.toThrow(/not finite/);
    await expect(acc.access.write([{ channel: 'SR01-HCM-01:SP', value: Number.NaN }])).rejects.toThrow(/not finite/);
    expect(cs.writes).toHaveLength(0);
  });

  it('refuses writes to an online control system without allowWrites', async () => {
    const { acc, cs } = await ringAccelerator('online');
    expect(acc.online).toBe(true);
    await expect(acc.family('HCM').set(1)).rejects.toBeInstanceOf(WritesNotAllowedError);
    expect(cs.writes).toHaveLength(0);
    // Reads are fine; online mode uses the sim channel names (channelNames: sim).
    expect(Array.from(await acc.family('HCM').get())).toEqual([0, 0, 0, 0]);
    const allowed = await ringAccelerator('online', true);
    await allowed.acc.family('HCM').set(1);
    expect(allowed.cs.writes).toHaveLength(4);
  });

  it('takes and restores snapshots of all setpoints, writing only what changed', async () => {
    const { acc, cs } = await ringAccelerator();
    await acc.family('HCM').set([1, 2, -1, 0.5]);
    await acc.family('QF').set([100, 110]);
    const snap = await acc.snapshot();
    expect(snap.families.HCM.values).toEqual([1, 2, -1, 0.5]);
    expect(snap.families.QF.values).toEqual([100, 110]);
    expect(Object.keys(snap.families).sort()).toEqual(['HCM', 'QF']);
    await acc.family('HCM').set([0, 0, 0, 0]);
    const before = cs.writes.length;
    await acc.restore(snap);
    expect(Array.from(await acc.family('HCM').get({ field: 'setpoint' }))).toEqual([1, 2, -1, 0.5]);
    expect(Array.from(await acc.family('QF').get({ field: 'setpoint' }))).toEqual([100, 110]);
    // QF did not change, so only the four HCM channels were written.
    expect(cs.writes.slice(before).map((w) => w.channel)).toEqual(['SR01-HCM-01:SP', 'SR02-HCM-01:SP', 'SR03-HCM-01:SP', 'SR04-HCM-01:SP']);
  });

  it('shares one monitor per channel among many readback$ subscribers', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    const subs = [1, 2, 3, 4, 5].map(() => hcm.readback$.subscribe());
    const other = acc.family('HCM').watch({ field: 'readback', units: 'physics' });
    const first: Float64Array[] = [];
    const got = firstValueFrom(other.pipe(tap((v) => first.push(v)), take(2), toArray()));
    await vi.waitFor(() => expect(first).toHaveLength(1));
    await hcm.byName('HCM1').set(4);
    const values = await got;
    expect(values[1][0]).toBeCloseTo(2e-3, 15);
    for (const ch of hcm.channels('readback')) expect(cs.monitorSubscriptions.get(ch)).toBe(1);
    subs.forEach((s) => s.unsubscribe());
    await new Promise((r) => setTimeout(r, 150));
    for (const ch of hcm.channels('readback')) expect(cs.monitorSubscriptions.get(ch)).toBe(0);
  });

  it('follows an energy change in the conversion context', async () => {
    const { acc } = await ringAccelerator();
    const b0 = acc.conversionContext().brho;
    expect(b0).toBeCloseTo(rigidity({ energy: 3e9, particle: 'electron' }), 12);
    expect(b0).toBeCloseTo(10.0069, 3);
    acc.setEnergy(1.5e9);
    expect(acc.conversionContext().brho / b0).toBeCloseTo(0.5, 6);
    expect(() => acc.setEnergy(Number.NaN)).toThrow(/positive finite/);
  });
});
