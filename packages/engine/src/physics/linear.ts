/**
 * Linear optics (pyAT linopt6 conventions, 4D): normal-mode analysis of the
 * one-turn matrix, beta/alpha from the mode R-matrices, phase advance from the
 * propagated A matrix (unwrapped as pyAT: +2pi at every drop below -1e-3 rad),
 * dispersion from the closed orbits at dp +- DPStep/2, chromaticity from the
 * tunes at those orbits. Values are at the entrance of the elements; position
 * N is the end of the lattice. Ring values of a periodic lattice are the cell
 * values times the periodicity where stated.
 */
import { DP_STEP } from './constants.js';
import { normalModes4, twissFromA, type ModeTwiss } from './amat.js';
import { identity4, mul4, type Mat4 } from './mat4.js';
import { computeLinearState, matrixAt, oneTurn, type LinearState } from './linear-state.js';
import type { OrbitOptions } from './orbit.js';
import { normalizeRefpts, sPositions } from './propagate.js';
import type { CompiledLattice } from './tracking-api.js';
import { MlayerError } from '@mlayer/core';

export interface OpticsPoint {
  /** Position (element index; N = end of the lattice). */
  readonly index: number;
  readonly s: number;
  readonly beta: readonly [number, number];
  readonly alpha: readonly [number, number];
  /** Phase advance from the start in rad (unwrapped). */
  readonly mu: readonly [number, number];
  /** [Dx, D'x, Dy, D'y]. */
  readonly dispersion: readonly [number, number, number, number];
  /** Closed orbit (6) at the entrance. */
  readonly closedOrbit: Float64Array;
  /** 4x4 transfer matrix from the start to this point (row-major). */
  readonly M: Mat4;
}

export interface RingData {
  /** Fractional tunes of ONE CELL (periodicity not applied), as pyAT's ringdata.tune. */
  readonly tune: readonly [number, number];
  /** Chromaticities of one cell when asked for (pyAT's ringdata.chromaticity), else null. */
  readonly chromaticity: readonly [number, number] | null;
}

export interface LinoptOptions extends OrbitOptions {
  /** Positions (0..N) at which to return optics. Default: none. */
  readonly refpts?: readonly number[];
  readonly dp?: number;
  /** Known closed orbit at the entrance (6). */
  readonly orbit?: ArrayLike<number>;
  readonly getChrom?: boolean;
  readonly dpStep?: number;
}

export interface LinoptResult {
  /** Optics at the entrance of the lattice. */
  readonly elemdata0: OpticsPoint;
  readonly ringdata: RingData;
  /** Optics at the refpts, in the order given. */
  readonly elemdata: OpticsPoint[];
}

/** Optics of every position 0..N as flat arrays. */
export interface OpticsTable {
  readonly n: number;
  readonly s: Float64Array;
  /** 2 per position: x, y. */
  readonly beta: Float64Array;
  readonly alpha: Float64Array;
  readonly mu: Float64Array;
}

/** Beta, alpha and unwrapped phase at every position from the state's matrices and the initial A. */
export function opticsTable(state: LinearState, A0: Mat4): OpticsTable {
  const n = state.nElements + 1;
  const beta = new Float64Array(2 * n);
  const alpha = new Float64Array(2 * n);
  const mu = new Float64Array(2 * n);
  const ai = new Float64Array(16);
  const tw: ModeTwiss = { betaX: 0, betaY: 0, alphaX: 0, alphaY: 0, muX: 0, muY: 0 };
  let prevX = 0, prevY = 0, addX = 0, addY = 0;
  for (let p = 0; p < n; p++) {
    mul4(matrixAt(state, p), A0, ai);
    if (!twissFromA(ai, tw)) {
      const el = state.compiled.elements[Math.min(p, state.nElements - 1)]?.element;
      throw new MlayerError(`optics: singular transfer matrix at position ${p} (${el?.FamName ?? 'end'})`);
    }
    beta[2 * p] = tw.betaX;
    beta[2 * p + 1] = tw.betaY;
    alpha[2 * p] = tw.alphaX;
    alpha[2 * p + 1] = tw.alphaY;
    if (tw.muX - prevX < -1e-3) addX += 2 * Math.PI;
    if (tw.muY - prevY < -1e-3) addY += 2 * Math.PI;
    prevX = tw.muX;
    prevY = tw.muY;
    mu[2 * p] = tw.muX + addX;
    mu[2 * p + 1] = tw.muY + addY;
  }
  return { n, s: sPositions(state.compiled), beta, alpha, mu };
}

function point(state: LinearState, table: OpticsTable, p: number): OpticsPoint {
  const d = state.dispersion;
  return {
    index: p,
    s: table.s[p],
    beta: [table.beta[2 * p], table.beta[2 * p + 1]],
    alpha: [table.alpha[2 * p], table.alpha[2 * p + 1]],
    mu: [table.mu[2 * p], table.mu[2 * p + 1]],
    dispersion: d ? [d[4 * p], d[4 * p + 1], d[4 * p + 2], d[4 * p + 3]] : [0, 0, 0, 0],
    closedOrbit: state.orbits.slice(6 * p, 6 * p + 6),
    M: Float64Array.from(matrixAt(state, p)),
  };
}

/** Difference of two fractional tunes folded into (-0.5, 0.5]. */
export function tuneDifference(a: number, b: number): number {
  let d = a - b;
  d -= Math.round(d);
  return d;
}

/** Chromaticity of one cell from a state computed with offMomentum. */
export function cellChromaticity(state: LinearState): [number, number] {
  if (!state.mUp || !state.mDown || !state.orbitUp || !state.orbitDown) {
    throw new MlayerError('chromaticity needs a linear state computed with offMomentum: true');
  }
  const up = normalModes4(state.mUp, `one-turn matrix at dp=${state.orbitUp[4]}`).tunes;
  const dn = normalModes4(state.mDown, `one-turn matrix at dp=${state.orbitDown[4]}`).tunes;
  const ddp = state.orbitUp[4] - state.orbitDown[4];
  return [tuneDifference(up[0], dn[0]) / ddp, tuneDifference(up[1], dn[1]) / ddp];
}

/** Full optics analysis of a ring state (A from the one-turn matrix). */
export function ringOptics(state: LinearState): { A0: Mat4; tunes: [number, number]; table: OpticsTable } {
  const modes = normalModes4(oneTurn(state), `one-turn matrix at dp=${state.dp}`);
  return { A0: modes.A, tunes: [modes.tunes[0], modes.tunes[1]], table: opticsTable(state, modes.A) };
}

/**
 * Linear optics of a ring (pyAT linopt6 on a 4D lattice): optics at the
 * entrance and at refpts, the cell's fractional tunes and, with getChrom, the
 * cell's chromaticities. Throws UnstableLatticeError when unstable.
 */
export function linopt6(compiled: CompiledLattice, options: LinoptOptions = {}): LinoptResult {
  const refpts = options.refpts ?? [];
  normalizeRefpts(refpts, compiled.elements.length);
  const state = computeLinearState(compiled, {
    ...options,
    dispersion: true,
    offMomentum: !!options.getChrom,
  });
  const { tunes, table } = ringOptics(state);
  const chrom = options.getChrom ? cellChromaticity(state) : null;
  return {
    elemdata0: point(state, table, 0),
    ringdata: { tune: tunes, chromaticity: chrom },
    elemdata: refpts.map((p) => point(state, table, p)),
  };
}

/** Optics at the refpts of an already computed ring state. */
export function opticsAt(state: LinearState, table: OpticsTable, refpts: readonly number[]): OpticsPoint[] {
  normalizeRefpts(refpts, state.nElements);
  return refpts.map((p) => point(state, table, p));
}

function periodicityOf(compiled: CompiledLattice): number {
  const p = compiled.lattice.properties.periodicity;
  return typeof p === 'number' && p > 0 ? p : 1;
}

/** Total ring tunes (integer part included): mu at the end of the cell / 2pi * periodicity. */
export function ringTunes(compiled: CompiledLattice, options: { dp?: number } & OrbitOptions = {}): [number, number] {
  const state = computeLinearState(compiled, { ...options, dispersion: false });
  const { table } = ringOptics(state);
  const N = state.nElements;
  const P = periodicityOf(compiled);
  return [(table.mu[2 * N] / (2 * Math.PI)) * P, (table.mu[2 * N + 1] / (2 * Math.PI)) * P];
}

/** Fractional ring tunes (pyAT get_tune: cell tunes times periodicity, modulo 1). */
export function getTune(compiled: CompiledLattice, options: { dp?: number } & OrbitOptions = {}): [number, number] {
  const state = computeLinearState(compiled, options);
  const t = normalModes4(oneTurn(state), `one-turn matrix at dp=${state.dp}`).tunes;
  const P = periodicityOf(compiled);
  return [frac(t[0] * P), frac(t[1] * P)];
}

function frac(x: number): number {
  return x - Math.floor(x);
}

/** Ring chromaticities (pyAT get_chrom: central difference of tunes at dp +- DPStep/2, periodicity applied). */
export function getChrom(compiled: CompiledLattice, options: { dp?: number; dpStep?: number } & OrbitOptions = {}): [number, number] {
  const state = computeLinearState(compiled, { ...options, offMomentum: true });
  const c = cellChromaticity(state);
  const P = periodicityOf(compiled);
  return [c[0] * P, c[1] * P];
}

/** Initial conditions of a transfer line (uncoupled Twiss). */
export interface TwissIn {
  readonly beta: readonly [number, number];
  readonly alpha: readonly [number, number];
  /** [Dx, D'x, Dy, D'y] at the entrance (default 0). */
  readonly dispersion?: readonly [number, number, number, number];
  /** Orbit (6) at the entrance (default 0). */
  readonly closedOrbit?: ArrayLike<number>;
}

/** The standardised normal-mode matrix of uncoupled Twiss parameters. */
export function aFromTwiss(beta: readonly [number, number], alpha: readonly [number, number]): Mat4 {
  const A = identity4();
  for (let k = 0; k < 2; k++) {
    const b = beta[k];
    if (!(b > 0)) throw new MlayerError(`transfer-line optics: initial beta[${k}] must be > 0, got ${b}`);
    const o = 2 * k;
    const sb = Math.sqrt(b);
    A[4 * o + o] = sb;
    A[4 * o + o + 1] = 0;
    A[4 * (o + 1) + o] = -alpha[k] / sb;
    A[4 * (o + 1) + o + 1] = 1 / sb;
  }
  return A;
}

/** Transfer-line optics from given initial Twiss parameters (pyAT linopt6 with twiss_in, uncoupled input). */
export function linoptLine(
  compiled: CompiledLattice,
  twissIn: TwissIn,
  options: { refpts?: readonly number[]; dpStep?: number; xyStep?: number } = {},
): OpticsPoint[] {
  const refpts = options.refpts ?? [];
  normalizeRefpts(refpts, compiled.elements.length);
  const dpStep = options.dpStep ?? DP_STEP;
  const orbit = new Float64Array(6);
  if (twissIn.closedOrbit) for (let k = 0; k < 6; k++) orbit[k] = twissIn.closedOrbit[k] ?? 0;
  const d0 = twissIn.dispersion ?? [0, 0, 0, 0];
  const dorbit = [d0[0], d0[1], d0[2], d0[3], 1, 0];
  const up = orbit.map((v, k) => v + 0.5 * dpStep * dorbit[k]);
  const dn = orbit.map((v, k) => v - 0.5 * dpStep * dorbit[k]);
  const state = computeLinearState(compiled, {
    orbit,
    dispersion: true,
    offMomentumOrbits: [up, dn],
    dpStep,
    xyStep: options.xyStep,
  });
  const table = opticsTable(state, aFromTwiss(twissIn.beta, twissIn.alpha));
  return refpts.map((p) => point(state, table, p));
}
