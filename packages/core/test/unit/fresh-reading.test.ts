/**
 * Fresh data and settling defaults in core's measurement orchestration, on the
 * in-memory control system of the example ring: readings after a change come from
 * samples stamped after it; stale readings fail naming the family and restore; the
 * families that rely on the element-class defaults are named in a warning.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Family, Measurement, type MeasurementWarning, StaleReadingError, loadFacility, measure, resolveSettling, settlingDefault, SETTLING_DEFAULTS } from '../../src/index.js';
import { RING, ringAccelerator } from '../helpers.js';

const BPMX = ['SR01-BPM-01:X', 'SR01-BPM-02:X', 'SR02-BPM-01:X', 'SR02-BPM-02:X'];

describe('fresh data after a change (memory control system, BPMs published by the test)', () => {
  it('the first reading after a step waits for samples stamped one update period after it; further readings of an average are new updates', async () => {
    const { acc, cs } = await ringAccelerator();
    cs.immediate = false;
    const hcm = acc.family('HCM');
    const bpm = acc.family('BPMx');
    // BPMx publishes every 10 ms the HCM1 set point (as the orbit), stamped now.
    let k = 0;
    const timer = setInterval(() => {
      const v = cs.value('SR01-HCM-01:SP') as number;
      k++;
      for (const c of BPMX) cs.inject(c, v + 1e-6 * k);
    }, 10);
    try {
      const stamps: number[] = [];
      const r = await measure(acc, { name: 'fresh', drives: [hcm], observes: [bpm] }, async (ctx) => {
        await ctx.set(hcm.byName('HCM1'), 2);
        const t = Date.now() / 1000;
        const a = await ctx.average(bpm, 3);
        stamps.push(t, a.timestamps![0]);
        return a;
      });
      // The update period of BPMx is not stated: two new updates after the change, so every sample shows the new set point.
      for (const row of r.samples) expect(Math.round(row[0])).toBe(2);
      expect(new Set(r.samples.map((row) => row[0])).size).toBe(3);
      expect(stamps[1]).toBeGreaterThan(stamps[0]);
    } finally {
      clearInterval(timer);
    }
  });

  it('a reading in another measurement (a tune reader inside a scan) also waits for data fresher than the last change', async () => {
    const { acc, cs } = await ringAccelerator();
    cs.immediate = false;
    const hcm = acc.family('HCM');
    const bpm = acc.family('BPMx');
    // Every 25 ms BPMx publishes the HCM1 set point of the previous publication (one period late).
    let previous = cs.value('SR01-HCM-01:SP') as number;
    const timer = setInterval(() => {
      for (const c of BPMX) cs.inject(c, previous);
      previous = cs.value('SR01-HCM-01:SP') as number;
    }, 25);
    try {
      const inner = await measure(acc, { name: 'outer', drives: [hcm] }, async (ctx) => {
        await ctx.set(hcm.byName('HCM1'), 1.25);
        return measure(acc, { name: 'inner', drives: [] }, (m) => m.average(bpm, 1));
      });
      expect(inner.mean[0]).toBe(1.25);
      expect(acc.access.lastChange).toBeDefined();
    } finally {
      clearInterval(timer);
    }
  });

  it('a BPM family that stops publishing fails the reading with StaleReadingError naming it, and the measurement restores', async () => {
    const { acc, cs } = await ringAccelerator();
    cs.immediate = false;
    const hcm = acc.family('HCM');
    await hcm.set([1, 1, 1, 1]);
    const bpm = acc.family('BPMx');
    const run = measure(acc, { name: 'stale', drives: [hcm], freshTimeout: 150 }, async (ctx) => {
      await ctx.set(hcm, [1.5, 1.5, 1.5, 1.5]);
      return ctx.average(bpm, 1);
    });
    await expect(run).rejects.toBeInstanceOf(StaleReadingError);
    await expect(run).rejects.toMatchObject({ family: 'BPMx', devices: ['BPM1-1', 'BPM1-2', 'BPM2-1', 'BPM2-2'] });
    await expect(run).rejects.toThrow(/^BPMx: no fresh reading within 150 ms/);
    expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual([1, 1, 1, 1]);
  });

  it('a publisher that posts only changes: no wait after no change, and an average counts the repeated sample (noted), never an error', async () => {
    const { acc, cs } = await ringAccelerator();
    cs.immediate = false;
    const bpm = acc.family('BPMx');
    const m = new Measurement(acc, { name: 'repeat', drives: [], freshTimeout: 5000 });
    const r = await m.run((ctx) => ctx.average(bpm, 2));
    expect(Array.from(r.count)).toEqual([2, 2, 2, 2]);
    expect(m.records.some((x) => x.kind === 'note' && /BPMx monitor: no new sample within 500 ms; the average counts repeated samples/.test(x.message ?? ''))).toBe(true);
  });

  it('an immediate control system (the twin, the default memory system) reads at once, without waiting for new stamps', async () => {
    const { acc, cs } = await ringAccelerator();
    const hcm = acc.family('HCM');
    const bpm = acc.family('BPMx');
    // Nothing publishes: the stamps stay where they were, and an immediate system needs none newer.
    const r = await measure(acc, { name: 'immediate', drives: [hcm], freshTimeout: 50 }, async (ctx) => {
      await ctx.set(hcm, [1.5, 1.5, 1.5, 1.5]);
      return ctx.average(bpm, 4);
    });
    expect(Array.from(r.count)).toEqual([4, 4, 4, 4]);
    expect(cs.immediate).toBe(true);
  });
});

describe('settling defaults by element class', () => {
  it('the table gives every class; unknown classes take the cautious "other" values', () => {
    expect(settlingDefault('BPM')).toEqual({ settleTime: 0, updatePeriod: 0.1 });
    expect(settlingDefault('corrector')).toBe(SETTLING_DEFAULTS.corrector);
    expect(settlingDefault('Wiggler')).toBe(SETTLING_DEFAULTS.other);
  });

  it('a family states what it states; the rest comes from its class, and is listed', async () => {
    const { acc } = await ringAccelerator();
    const cfg = acc.facility.config.families;
    // HCM states its settle time and tolerance; its readback states no update period.
    expect(resolveSettling(cfg.HCM)).toEqual({ settleTime: 0.01, tolerance: 0.001, updatePeriod: 0.1, defaulted: ['updatePeriod'] });
    // QF states nothing: settle time and tolerance (1e-4 of its widest limit span) from the Quadrupole class.
    const qf = resolveSettling(cfg.QF);
    expect(qf.defaulted).toContain('settleTime');
    expect(qf.settleTime).toBe(0.5);
    expect(acc.family('BPMx').settling).toEqual({ settleTime: 0, tolerance: undefined, updatePeriod: 0.1, defaulted: ['updatePeriod'] });
  });

  it('a measurement names, at its start, the families it drives or reads that rely on defaults (what each relies on)', async () => {
    const { acc } = await ringAccelerator();
    const seen: MeasurementWarning[] = [];
    const hcm = acc.family('HCM');
    const qf: Family = acc.family('QF');
    const bpm = acc.family('BPMx');
    await measure(acc, { name: 'orm', drives: [hcm, qf], observes: [bpm], onWarning: (w) => seen.push(w) }, async (ctx) => {
      expect(seen).toHaveLength(1);
      await ctx.set(qf, [100, 100]);
      await ctx.average(bpm, 1);
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].families).toEqual(['QF', 'BPMx']);
    expect(seen[0].message).toMatch(/^orm: settling not stated in the facility, element-class defaults used for QF \(settle time 0\.5 s(, readback tolerance [\d.e-]+)?\), BPMx \(update period 0\.1 s\); state settleTime, tolerance and updatePeriod in the facility file$/);
  });
});

describe('settling in the facility schema', () => {
  it('updatePeriod must be a number of seconds >= 0: a wrong one is an error with file, line, column and path', () => {
    const text = readFileSync(RING, 'utf8').replace('        units: { hardware: m, physics: m }\n', '        units: { hardware: m, physics: m }\n        updatePeriod: -0.1\n');
    const file = join(mkdtempSync(join(tmpdir(), 'mlayer-settling-')), 'ring.yaml');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('updatePeriod: -0.1')) + 1;
    expect(() => loadFacility(file)).toThrow(ConfigError);
    expect(() => loadFacility(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: families\\.BPMx\\.fields\\.monitor\\.updatePeriod: .*\\(got -0\\.1\\)`));
    // A misspelt key stays an error (strict objects).
    writeFileSync(file, text.replace('updatePeriod: -0.1', 'updatePeriode: 0.1'));
    expect(() => loadFacility(file)).toThrow(/updatePeriode/);
  });
});
