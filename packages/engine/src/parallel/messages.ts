/** Messages between the parallel CPU tracker and its worker threads. */
import type { Lattice } from '../lattice.js';

export interface WorkerInit {
  /** Lattice configurations (elements and properties), compiled once by each worker. */
  readonly lattices: readonly Lattice[];
  readonly sixD: boolean;
}

export interface JobPiece {
  readonly config: number;
  /** SoA coordinates of this piece (6*n). */
  readonly coords: Float64Array;
  readonly lostTurn: Int32Array;
  readonly lostElement: Int32Array;
}

export interface TrackJob {
  readonly id: number;
  readonly turns: number;
  readonly refpts: readonly number[] | undefined;
  readonly pieces: readonly JobPiece[];
}

export interface PieceResult {
  readonly coords: Float64Array;
  readonly lostTurn: Int32Array;
  readonly lostElement: Int32Array;
  readonly lostCoords: Float64Array;
  /** record[turn][slot] (6*n each), when refpts were given. */
  readonly record?: Float64Array[][];
}

export type WorkerReply = { readonly id: number; readonly pieces: readonly PieceResult[] } | { readonly id: number; readonly error: string };
