import { describe, expect, it } from 'vitest';
import type { Family } from '@mlayer/core';
import { CorrectorLimitError, TuningError, planStep } from '../../src/index.js';

/** A three-corrector family: hardware A, physics rad = 2 × A; limits ±1 A on the first two, none on the third. */
function correctors(): Family {
  const fam = {
    name: 'HCM',
    names: ['H1', 'H2', 'H3'],
    size: 3,
    deviceList: [
      [1, 1],
      [1, 2],
      [1, 3],
    ],
    limits: [[-1, 1], [-1, 1], undefined],
    toPhysics: (hw: ArrayLike<number>) => Float64Array.from(hw, (x) => 2 * x),
    toHardware: (p: ArrayLike<number>) => Float64Array.from(p, (x) => x / 2),
    units: () => ({ hardware: 'A', physics: 'rad' }),
  };
  return fam as unknown as Family;
}

describe('limit planning (planStep)', () => {
  it('plans the changed devices only, in hardware units, converting a physics step', () => {
    const family = correctors();
    const plan = planStep([{ family, current: Float64Array.of(0.1, 0.2, 0.3), deltas: Float64Array.of(0.4, 0, -1), units: 'physics' }], 'stop');
    expect(plan.scale).toBe(1);
    expect(plan.limitedBy).toEqual([]);
    expect(plan.writes).toHaveLength(1);
    const w = plan.writes[0];
    expect(w.names).toEqual(['H1', 'H3']);
    expect(w.devices).toEqual([
      [1, 1],
      [1, 3],
    ]);
    expect(w.unit).toBe('A');
    expect(Array.from(w.current)).toEqual([0.1, 0.3]);
    // 0.4 rad and −1 rad are 0.2 A and −0.5 A.
    expect(w.target[0]).toBeCloseTo(0.3, 15);
    expect(w.target[1]).toBeCloseTo(-0.2, 15);
  });

  it("'scale' shortens the whole step to the first limit (direction kept, never past a limit); 'stop' and 'exclude' refuse it", () => {
    const family = correctors();
    const request = { family, current: Float64Array.of(0, 0.5, 0), deltas: Float64Array.of(0.6, 1, 10), units: 'hardware' as const };
    const plan = planStep([request], 'scale');
    // H2 reaches its limit 1 A at half the step.
    expect(plan.scale).toBeCloseTo(0.5, 12);
    expect(plan.limitedBy.map((v) => v.name)).toEqual(['H2']);
    const t = plan.writes[0].target;
    expect(t[1]).toBeLessThanOrEqual(1);
    expect(t[0] / 0.6).toBeCloseTo(t[2] / 10, 12);
    for (const policy of ['stop', 'exclude'] as const) {
      expect(() => planStep([request], policy)).toThrow(CorrectorLimitError);
      expect(() => planStep([request], policy)).toThrow(/would pass its limits \(HCM H2: 0\.5 -> 1\.5 outside \[-1, 1\]\); nothing was written/);
    }
    try {
      planStep([request], 'stop');
    } catch (e) {
      expect((e as CorrectorLimitError).violations).toEqual([{ family: 'HCM', name: 'H2', current: 0.5, target: 1.5, limits: [-1, 1] }]);
    }
  });

  it('a corrector outside its limits already, a non-finite change or a wrong length stops before anything is planned', () => {
    const family = correctors();
    expect(() => planStep([{ family, current: Float64Array.of(1.5, 0, 0), deltas: Float64Array.of(0.1, 0.1, 0), units: 'hardware' }], 'scale')).toThrow(/outside their limits already; nothing was written/);
    expect(() => planStep([{ family, current: Float64Array.of(0, 0, 0), deltas: Float64Array.of(0, Number.NaN, 0), units: 'hardware' }], 'scale')).toThrow(TuningError);
    expect(() => planStep([{ family, current: Float64Array.of(0, 0, 0), deltas: Float64Array.of(0, Number.NaN, 0), units: 'hardware' }], 'scale')).toThrow(/HCM H2: the computed change is NaN; nothing was written/);
    expect(() => planStep([{ family, current: Float64Array.of(0, 0), deltas: Float64Array.of(0, 0), units: 'hardware' }], 'scale')).toThrow(/HCM: 2 changes for 3 devices/);
  });
});
