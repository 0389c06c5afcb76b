import { describe, expect, it } from 'vitest';
import { computeCorrection, type OrbitResponseMatrix } from '../../src/index.js';
import { thomxOrm } from '../fixture.js';

describe('computeCorrection (pure)', () => {
  const R: number[][] = thomxOrm()['Rxx_h1e-7'];
  const axis = (family: string, unit: string) => ({ family, unit, devices: R.map((_r, i) => [1, i + 1] as const), names: R.map((_r, i) => `${family}${i}`) });
  const orm: OrbitResponseMatrix = {
    units: 'physics',
    source: 'model',
    bpms: { x: axis('BPMx', 'm') },
    correctors: { x: { ...axis('HCM', 'rad'), kicks: new Float64Array(24) } },
    Rxx: R.map((r) => Float64Array.from(r)),
  };
  const theta = Float64Array.from({ length: 24 }, (_v, j) => (j % 2 === 0 ? 1e-5 * Math.sin(j) : 0));
  const orbit = orm.Rxx!.map((row) => row.reduce((s, v, j) => s + v * theta[j], 0));

  it('removes an orbit made by the correctors; golden orbit and offsets shift the target', () => {
    const c = computeCorrection({ orm, orbit: { x: orbit }, method: { type: 'svd', singularValues: 12 } });
    expect(c.rmsPredicted.x!).toBeLessThan(1e-12 * c.rmsBefore.x!);
    // golden = orbit: nothing to do.
    const g = computeCorrection({ orm, orbit: { x: orbit }, golden: { x: orbit } });
    expect(Math.max(...Array.from(g.deltas.x!, Math.abs))).toBe(0);
    // offsets: the error is reading − offset − golden.
    const o = computeCorrection({ orm, orbit: { x: orbit.map((v) => v + 1e-4) }, offsets: { x: new Array(24).fill(1e-4) }, method: { type: 'svd', singularValues: 12 } });
    o.deltas.x!.forEach((v, j) => expect(v).toBeCloseTo(c.deltas.x![j], 14));
  });

  it('BPM weight 0 and NaN readings leave a BPM out; corrector weight 0 leaves a corrector unused', () => {
    const bad = orbit.slice();
    bad[3] = Number.NaN;
    const w = new Array(24).fill(1);
    w[7] = 0;
    const cw = new Array(24).fill(1);
    cw[2] = 0;
    const c = computeCorrection({ orm, orbit: { x: bad }, bpmWeights: { x: w }, correctorWeights: { x: cw }, method: { type: 'svd', singularValues: 12 } });
    expect(c.excludedBpms.x).toEqual([3, 7]);
    expect(Number.isNaN(c.predicted.x![3])).toBe(true);
    expect(c.deltas.x![2]).toBe(0);
    expect(c.systems[0].rows).toBe(22);
    expect(c.systems[0].columns).toBe(23);
    expect(() => computeCorrection({ orm, orbit: { x: orbit.slice(1) } })).toThrow(/orbit\.x: 23 values for 24 devices/);
    expect(() => computeCorrection({ orm, orbit: { x: orbit }, rf: true })).toThrow(/RF column/);
  });
});
