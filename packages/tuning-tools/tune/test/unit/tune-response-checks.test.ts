/**
 * Checks of the measured tune response (core's pair response): columns agree with the
 * model and their + and − steps agree; a family whose + step does not take effect is
 * measured again and flagged; a step too small for the tune noise is refused before
 * anything is written. ThomX twin with tune monitors (noise 1e-5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WeakStepError, type Accelerator, type ChannelWrite } from '@mlayer/core';
import { measureTuneResponse } from '../../src/index.js';
import { twinAccelerator } from '../twin-facility.js';

const opened: Accelerator[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

async function thomx() {
  const t = await twinAccelerator({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, settings: { tuneNoise: 1e-5, seed: 4 } });
  opened.push(t.acc);
  const writes: ChannelWrite[] = [];
  const write = t.twin.write.bind(t.twin);
  t.twin.write = async (w, o) => {
    writes.push(...w);
    return write(w, o);
  };
  return { ...t, writes };
}

describe('tune response checks (ThomX twin, tune monitors)', () => {
  it('every column passes at the first measurement, close to the model', async () => {
    const { acc } = await thomx();
    const r = await measureTuneResponse(acc, ['Q_QP1', 'Q_QP2'], { measure: { samples: 10 } });
    expect(r.checks).toMatchObject({ columns: 2, retried: 0, flagged: 0 });
    for (const c of r.checks!.checks) {
      expect(c.correlation!).toBeGreaterThan(0.99);
      expect(Math.abs(c.ratio! - 1)).toBeLessThan(0.05);
    }
  });

  it('a family whose + step does not take effect is measured again twice, then flagged', async () => {
    const { acc, twin } = await thomx();
    const fam = acc.family('Q_QP2');
    const channels = new Set(fam.channels('setpoint'));
    const before = await fam.get({ field: 'setpoint' });
    const start = new Map(fam.channels('setpoint').map((c, i) => [c, before[i]] as const));
    const write = twin.write.bind(twin);
    // Its supplies ignore any set point above where they started.
    twin.write = async (w, o) => write(w.filter((x) => !(channels.has(x.channel) && (x.value as number) > start.get(x.channel)!)), o);
    const r = await measureTuneResponse(acc, ['Q_QP1', 'Q_QP2'], { measure: { samples: 10 }, checks: { retries: 2 } });
    expect(r.checks!.checks.filter((c) => c.column === 'Q_QP2').map((c) => [c.attempt, c.passed])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(r.checks).toMatchObject({ columns: 2, retried: 1, flagged: 1, flaggedColumns: ['Q_QP2'] });
    expect(Array.from(await fam.get({ field: 'setpoint' }))).toEqual(Array.from(before));
  });

  it('a step too small for the tune noise is refused with its SNR before anything is written', async () => {
    const { acc, writes } = await thomx();
    const run = measureTuneResponse(acc, ['Q_QP1', 'Q_QP2'], { steps: [1e-7, 1e-7], measure: { samples: 10 } });
    await expect(run).rejects.toBeInstanceOf(WeakStepError);
    await expect(run).rejects.toThrow(/^Q_QP1: the step is refused, its expected signal-to-noise ratio is .* \(< 3\): a step of ±1e-7 .* should change the tune by .* \(model\), against a reading noise of .*; nothing was written$/);
    expect(writes).toEqual([]);
  });
});
