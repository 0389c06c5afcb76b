/**
 * Sanity checks of the response measurements (ThomX twin): kicks too weak for the
 * BPM noise are refused before anything moves; a column whose + and − steps
 * disagree is measured again, then flagged; the file records every check; families
 * that rely on default settling are named.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WeakStepError, type Accelerator } from '@mlayer/core';
import { readMeasurement } from '@mlayer/data';
import { loadOrm, measureDispersion, measureOrm, saveOrm } from '../../src/index.js';
import { thomxTwin } from '../fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function twin(bpmNoise = 1e-6) {
  const t = await thomxTwin({ settings: { bpmNoise, seed: 7 } });
  open.push(t.acc);
  return t;
}

describe('response measurement checks (ThomX twin, 1 µm BPM noise)', () => {
  it('a kick of 1e-5 A (meant as 1e-5 rad) is refused with its expected SNR before anything is written; 1e-5 rad passes', async () => {
    const { acc, writes } = await twin();
    const run = measureOrm(acc, { kick: 1e-5, units: 'hardware', planes: 'x', observe: 'x' });
    await expect(run).rejects.toBeInstanceOf(WeakStepError);
    await expect(run).rejects.toThrow(/^HCM E\d+: the step is refused, its expected signal-to-noise ratio is 0\.0\d+ \(< 3\): a step of ±0\.00001 A should change the readings by .* m rms \(model\), against a noise of .* m .*; nothing was written$/);
    const err = (await run.catch((e: unknown) => e)) as WeakStepError;
    expect(err.snr).toBeLessThan(0.1);
    expect(writes).toEqual([]);
    // The same number in physics units (1e-5 rad = 0.1 A) stands far out of the noise.
    const orm = await measureOrm(acc, { kick: 1e-5, units: 'physics', planes: 'x', observe: 'x' });
    expect(orm.checks).toMatchObject({ columns: 24, retried: 0, flagged: 0 });
    // (SNR about 4 per column here: the model comparison passes, with the noise in it.)
    for (const c of orm.checks!.checks) {
      expect(c.correlation!).toBeGreaterThan(0.9);
      expect(Math.abs(c.ratio! - 1)).toBeLessThan(0.2);
    }
  });

  it('a corrector whose + step does not take effect is measured again twice, then flagged; the file records every check; default settling is named', async () => {
    const { acc, twin: tw } = await twin();
    const hcm = acc.family('HCM');
    const stuck = hcm.channels('setpoint')[3];
    // The power supply of the 4th corrector ignores positive set points (it stays where it was).
    const write = tw.write.bind(tw);
    tw.write = async (w, o) => write(w.filter((x) => !(x.channel === stuck && (x.value as number) > 0)), o);
    const warnings: string[] = [];
    const orm = await measureOrm(acc, { kick: 0.5, planes: 'x', observe: 'x', checks: { retries: 2 }, onWarning: (m) => warnings.push(m) });
    const name = `HCM ${hcm.names[3]}`;
    const mine = orm.checks!.checks.filter((c) => c.column === name);
    expect(mine.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(mine.every((c) => !c.passed && /\+ and − steps disagree/.test(c.reason!))).toBe(true);
    // Half of the response is missing: the ratio to the model says so.
    expect(mine[0].ratio!).toBeCloseTo(0.5, 1);
    expect(orm.checks).toMatchObject({ columns: 24, retried: 1, flagged: 1, flaggedColumns: [name] });
    expect(orm.checks!.checks.filter((c) => c.column !== name).every((c) => c.passed && c.attempt === 1)).toBe(true);
    // The ThomX test facility states no settle time, tolerance or update period.
    expect(warnings[0]).toMatch(/settling not stated in the facility, element-class defaults used for HCM \(settle time 0\.1 s, readback tolerance 0\.01\), BPMx \(update period 0\.1 s\)/);
    expect(orm.warnings).toEqual(warnings);
    const file = await saveOrm(join(mkdtempSync(join(tmpdir(), 'mlayer-checks-')), 'orm.h5'), orm, acc, { author: 'Checks Test <checks@example.org>' });
    const c = await readMeasurement(file);
    const passed = c.dataset('checks/passed');
    expect(Array.from(passed.value as Int32Array).filter((v) => v === 0)).toHaveLength(3);
    expect(passed.attributes).toMatchObject({ retried: 1, flagged: 1, flaggedColumns: [name] });
    expect((await loadOrm(file)).checks).toEqual(orm.checks);
  });

  it('a slow drift of the orbit over the measurement (2 µm per reading, 0.1 mm in all) is not taken for asymmetry', async () => {
    const { acc, twin: tw } = await twin();
    const read = tw.read.bind(tw);
    let reads = 0;
    tw.read = async (channels, o) => {
      const s = await read(channels, o);
      if (!channels[0].startsWith('BPM:')) return s;
      reads++;
      return s.map((x) => ({ ...x, value: (x.value as number) + 2e-6 * reads }));
    };
    const orm = await measureOrm(acc, { kick: 0.5, planes: 'x', observe: 'x' });
    expect(reads).toBeGreaterThan(45);
    expect(orm.checks).toMatchObject({ columns: 24, retried: 0, flagged: 0 });
  });

  it('dispersion: the RF step is checked against the model and the noise', async () => {
    const { acc, writes } = await twin();
    // 1e-6 Hz instead of 10 Hz: refused before the RF moves.
    await expect(measureDispersion(acc, { step: 1e-6, planes: 'x' })).rejects.toThrow(/^RF RF: the step is refused, its expected signal-to-noise ratio is .*; nothing was written$/);
    expect(writes).toEqual([]);
    const d = await measureDispersion(acc, { step: 500, planes: 'x' });
    expect(d.checks).toMatchObject({ columns: 1, retried: 0, flagged: 0 });
    expect(d.checks!.checks[0].correlation!).toBeGreaterThan(0.99);
  });
});
