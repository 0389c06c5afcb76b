import { describe, expect, it } from 'vitest';
import { OutOfLimitsError, diffSnapshots, type Snapshot } from '../../src/index.js';
import { ringAccelerator } from '../helpers.js';

describe('machine configurations: diff and checked restore', () => {
  it('diffs two snapshots device by device, exactly', async () => {
    const { acc } = await ringAccelerator();
    await acc.family('HCM').set([1, 2, -1, 0.5]);
    const a = await acc.snapshot();
    expect(a.facilitySha256).toBe(acc.facility.sha256);
    await acc.family('HCM').byName('HCM2').set(2.25);
    await acc.family('QF').byName('QF1').set(5);
    const b = await acc.snapshot();
    const d = diffSnapshots(a, b);
    expect(d.changes).toEqual([
      { family: 'HCM', device: [2, 1], name: 'HCM2', old: 2, new: 2.25, change: 0.25, units: 'A' },
      { family: 'QF', device: [1, 1], name: 'QF1', old: 0, new: 5, change: 5, units: 'A' },
    ]);
    expect(d.unchanged).toBe(4);
    const { QF: _qf, ...noQf } = b.families;
    expect(diffSnapshots(a, { ...b, families: noQf }).onlyInFirst).toEqual(['QF']);
  });

  it('refuses, writing nothing, a value above a limit, an unknown family or device, or another facility file', async () => {
    const { acc, cs } = await ringAccelerator();
    const snap = await acc.snapshot();
    const hcm = snap.families.HCM;
    const withHcm = (values: number[], extra: Partial<typeof hcm> = {}): Snapshot => ({ ...snap, families: { ...snap.families, HCM: { ...hcm, values, ...extra } } });
    // HCM1 changes within limits, HCM3 is above its device limit of 2 A: nothing is written.
    await expect(acc.restore(withHcm([1, 0, 3, 0]), { source: 'c.h5' })).rejects.toBeInstanceOf(OutOfLimitsError);
    await expect(acc.restore(withHcm([1, 0, 3, 0]), { source: 'c.h5' })).rejects.toThrow('c.h5: HCM HCM3 [3, 1]: value 3 is outside the limits [-2, 2]');
    await expect(acc.restore({ ...snap, families: { ...snap.families, HMC: hcm } }, { source: 'c.h5' })).rejects.toThrow(
      "c.h5: family 'HMC' is not in facility 'example-ring' (did you mean 'HCM'?); nothing was written",
    );
    await expect(acc.restore(withHcm([1, 0, 0, 0], { devices: [[1, 1], [2, 1], [3, 1], [9, 1]] }), { source: 'c.h5' })).rejects.toThrow(
      "c.h5: family 'HCM' device [9, 1] 'HCM4' (value 0 A) is not in the facility",
    );
    await expect(acc.restore(withHcm([1, 0, 0, 0], { units: 'mA' }), { source: 'c.h5' })).rejects.toThrow(/setpoints are in 'mA'/);
    const other = { ...withHcm([1, 0, 0, 0]), facilitySha256: 'f'.repeat(64) };
    await expect(acc.restore(other, { source: 'c.h5' })).rejects.toThrow(/different facility file.*--allow-facility-change/);
    expect(cs.writes).toHaveLength(0);
    // With allowFacilityChange the same file restores, writing only HCM1.
    const plan = await acc.restore(other, { source: 'c.h5', allowFacilityChange: true });
    expect(plan.changes.map((c) => c.name)).toEqual(['HCM1']);
    expect(cs.writes.map((w) => [w.channel, w.value])).toEqual([['SR01-HCM-01:SP', 1]]);
  });
});
