/** Reading the multipole fields shared by the multipole and bend pass methods. */
import type { FieldReader } from '../fields.js';

export interface Multipole {
  /** Skew coefficients, zero-padded to at least MaxOrder+1 and 3 entries. */
  readonly A: Float64Array;
  /** Normal coefficients, zero-padded likewise. */
  readonly B: Float64Array;
  readonly maxOrder: number;
}

/** PolynomA, PolynomB (required), MaxOrder (default: highest index of the longer polynomial). */
export function readMultipole(f: FieldReader): Multipole {
  const a = f.requiredVector('PolynomA');
  const b = f.requiredVector('PolynomB');
  const longest = Math.max(a.length, b.length);
  if (longest === 0) f.fail('PolynomB', f.raw('PolynomB'), 'at least one coefficient');
  const maxOrder = f.integer('MaxOrder', longest - 1);
  const size = Math.max(maxOrder + 1, longest, 3);
  const A = new Float64Array(size);
  const B = new Float64Array(size);
  A.set(a);
  B.set(b);
  return { A, B, maxOrder };
}

/** NumIntSteps (default 10, at least 1). */
export function readSteps(f: FieldReader): number {
  return f.integer('NumIntSteps', 10, 1);
}

/** FieldScaling is not supported: accept only its neutral value. */
export function rejectFieldScaling(f: FieldReader): void {
  if (f.has('FieldScaling') && f.number('FieldScaling') !== 1) {
    f.fail('FieldScaling', f.raw('FieldScaling'), '1 (FieldScaling is not supported by this engine)');
  }
}

/** Fourth-order symplectic (Forest-Ruth) coefficients, as in AT. */
export const DRIFT1 = 0.6756035959798286638;
export const DRIFT2 = -0.1756035959798286639;
export const KICK1 = 1.351207191959657328;
export const KICK2 = -1.702414383919314656;
