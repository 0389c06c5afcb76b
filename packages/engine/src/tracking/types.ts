/**
 * Contract between the tracking code (pass methods) and everything built on it
 * (closed orbit, optics, response matrices, the twin, the GPU backend).
 *
 * Particles are stored as structure-of-arrays in one Float64Array of length 6*n:
 * coordinate k (0..5 = x, px, y, py, delta, ct) of particle i is at `k*n + i`.
 */
import type { AtElement, Lattice } from '../lattice.js';

export interface ParticleSet {
  /** 6*n float64, SoA layout (see above). Modified in place by tracking. */
  readonly coords: Float64Array;
  readonly n: number;
  /** 0 while alive; otherwise 1 + the turn at which the particle was lost. */
  readonly lostTurn: Int32Array;
  /** Element index where the particle was lost (-1 while alive). */
  readonly lostElement: Int32Array;
}

/** What a pass method may need besides the particles: the turn being tracked (0-based). */
export interface TrackContext {
  turn: number;
}

/**
 * A pass method: pure physics over n particles, with the element's fields read once into `params`.
 * `alive[i] === 0` marks particle i as lost: the pass method must leave it untouched.
 */
export type PassFunction<P = unknown> = (coords: Float64Array, n: number, params: P, alive: Uint8Array, ctx?: TrackContext) => void;

/** Ring-level quantities some pass methods need at compile time (RF cavities, wigglers). */
export interface RingContext {
  /** Total energy in eV. */
  readonly energy: number;
  /** Rest energy in eV (0 for pyAT's 'relativistic', treated as an electron where a mass is needed). */
  readonly restEnergy: number;
  /** Revolution period of the whole ring (all periods) in s. */
  readonly T0: number;
  /** Whether RF cavities are active (pyAT's enable_6d). */
  readonly sixD: boolean;
}

/** A pass method as registered: how to read the element's fields, and the physics. */
export interface PassMethod<P = unknown> {
  readonly name: string;
  /**
   * Reads and checks the element's fields (errors name the element); called once per element at compile time.
   * `ring` is always given by compileLattice; pass methods that need it (RF cavities, wigglers) throw without it.
   */
  compile(element: AtElement, index: number, ring?: RingContext): P;
  readonly track: PassFunction<P>;
  /**
   * True when this compiled element cannot change any coordinate (IdentityPass without
   * misalignment or aperture): tracking skips it and its loss check.
   */
  isIdentity?(params: P): boolean;
}

export interface CompiledElement {
  readonly index: number;
  readonly element: AtElement;
  readonly method: PassMethod;
  readonly params: unknown;
  /** See PassMethod.isIdentity (absent means false). */
  readonly identity?: boolean;
}

export interface CompiledLattice {
  readonly lattice: Lattice;
  readonly elements: readonly CompiledElement[];
  /** Set by compileLattice. */
  readonly ring?: RingContext;
}

export interface TrackOptions {
  /** Number of turns (default 1). */
  readonly turns?: number;
  /** Record coordinates at the entrance of these element indices (N = end of the lattice) on every turn. */
  readonly refpts?: readonly number[];
}

export interface TrackResult {
  /** Final coordinates (SoA 6*n); lost particles are NaN (as pyAT). Same array as the input. */
  readonly coords: Float64Array;
  /**
   * Recorded coordinates when refpts were given: record[turn][refptIndex] is a
   * Float64Array(6*n) in SoA layout (refpts sorted ascending, duplicates removed).
   */
  readonly record?: Float64Array[][];
  /** The refpts of `record`, sorted ascending without duplicates. */
  readonly refpts?: readonly number[];
  /** 0 while alive; otherwise 1 + the turn (0-based) at which the particle was lost. */
  readonly lostTurn: Int32Array;
  /** Element index where the particle was lost (-1 while alive). */
  readonly lostElement: Int32Array;
  /** Coordinates (SoA 6*n) at the exit of the element where each particle was lost (NaN for particles never lost). */
  readonly lostCoords: Float64Array;
}
