import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '@mlayer/core';
import { measureBba, measureBbaParallel, measureBbaRounds, planBba, planParallel, type BbaPlan } from '@mlayer/bba';
import { bbaTwin, setpoints, type BbaTwin } from '../twin-fixture.js';

const DRIVEN = ['QUAD', 'HCM', 'VCM'];

/**
 * Runs a measurement aborted just after progress step `at`: the machine is away from where it started when the abort
 * comes (checked), the measurement rejects with AbortedError, and every driven setpoint is back exactly (hardware values).
 */
async function abortedAt(t: BbaTwin, at: number, run: (o: { signal: AbortSignal; onProgress: (p: { step: number }) => void }) => Promise<unknown>): Promise<void> {
  const before = await setpoints(t.acc, DRIVEN);
  const controller = new AbortController();
  let moved = false;
  const onProgress = (p: { step: number }) => {
    if (p.step !== at) return;
    void setpoints(t.acc, DRIVEN).then((now) => (moved = now.some((v, i) => v !== before[i])));
    setTimeout(() => controller.abort(), 0);
  };
  await expect(run({ signal: controller.signal, onProgress })).rejects.toThrow(AbortedError);
  expect(moved).toBe(true);
  expect(await setpoints(t.acc, DRIVEN)).toEqual(before);
}

describe('serial BBA aborted', () => {
  let t: BbaTwin;
  let plan: BbaPlan;
  beforeAll(async () => {
    t = await bbaTwin(3, 1e-6);
    // 6 BPMs, both planes: 12 pairs of 5 steps.
    plan = planBba(t.acc, { bpms: ['E3', 'E35', 'E54', 'E80', 'E112', 'E131'] });
  });
  afterAll(async () => t?.acc.close());

  // Positions over the 60 steps, the first and the one before the last included (after the last step the body only
  // restores its own pair, which an abort may not reach before the body completes).
  for (const at of [1, 23, 38, 59]) {
    it(`at step ${at} of 60 restores every quadrupole and corrector setpoint exactly (hardware values)`, async () => {
      await abortedAt(t, at, (o) => measureBba(t.acc, plan, { ...o, precycle: at === 23 }));
    });
  }

  // Rounds: each plane's measurement restores itself; the centrings between them are set back by the rounds.
  it('rounds, aborted in the second plane (after the first centring was applied): every quadrupole and corrector setpoint back exactly', async () => {
    const before = await setpoints(t.acc, DRIVEN);
    const controller = new AbortController();
    let events = 0;
    let centred = false;
    const run = measureBbaRounds(t.acc, { bpms: ['E3', 'E35', 'E54'] }, {
      signal: controller.signal,
      beforePlane: async (_round, plane) => {
        if (plane === 'x') centred = (await setpoints(t.acc, DRIVEN)).some((v, i) => v !== before[i]);
      },
      // Progress events restart with each measurement: the 2nd plane's 5th is the 3 pairs x 5 steps + 5th overall.
      onProgress: () => {
        if (++events === 20) setTimeout(() => controller.abort(), 0);
      },
    });
    await expect(run).rejects.toThrow(AbortedError);
    expect(centred).toBe(true);
    expect(await setpoints(t.acc, DRIVEN)).toEqual(before);
  });

  // Parallel: the groups' bumps move every corrector of the plane's family; 12 pairs in groups of up to 4, two passes
  // sharing the plan's 5 steps (2 coarse, then the centring through its centres, then 3 fine): in the coarse pass, and
  // in the fine pass (the centring then restored too).
  for (const [where, at] of [['coarse pass', (_g: number) => 2], ['coarse pass', (_g: number) => 5], ['fine pass', (g: number) => 2 * g + 2], ['fine pass', (g: number) => 5 * g - 1]] as const) {
    it(`parallel, in the ${where}: restores every quadrupole and every corrector of the bumps exactly (hardware values)`, async () => {
      const pp = planParallel(t.acc, plan, { k: 4 });
      expect(pp.passSteps).toEqual([2, 3]);
      await abortedAt(t, at(pp.groups.length), (o) => measureBbaParallel(t.acc, pp, o));
    });
  }
});
