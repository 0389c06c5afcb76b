/**
 * correctOptics on a twin: the setpoint changes undo the fitted ΔK (physics
 * −ΔK per device of a fitted element, in A through the conversion), a fraction,
 * a dry run that writes nothing, limits that stop before any write or shorten
 * the step, and a failed write that restores what was changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CorrectorLimitError } from '@mlayer/tuning-common';
import { correctOptics } from '../../src/index.js';
import { QUAD_GAIN, type QuadTwin, quadTwin } from '../twin-fixture.js';

let fx: QuadTwin | undefined;
afterEach(async () => {
  await fx?.acc.close();
  fx = undefined;
});

/** The fit: ΔK = +0.02 m⁻² on QF's first two elements (one group), −0.01 on QD's first (another); one group the machine has no device for. */
const fitOf = (q: QuadTwin['quads']) => ({
  quadrupoles: [
    { name: 'QFpair', elements: [q.QF[0], q.QF[1]], delta: 0.02 },
    { name: 'QD1', elements: [q.QD[0]], delta: -0.01 },
    { name: 'nowhere', elements: [2], delta: 0.5 },
  ],
  skewQuadrupoles: [],
});

describe('correctOptics', () => {
  it('writes −fraction·ΔK to the devices of the fitted elements, and a dry run writes nothing', async () => {
    fx = await quadTwin(1000);
    const { acc, quads } = fx;
    const qf0 = await acc.family('QF').get({ field: 'setpoint' });
    const qd0 = await acc.family('QD').get({ field: 'setpoint' });
    const dry = await correctOptics(acc, fitOf(quads), { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(fx.writes).toHaveLength(0);
    expect(dry.uncorrected).toEqual(['nowhere']);
    expect(dry.changes.map((c) => [c.family, c.group, c.physics])).toEqual([['QF', 'QFpair', -0.02], ['QF', 'QFpair', -0.02], ['QD', 'QD1', 0.01]]);
    const res = await correctOptics(acc, fitOf(quads), { fraction: 0.5 });
    expect(res.scale).toBe(1);
    const qf1 = await acc.family('QF').get({ field: 'setpoint' });
    const qd1 = await acc.family('QD').get({ field: 'setpoint' });
    expect(qf1[0] - qf0[0]).toBeCloseTo(-0.01 / QUAD_GAIN, 9);
    expect(qf1[1] - qf0[1]).toBeCloseTo(-0.01 / QUAD_GAIN, 9);
    expect(qd1[0] - qd0[0]).toBeCloseTo(0.005 / QUAD_GAIN, 9);
    expect(Array.from(qf1.slice(2))).toEqual(Array.from(qf0.slice(2)));
    expect(Array.from(qd1.slice(1))).toEqual(Array.from(qd0.slice(1)));
    // The twin's model follows: K of the first QF element moved by −0.01 m⁻².
    const k = fx.twin.machineModel.getParameter({ element: quads.QF[0], field: 'PolynomB', index: 1 });
    expect(k - qf0[0] * QUAD_GAIN).toBeCloseTo(-0.01, 9);
  });

  it('stops before any write at a limit, or shortens the whole step with onLimit scale', async () => {
    fx = await quadTwin(1000);
    const { acc, quads } = fx;
    const qf0 = await acc.family('QF').get({ field: 'setpoint' });
    // A change that takes the first QF past +-1000 A.
    const big = { quadrupoles: [{ name: 'QF0', elements: [quads.QF[0]], delta: -(1000 - qf0[0]) * QUAD_GAIN * 2 }], skewQuadrupoles: [] };
    await expect(correctOptics(acc, big)).rejects.toBeInstanceOf(CorrectorLimitError);
    expect(fx.writes).toHaveLength(0);
    const res = await correctOptics(acc, big, { onLimit: 'scale' });
    expect(res.scale).toBeGreaterThan(0.45);
    expect(res.scale).toBeLessThan(0.55);
    const qf1 = await acc.family('QF').get({ field: 'setpoint' });
    expect(qf1[0]).toBeLessThanOrEqual(1000);
    expect(qf1[0]).toBeGreaterThan(999);
  });

  it('restores what it changed when a write fails', async () => {
    fx = await quadTwin(1000);
    const { acc, quads, twin } = fx;
    const qf0 = await acc.family('QF').get({ field: 'setpoint' });
    const write = twin.write;
    twin.write = async (w, o) => {
      if (w.some((x) => x.channel.startsWith('QD:'))) throw new Error('QD power supply tripped');
      return write(w, o);
    };
    await expect(correctOptics(acc, fitOf(quads))).rejects.toThrow(/QD power supply tripped/);
    const qf1 = await acc.family('QF').get({ field: 'setpoint' });
    expect(Array.from(qf1)).toEqual(Array.from(qf0));
    // QF was written (the correction), then written back (the restore).
    expect(fx.writes.filter((w) => w.channel.startsWith('QF:')).length).toBe(4);
  });
});
