/**
 * The linearised lattice around its closed orbit, from one tracking pass:
 * transfer matrices from the start to the entrance of every element (central
 * differences of 8 displaced particles, as pyAT's find_m44 with refpts), the
 * closed orbit everywhere and, optionally, the dispersion (central difference
 * of the closed orbits at dp +- DPStep/2) and the one-turn matrices at those
 * two orbits (for the chromaticity).
 */
import { DP_STEP, XY_STEP } from './constants.js';
import { ClosedOrbitError } from './errors.js';
import type { Mat4 } from './mat4.js';
import { normalizeRefpts, setParticle, trackObserved } from './propagate.js';
import { solveOrbits4, type OrbitOptions } from './orbit.js';
import type { CompiledLattice } from './tracking-api.js';

export interface LinearStateOptions extends OrbitOptions {
  readonly dp?: number;
  /** Known closed orbit at the entrance (skips the Newton search). */
  readonly orbit?: ArrayLike<number>;
  /** Also compute the dispersion at every position. */
  readonly dispersion?: boolean;
  /** Also compute the one-turn matrices at dp +- DPStep/2 (chromaticity). */
  readonly offMomentum?: boolean;
  readonly dpStep?: number;
  /**
   * Given orbits at the entrance for dp +- DPStep/2 (transfer lines): used
   * instead of closed-orbit searches.
   */
  readonly offMomentumOrbits?: readonly [ArrayLike<number>, ArrayLike<number>];
}

export interface LinearState {
  readonly compiled: CompiledLattice;
  readonly dp: number;
  /** Number of elements N; positions are 0..N. */
  readonly nElements: number;
  /** Closed orbit (6) at the entrance of element 0. */
  readonly orbit0: Float64Array;
  /** 4x4 transfer matrices (16 per position, row-major) from the start to each position 0..N. */
  readonly ms: Float64Array;
  /** Closed orbit (6 per position) at each position 0..N. */
  readonly orbits: Float64Array;
  /** Dispersion [Dx, D'x, Dy, D'y] (4 per position), when asked for. */
  readonly dispersion?: Float64Array;
  /** Closed orbits (6) at dp +- DPStep/2 at the entrance, when computed. */
  readonly orbitUp?: Float64Array;
  readonly orbitDown?: Float64Array;
  /** One-turn matrices at the off-momentum orbits, when asked for. */
  readonly mUp?: Mat4;
  readonly mDown?: Mat4;
  readonly dpStep: number;
}

/** The one-turn matrix (position N) of a linear state. */
export function oneTurn(state: LinearState): Mat4 {
  return state.ms.subarray(16 * state.nElements, 16 * state.nElements + 16);
}

/** The transfer matrix from the start to position p. */
export function matrixAt(state: LinearState, p: number): Mat4 {
  return state.ms.subarray(16 * p, 16 * p + 16);
}

function fillDisplaced(coords: Float64Array, n: number, first: number, orbit: ArrayLike<number>, step: number): void {
  for (let j = 0; j < 8; j++) {
    setParticle(coords, n, first + j, orbit);
    coords[(j % 4) * n + first + j] += j < 4 ? 0.5 * step : -0.5 * step;
  }
}

function matrixFrom(coords: Float64Array, n: number, first: number, step: number, out: Float64Array, offset: number): void {
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      out[offset + 4 * i + j] = (coords[i * n + first + j] - coords[i * n + first + 4 + j]) / step;
    }
  }
}

export function computeLinearState(compiled: CompiledLattice, options: LinearStateOptions = {}): LinearState {
  const nElem = compiled.elements.length;
  const dp = options.dp ?? 0;
  const step = options.xyStep ?? XY_STEP;
  const dpStep = options.dpStep ?? DP_STEP;
  let orbit0: Float64Array;
  if (options.orbit) {
    orbit0 = Float64Array.from(options.orbit);
    if (orbit0.length !== 6) throw new ClosedOrbitError(dp, `a given orbit must have 6 coordinates, got ${orbit0.length}`);
  } else {
    orbit0 = solveOrbits4(compiled, [dp], options)[0].orbit;
  }
  const needOff = !!options.dispersion || !!options.offMomentum;
  let orbitUp: Float64Array | undefined;
  let orbitDown: Float64Array | undefined;
  if (needOff && options.offMomentumOrbits) {
    orbitUp = Float64Array.from(options.offMomentumOrbits[0]);
    orbitDown = Float64Array.from(options.offMomentumOrbits[1]);
  } else if (needOff) {
    const [up, dn] = solveOrbits4(compiled, [orbit0[4] + 0.5 * dpStep, orbit0[4] - 0.5 * dpStep], {
      ...options,
      guess: orbit0,
      checkStability: false,
    });
    orbitUp = up.orbit;
    orbitDown = dn.orbit;
  }
  // Particles: 0-7 displaced around orbit0, 8 = orbit0, 9/10 = orbits at dp+-,
  // 11-18 and 19-26 displaced around the off-momentum orbits.
  const withDisp = !!options.dispersion;
  const withOff = !!options.offMomentum;
  const n = 9 + (withDisp ? 2 : 0) + (withOff ? 16 : 0);
  const coords = new Float64Array(6 * n);
  fillDisplaced(coords, n, 0, orbit0, step);
  setParticle(coords, n, 8, orbit0);
  let next = 9;
  const iUp = next, iDn = next + 1;
  if (withDisp) {
    setParticle(coords, n, iUp, orbitUp!);
    setParticle(coords, n, iDn, orbitDown!);
    next += 2;
  }
  const iMUp = next, iMDn = next + 8;
  if (withOff) {
    fillDisplaced(coords, n, iMUp, orbitUp!, step);
    fillDisplaced(coords, n, iMDn, orbitDown!, step);
  }
  const ms = new Float64Array(16 * (nElem + 1));
  const orbits = new Float64Array(6 * (nElem + 1));
  const dispersion = withDisp ? new Float64Array(4 * (nElem + 1)) : undefined;
  const all = normalizeRefpts(Array.from({ length: nElem + 1 }, (_, i) => i), nElem);
  const ok = trackObserved(compiled, coords, n, all, (p, c) => {
    matrixFrom(c, n, 0, step, ms, 16 * p);
    for (let k = 0; k < 6; k++) orbits[6 * p + k] = c[k * n + 8];
    if (dispersion) {
      for (let k = 0; k < 4; k++) dispersion[4 * p + k] = (c[k * n + iUp] - c[k * n + iDn]) / dpStep;
    }
  });
  if (!ok) throw new ClosedOrbitError(dp, 'particle lost while propagating the closed orbit and its neighbours');
  let mUp: Mat4 | undefined;
  let mDown: Mat4 | undefined;
  if (withOff) {
    mUp = new Float64Array(16);
    mDown = new Float64Array(16);
    matrixFrom(coords, n, iMUp, step, mUp, 0);
    matrixFrom(coords, n, iMDn, step, mDown, 0);
  }
  return { compiled, dp, nElements: nElem, orbit0, ms, orbits, dispersion, orbitUp, orbitDown, mUp, mDown, dpStep };
}

export interface M44Result {
  /** One-turn 4x4 matrix at the entrance. */
  readonly m44: Mat4;
  /** Transfer matrices from the start to each refpt, in the order given. */
  readonly ms: Mat4[];
  readonly orbit0: Float64Array;
}

/** One-turn and element transfer matrices around the closed orbit (pyAT find_m44). */
export function findM44(
  compiled: CompiledLattice,
  options: { dp?: number; orbit?: ArrayLike<number>; refpts?: readonly number[]; xyStep?: number } = {},
): M44Result {
  const st = computeLinearState(compiled, { dp: options.dp, orbit: options.orbit, xyStep: options.xyStep });
  normalizeRefpts(options.refpts ?? [], st.nElements); // validates the indices
  return {
    m44: Float64Array.from(oneTurn(st)),
    ms: (options.refpts ?? []).map((p) => Float64Array.from(matrixAt(st, p))),
    orbit0: st.orbit0,
  };
}
