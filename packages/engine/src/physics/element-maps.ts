/**
 * Single elements as their own little lattices: recompiling one element with
 * changed fields (same pass method and ring context as in the full lattice),
 * its 4x4 matrix around an orbit, and the derivatives of its map with respect
 * to a parameter (finite differences through that one element only).
 */
import type { AtElement } from '../lattice.js';
import { XY_STEP } from './constants.js';
import { ElementUsageError } from './errors.js';
import type { Mat4, Vec4 } from './mat4.js';
import { copyElement, readParameter, writeParameter, type ElementParameter } from './parameters.js';
import { setParticle, trackSegment } from './propagate.js';
import type { CompiledElement, CompiledLattice } from './tracking-api.js';

/** Compiles `element` as element `index` of `compiled` (same pass method, same ring context). */
export function compileElementAs(compiled: CompiledLattice, index: number, element: AtElement): CompiledElement {
  const base = compiled.elements[index];
  const method = base.method;
  const params = method.compile(element, index, compiled.ring);
  const identity = method.isIdentity ? method.isIdentity(params) : false;
  return { index, element, method, params, identity };
}

/** A one-element compiled lattice made of `element` in place of element `index`. */
export function singleElementLattice(compiled: CompiledLattice, index: number, element: AtElement): CompiledLattice {
  return { lattice: compiled.lattice, elements: [compileElementAs(compiled, index, element)], ring: compiled.ring };
}

/** The compiled lattice with element `index` replaced (the other compiled elements are shared). */
export function replaceElement(compiled: CompiledLattice, index: number, element: AtElement): CompiledLattice {
  const elements = compiled.elements.slice();
  elements[index] = compileElementAs(compiled, index, element);
  const lattice = { ...compiled.lattice, elements: compiled.lattice.elements.slice() };
  lattice.elements[index] = element;
  return { lattice, elements, ring: compiled.ring };
}

/**
 * Tracks particles (rows of 6) through a one-element lattice; returns the SoA
 * output. Throws when a particle is lost.
 */
function through(single: CompiledLattice, rows: readonly ArrayLike<number>[]): Float64Array {
  const n = rows.length;
  const c = new Float64Array(6 * n);
  rows.forEach((r, i) => setParticle(c, n, i, r));
  if (!trackSegment(single, c, n, 0, 1)) {
    const e = single.elements[0];
    throw new ElementUsageError(e.index, e.element.FamName, 'particle lost while differentiating the element map');
  }
  return c;
}

/** 4x4 matrix of a one-element lattice around `orbit` (central differences, pyAT's find_m44 steps). */
export function singleElementMatrix(single: CompiledLattice, orbit: ArrayLike<number>, step = XY_STEP): Mat4 {
  const rows: Float64Array[] = [];
  for (let j = 0; j < 8; j++) {
    const r = Float64Array.from(orbit);
    r[j % 4] += j < 4 ? 0.5 * step : -0.5 * step;
    rows.push(r);
  }
  const c = through(single, rows);
  const m = new Float64Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) m[4 * i + j] = (c[i * 8 + j] - c[i * 8 + 4 + j]) / step;
  return m;
}

/** Default finite-difference step of a parameter: relative 1e-4, at least 1e-4 in absolute terms. */
export function parameterStep(value: number): number {
  return 1e-4 * Math.max(1, Math.abs(value));
}

/** A copy of element `index` with each given parameter (all on that element) shifted by `sign * step`. */
function shifted(compiled: CompiledLattice, index: number, refs: readonly ElementParameter[], sign: number, steps: readonly number[]): AtElement {
  const el = copyElement(compiled.elements[index].element);
  refs.forEach((r, k) => writeParameter(el, r, readParameter(el, r) + sign * steps[k]));
  return el;
}

/**
 * d(element matrix)/d(parameter group restricted to this element), around the
 * orbit at its entrance: central difference over one element. All refs must
 * point at element `index`; they move together (a family knob).
 */
export function elementMatrixDerivative(
  compiled: CompiledLattice,
  index: number,
  refs: readonly ElementParameter[],
  orbitIn: ArrayLike<number>,
  step?: number,
): Mat4 {
  const el = compiled.elements[index].element;
  const h = step ?? Math.max(...refs.map((r) => parameterStep(readParameter(el, r))));
  const steps = refs.map(() => h);
  const mp = singleElementMatrix(singleElementLattice(compiled, index, shifted(compiled, index, refs, 1, steps)), orbitIn);
  const mm = singleElementMatrix(singleElementLattice(compiled, index, shifted(compiled, index, refs, -1, steps)), orbitIn);
  const d = new Float64Array(16);
  for (let k = 0; k < 16; k++) d[k] = (mp[k] - mm[k]) / (2 * h);
  return d;
}

/**
 * d(exit coordinates)/d(parameter) of one element around the orbit at its
 * entrance (central difference over that element): the 4D "kick" a parameter
 * change gives, e.g. the effect of KickAngle across a thick element.
 */
export function elementKickDerivative(
  compiled: CompiledLattice,
  index: number,
  refs: readonly ElementParameter[],
  orbitIn: ArrayLike<number>,
  step: number,
): Vec4 {
  const steps = refs.map(() => step);
  const up = through(singleElementLattice(compiled, index, shifted(compiled, index, refs, 1, steps)), [orbitIn]);
  const dn = through(singleElementLattice(compiled, index, shifted(compiled, index, refs, -1, steps)), [orbitIn]);
  const v = new Float64Array(4);
  for (let k = 0; k < 4; k++) v[k] = (up[k] - dn[k]) / (2 * step);
  return v;
}

/** Kick step for KickAngle derivatives (rad). */
export const KICK_STEP = 1e-6;

/**
 * The 4D effect of the horizontal and vertical KickAngle of a corrector element,
 * d(exit)/d(theta_x) and d(exit)/d(theta_y), around the orbit at its entrance.
 * Throws when the element does not respond to KickAngle.
 */
export function correctorKicks(compiled: CompiledLattice, index: number, orbitIn: ArrayLike<number>): [Vec4, Vec4] {
  const vx = elementKickDerivative(compiled, index, [{ element: index, field: 'KickAngle', index: 0 }], orbitIn, KICK_STEP);
  const vy = elementKickDerivative(compiled, index, [{ element: index, field: 'KickAngle', index: 1 }], orbitIn, KICK_STEP);
  const zero = (v: Vec4) => v.every((x) => x === 0);
  if (zero(vx) && zero(vy)) {
    const e = compiled.elements[index].element;
    throw new ElementUsageError(index, e.FamName, `does not respond to KickAngle (PassMethod ${e.PassMethod}); it cannot be a corrector`);
  }
  return [vx, vy];
}
