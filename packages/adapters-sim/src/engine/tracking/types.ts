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

/** A pass method: pure physics over n particles, with the element's fields read once into `params`. */
export type PassFunction<P = unknown> = (coords: Float64Array, n: number, params: P, alive: Uint8Array) => void;

/** A pass method as registered: how to read the element's fields, and the physics. */
export interface PassMethod<P = unknown> {
  readonly name: string;
  /** Reads and checks the element's fields (errors name the element); called once per element at compile time. */
  compile(element: AtElement, index: number): P;
  readonly track: PassFunction<P>;
}

export interface CompiledElement {
  readonly index: number;
  readonly element: AtElement;
  readonly method: PassMethod;
  readonly params: unknown;
}

export interface CompiledLattice {
  readonly lattice: Lattice;
  readonly elements: readonly CompiledElement[];
}

export interface TrackOptions {
  /** Number of turns (default 1). */
  readonly turns?: number;
  /** Record coordinates at the entrance of these element indices (N = end of the lattice) on every turn. */
  readonly refpts?: readonly number[];
}

export interface TrackResult {
  /** Final coordinates (SoA 6*n). */
  readonly coords: Float64Array;
  /**
   * Recorded coordinates when refpts were given: record[turn][refptIndex] is a
   * Float64Array(6*n) in SoA layout.
   */
  readonly record?: Float64Array[][];
  readonly lostTurn: Int32Array;
  readonly lostElement: Int32Array;
}
