import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mlayer/core';
import { HysteresisConversion, RigidityConversion, findStandardisable } from '@mlayer/calibration';
import { beamContext, create, grid, makeRegistry, relErr } from '../helpers.js';

const BRHO_3GEV = 10.006922710777507; // sqrt(E² − m²)/c for 3 GeV electrons (python)
const ctx = beamContext(3e9);

/**
 * Measured-like branches of a quadrupole (∫G dl in T vs A): the up branch lies
 * below the down branch, and they meet at 0 A and 200 A (closed major loop).
 */
const hardware = [0, 50, 100, 150, 200];
const up = [0.0, 0.98, 1.96, 2.85, 3.4];
const down = [0.0, 1.02, 2.02, 2.9, 3.4];
const hystSpec = {
  type: 'hysteresis',
  hardwareUnits: 'A',
  physicsUnits: 'T',
  up: { type: 'table', interpolation: 'linear', hardware, physics: up, hardwareUnits: 'A', physicsUnits: 'T' },
  down: { type: 'table', interpolation: 'linear', hardware, physics: down, hardwareUnits: 'A', physicsUnits: 'T' },
  standardisation: { min: 0, max: 200, cycles: 3 },
  threshold: 5,
};
const quadSpec = { type: 'rigidity', order: 1, strength: 'KL', curve: hystSpec };

function quad(): RigidityConversion {
  return create(makeRegistry(), 'QH1', quadSpec) as RigidityConversion;
}

describe('hysteresis', () => {
  it('the same current reached from below and from above gives the up- and down-branch strengths', async () => {
    const q = quad();
    const std = findStandardisable(q)!;
    expect(std).toBeInstanceOf(HysteresisConversion);
    const written: number[] = [];
    await std.standardise((h) => {
      written.push(h);
    });
    expect(written).toEqual([200, 0, 200, 0, 200, 0]);
    // from below (on the up branch after standardisation ending at min)
    q.commit!(100);
    expect(relErr(q.toPhysics(100, ctx), 1.96 / BRHO_3GEV)).toBeLessThan(1e-15);
    // up to max, then back down to 100 A: the down branch
    q.commit!(200);
    q.commit!(100);
    expect(relErr(q.toPhysics(100, ctx), 2.02 / BRHO_3GEV)).toBeLessThan(1e-15);
    // and the inverse follows the branch the magnet is on
    expect(relErr(q.toHardware(1.02 / BRHO_3GEV, ctx), 50)).toBeLessThan(1e-12);
  });

  it('after standardisation the state is known', async () => {
    const q = quad();
    const std = findStandardisable(q)!;
    expect(std.hysteresisState()).toMatchObject({ known: false, standardised: false, direction: undefined });
    const state = await std.standardise(() => undefined);
    expect(state).toEqual({ known: true, standardised: true, direction: 'down', lastExtreme: 200, physicsAtExtreme: 3.4, hardware: 0 });
    // ending at max instead: on the down branch
    const h2 = create(makeRegistry(), 'QH2', { ...hystSpec, standardisation: { min: 0, max: 200, cycles: 2, endAt: 'max' } }) as HysteresisConversion;
    expect(h2.standardisationSteps()).toEqual([0, 200, 0, 200]);
    await h2.standardise(() => undefined);
    h2.commit(150);
    expect(h2.toPhysics(150)).toBe(2.9);
  });

  it('before standardisation: the mean of the branches, and large changes need a standardisation', () => {
    const q = quad();
    expect(relErr(q.toPhysics(100, ctx), 1.99 / BRHO_3GEV)).toBeLessThan(1e-15);
    expect(q.checkChange!(100, 104)).toBeUndefined();
    const reason = q.checkChange!(100, 120);
    expect(reason).toBe(
      "unit conversion 'QH1': the magnet is not standardised and the change 100 → 120 A (|Δ| = 20 A) exceeds the threshold 5 A; " +
        'standardise it first (3 cycle(s) between 0 and 200 A)',
    );
  });

  it('reaching max from an unknown state puts the magnet on the major loop', () => {
    const h = create(makeRegistry(), 'H', hystSpec) as HysteresisConversion;
    h.commit(60);
    expect(h.hysteresisState().known).toBe(false);
    h.commit(200);
    h.commit(150);
    expect(h.toPhysics(150)).toBe(2.9);
    expect(h.hysteresisState()).toMatchObject({ known: true, standardised: false, direction: 'down', lastExtreme: 200 });
  });

  it('minor loops: continuous at the turning point, back on the major loop at the far end', async () => {
    const h = create(makeRegistry(), 'H', hystSpec) as HysteresisConversion;
    await h.standardise(() => undefined);
    h.commit(120);
    const atTurn = h.toPhysics(120); // up branch: 1.96 + (2.85 − 1.96)·20/50
    expect(relErr(atTurn, 1.96 + 0.89 * 0.4)).toBeLessThan(1e-15);
    // a move down from 120 A starts at the turning point: continuous
    expect(relErr(h.toPhysics(120 - 1e-9), atTurn)).toBeLessThan(1e-10);
    h.commit(80); // reversal at 120 A; the path below it lies between the branches
    const b = h.branches(80);
    const v = h.toPhysics(80);
    expect(v).toBeGreaterThan(b.up);
    expect(v).toBeLessThan(b.down);
    // w = (80 − 0)/(120 − 0): B = down(80) + (B_turn − down(120))·w, down(80) = 1.02 + 1.0·30/50, down(120) = 2.02 + 0.88·20/50
    const down80 = 1.02 + 30 / 50;
    const down120 = 2.02 + (0.88 * 20) / 50;
    expect(relErr(v, down80 + (atTurn - down120) * (80 / 120))).toBeLessThan(1e-14);
    // at min the minor loop ends on the major loop
    expect(h.toPhysics(0)).toBe(0);
  });

  it('round trip hardware → physics → hardware within 1e-12 on every kind of path', async () => {
    const q = quad();
    const std = findStandardisable(q)!;
    const check = (from: number) => {
      let worst = 0;
      for (const h of grid(0, 200, 401)) {
        if (h === 0) continue;
        // the conversion answers for a move from the committed value to h
        const p = q.toPhysics(h, ctx);
        worst = Math.max(worst, relErr(q.toHardware(p, ctx), h));
      }
      expect(worst, `from ${from}`).toBeLessThan(1e-12);
    };
    check(NaN); // unknown state: mean curve
    await std.standardise(() => undefined);
    check(0);
    q.commit!(130);
    check(130);
    q.commit!(70); // minor loop
    check(70);
    q.commit!(200);
    q.commit!(110);
    check(110);
  });

  it('the lens model: closed loop, branches ∓ halfWidth·4u(1−u)', async () => {
    const h = create(makeRegistry(), 'L', {
      type: 'hysteresis',
      hardwareUnits: 'A',
      physicsUnits: 'T·m',
      model: { type: 'lens', curve: { type: 'linear', gain: 0.01, hardwareUnits: 'A', physicsUnits: 'T·m' }, halfWidth: 0.02 },
      standardisation: { min: -100, max: 100 },
      threshold: 1,
    }) as HysteresisConversion;
    // at 0 A, u = 1/2: up = −0.02, down = +0.02
    expect(h.branches(0).up).toBeCloseTo(-0.02, 16);
    expect(h.branches(0).down).toBeCloseTo(0.02, 16);
    await h.standardise(() => undefined);
    h.commit(0);
    expect(h.toPhysics(0)).toBeCloseTo(-0.02, 16);
    h.commit(100);
    h.commit(0);
    expect(h.toPhysics(0)).toBeCloseTo(0.02, 16);
  });

  it('bad definitions are rejected with the conversion and the curve', () => {
    const crossing = { ...hystSpec, down: { ...hystSpec.down, physics: [0, 1.0, 0.9, 2.9, 3.4] } };
    expect(() => create(makeRegistry(), 'QX', crossing)).toThrow(/unitConversions\.QX\.down\.physics: unit conversion 'QX', curve table at unitConversions\.QX\.down: non-monotonic table/);
    const short = { ...hystSpec, standardisation: { min: 0, max: 250 } };
    expect(() => create(makeRegistry(), 'QX', short)).toThrow(
      /unitConversions\.QX\.up: unit conversion 'QX': curve table at unitConversions\.QX\.up is defined on \[0, 200\], which does not cover the standardisation range \[0, 250\]/,
    );
    const units = { ...hystSpec, down: { ...hystSpec.down, physicsUnits: 'T·m' } };
    expect(() => create(makeRegistry(), 'QX', units)).toThrow(ConfigError);
    expect(() => create(makeRegistry(), 'QX', units)).toThrow(/curve table at unitConversions\.QX\.down gives 'T·m' but the hysteresis conversion expects 'T'/);
    expect(() => create(makeRegistry(), 'QX', { ...quadSpec, order: 0, strength: 'kick' })).toThrow(
      /units do not compose: curve hysteresis model at unitConversions\.QX\.curve gives 'T' but the rigidity step \(order 0, integrated field, kick\) expects 'T·m'/,
    );
  });

  it('state lives in each conversion instance (one per device) and can be shared/restored', async () => {
    const a = create(makeRegistry(), 'Q', hystSpec) as HysteresisConversion;
    const b = create(makeRegistry(), 'Q', hystSpec) as HysteresisConversion;
    await a.standardise(() => undefined);
    a.commit(200);
    a.commit(100);
    expect(b.hysteresisState().known).toBe(false);
    b.restoreState(a.hysteresisState());
    expect(b.toPhysics(100)).toBe(a.toPhysics(100));
    expect(b.toPhysics(100)).toBe(2.02);
  });

  it('standardisation can be aborted', async () => {
    const h = create(makeRegistry(), 'Q', hystSpec) as HysteresisConversion;
    const ac = new AbortController();
    const steps: number[] = [];
    await expect(
      h.standardise(
        (x) => {
          steps.push(x);
          if (steps.length === 2) ac.abort();
        },
        { signal: ac.signal },
      ),
    ).rejects.toThrow(/standardisation of 'Q' aborted/);
    expect(steps).toEqual([200, 0]);
    expect(h.hysteresisState().standardised).toBe(false);
  });
});
