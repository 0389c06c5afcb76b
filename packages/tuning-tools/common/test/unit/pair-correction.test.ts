import { describe, expect, it } from 'vitest';
import { MlayerError } from '@mlayer/core';
import { chooseResponse, iteratePair, type FamilyPairResponse } from '../../src/index.js';

class ToolError extends MlayerError {}

const response = (families: string[]): FamilyPairResponse => ({ families, matrix: [new Float64Array(families.length), new Float64Array(families.length)], units: families.map(() => 'm^-2'), source: 'model' });

describe('the response a correction uses (chooseResponse)', () => {
  it('the given response, the model response of the named families, or an error of the tool naming what is missing', () => {
    const given = response(['QF', 'QD']);
    const model = (f: readonly string[]) => response([...f, 'model']);
    expect(chooseResponse({ response: given }, 'quadrupole', model, ToolError)).toBe(given);
    expect(chooseResponse({ response: given, families: ['QF', 'QD'] }, 'quadrupole', model, ToolError)).toBe(given);
    expect(chooseResponse({ families: ['QF', 'QD'] }, 'quadrupole', model, ToolError).families).toEqual(['QF', 'QD', 'model']);
    expect(() => chooseResponse({ response: given, families: ['QD', 'QF'] }, 'quadrupole', model, ToolError)).toThrow(ToolError);
    expect(() => chooseResponse({ response: given, families: ['QD', 'QF'] }, 'quadrupole', model, ToolError)).toThrow('the response is for families QF, QD, not QD, QF');
    expect(() => chooseResponse({}, 'sextupole', model, ToolError)).toThrow('give the sextupole families (options.families) or a response');
  });
});

describe('measure-and-step iteration (iteratePair)', () => {
  /** A machine whose pair moves by 80 % of each requested change. */
  function machine(start: [number, number]) {
    const value: [number, number] = [...start];
    let measurements = 0;
    return {
      measure: async () => {
        measurements++;
        return { pair: [value[0], value[1]] as const };
      },
      step: async (change: readonly [number, number]) => {
        value[0] += 0.8 * change[0];
        value[1] += 0.8 * change[1];
        return change;
      },
      get measurements() {
        return measurements;
      },
    };
  }

  it('steps by the distance to the target until within tolerance; one measurement more than steps', async () => {
    const m = machine([1, -2]);
    const r = await iteratePair({ target: [0, 0], iterations: 10, tolerance: 1e-3, measure: m.measure, value: (x) => x.pair, step: m.step });
    // The distance shrinks by 5 each step: 2 → 0.4 → 0.08 → 0.016 → 0.0032 → 0.00064.
    expect(r.converged).toBe(true);
    expect(r.steps).toHaveLength(5);
    expect(r.history).toHaveLength(6);
    expect(m.measurements).toBe(6);
    expect(r.last).toBe(r.history[5]);
    expect(r.steps[0]).toEqual([-1, 2]);
    expect(Math.abs(r.last.pair[1])).toBeLessThan(1e-3);
  });

  it('stops after `iterations` steps without converging; none when within tolerance already', async () => {
    const m = machine([1, -2]);
    const r = await iteratePair({ target: [0, 0], iterations: 2, tolerance: 1e-3, measure: m.measure, value: (x) => x.pair, step: m.step });
    expect(r.converged).toBe(false);
    expect(r.steps).toHaveLength(2);
    const none = await iteratePair({ target: [1, -2], iterations: 3, tolerance: 1e-3, measure: m.measure, value: () => [1.0005, -2] as const, step: m.step });
    expect(none.steps).toHaveLength(0);
    expect(none.converged).toBe(true);
  });

  it('the distance is the given difference (fractional tunes on the unit circle)', async () => {
    const m = machine([0.99, 0.3]);
    const wrap = (t: number, v: number) => t - v - Math.round(t - v);
    const r = await iteratePair({ target: [0.01, 0.3], iterations: 1, tolerance: 1e-6, measure: m.measure, value: (x) => x.pair, difference: wrap, step: m.step });
    expect(r.steps[0][0]).toBeCloseTo(0.02, 14);
    expect(r.steps[0][1]).toBe(0);
  });
});
