/** Element parameter access by AT field name (aliases, defaults, array growth, errors). */
import { describe, expect, it } from 'vitest';
import type { AtElement } from '../../src/lattice.js';
import { readParameter, writeParameter } from '../../src/physics/parameters.js';

function quad(): AtElement {
  return { FamName: 'QF', PassMethod: 'StrMPoleSymplectic4Pass', Length: 0.3, PolynomA: [0, 0], PolynomB: [0, 2.5], K: 2.5, MaxOrder: 1 };
}

describe('element parameters', () => {
  it('K and H are aliases of PolynomB[1] and PolynomB[2]; K is kept in step', () => {
    const q = quad();
    expect(readParameter(q, { element: 0, field: 'K' })).toBe(2.5);
    writeParameter(q, { element: 0, field: 'K' }, 2.6);
    expect(q.PolynomB).toEqual([0, 2.6]);
    expect(q.K).toBe(2.6);
    writeParameter(q, { element: 0, field: 'PolynomB', index: 1 }, 2.7);
    expect(q.K).toBe(2.7);
    expect(readParameter(q, { element: 0, field: 'H' })).toBe(0);
  });

  it('grows PolynomA/B together and raises MaxOrder for a new non-zero term', () => {
    const q = quad();
    writeParameter(q, { element: 0, field: 'PolynomB', index: 2 }, 10);
    expect(q.PolynomB).toEqual([0, 2.5, 10]);
    expect(q.PolynomA).toEqual([0, 0, 0]);
    expect(q.MaxOrder).toBe(2);
  });

  it('KickAngle defaults to [0, 0] and is created on write', () => {
    const q = quad();
    expect(readParameter(q, { element: 0, field: 'KickAngle', index: 1 })).toBe(0);
    writeParameter(q, { element: 0, field: 'KickAngle', index: 1 }, 1e-5);
    expect(q.KickAngle).toEqual([0, 1e-5]);
  });

  it('writes a copy of an array field (the old array is not mutated)', () => {
    const q = quad();
    const old = q.PolynomB as number[];
    writeParameter(q, { element: 0, field: 'PolynomB', index: 1 }, 3);
    expect(old).toEqual([0, 2.5]);
  });

  it('errors name the element and the field', () => {
    const q = quad();
    expect(() => readParameter(q, { element: 7, field: 'Voltage' })).toThrow(/element 7 \(QF\) field Voltage: the element has no such field/);
    expect(() => readParameter(q, { element: 7, field: 'PolynomB' })).toThrow(/give an index/);
    expect(() => readParameter(q, { element: 7, field: 'Length', index: 1 })).toThrow(/scalar/);
    expect(() => readParameter(q, { element: 7, field: 'FamName' })).toThrow(/not numeric/);
    expect(() => writeParameter(q, { element: 7, field: 'K' }, Infinity)).toThrow(/not a finite number/);
    expect(() => readParameter(q, { element: 7, field: 'KickAngle', index: 2 })).toThrow(/index 0 \(x\) or 1 \(y\)/);
  });
});
