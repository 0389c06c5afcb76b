/**
 * Trajectories (first turns of a ring, or an open line) and their response to
 * corrector kicks.
 *
 * Positions are unrolled over the turns: position t*N + p is the entrance of
 * element p on turn t (t*N + N = the end of turn t). The response is linear
 * around a reference trajectory, from the transfer matrices M_q from the start to
 * every unrolled position q (central differences of 8 displaced particles, the
 * steps of the ORM's linear state). A kick v at the exit of element c on turn t
 * (unrolled position p = t*N + c + 1, v = d(exit)/d(KickAngle) over the element
 * alone, as for the ORM) moves the trajectory at q >= p by M_q M_p^-1 v and
 * nothing upstream; a corrector keeps its kick on every turn, so its column is
 * the sum over the turns.
 */
import { MlayerError } from '@mlayer/core';
import { XY_STEP } from './constants.js';
import { correctorKicks } from './element-maps.js';
import { lu4, luSolve4, type Vec4 } from './mat4.js';
import { setParticle } from './propagate.js';
import { trackRange, type CompiledLattice } from './tracking-api.js';

/** Where a particle was lost: element index and 0-based turn. */
export interface TrajectoryLoss {
  readonly element: number;
  readonly turn: number;
}

export interface TrajectoryResult {
  /** BPM positions (0..N) in lattice order. */
  readonly bpms: readonly number[];
  readonly turns: number;
  /** Turn-major readings: [t * bpms.length + i]; NaN downstream of the loss. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly lost?: TrajectoryLoss;
  /** Coordinates (6) at the end of the last turn (NaN when lost). */
  readonly final: Float64Array;
}

function checkTurns(turns: number): void {
  if (!Number.isInteger(turns) || turns < 1) throw new MlayerError(`trajectory: turns ${turns} is not a positive integer`);
}

function checkInitial(initial: ArrayLike<number>): Float64Array {
  if (initial.length !== 6) throw new MlayerError(`trajectory: initial coordinates must have 6 values [x, px, y, py, delta, ct], got ${initial.length}`);
  const r = Float64Array.from(initial);
  if (!r.every(Number.isFinite)) throw new MlayerError(`trajectory: initial coordinates [${Array.from(r).join(', ')}] are not all finite`);
  return r;
}

function checkBpms(compiled: CompiledLattice, bpms: readonly number[]): void {
  const N = compiled.elements.length;
  for (let i = 0; i < bpms.length; i++) {
    const b = bpms[i];
    if (!Number.isInteger(b) || b < 0 || b > N) throw new RangeError(`BPM position ${b} is outside 0..${N}`);
    if (i > 0 && b <= bpms[i - 1]) throw new RangeError('BPM positions must be sorted without duplicates');
  }
}

/**
 * Tracks one particle from `initial` (at the entrance of element 0) for `turns` turns
 * with the lattice's apertures and AT's loss rule; x and y at the BPMs (sorted
 * positions 0..N) on every turn. The reading at the entrance of the element where
 * the particle is lost is kept; readings downstream are NaN.
 */
export function trackTrajectory(compiled: CompiledLattice, bpms: readonly number[], initial: ArrayLike<number>, turns = 1): TrajectoryResult {
  checkTurns(turns);
  checkBpms(compiled, bpms);
  const coords = checkInitial(initial);
  const N = compiled.elements.length;
  const nb = bpms.length;
  const x = new Float64Array(turns * nb).fill(NaN);
  const y = new Float64Array(turns * nb).fill(NaN);
  const alive = Uint8Array.of(1);
  const lostTurn = new Int32Array(1);
  const lostElement = new Int32Array(1).fill(-1);
  let lost: TrajectoryLoss | undefined;
  for (let t = 0; t < turns && !lost; t++) {
    const log = { turn: t, lostTurn, lostElement };
    let pos = 0;
    for (let i = 0; i < nb; i++) {
      const b = bpms[i];
      if (b > pos) trackRange(compiled, coords, 1, pos, b, alive, log);
      pos = b;
      if (!alive[0]) break;
      x[t * nb + i] = coords[0];
      y[t * nb + i] = coords[2];
    }
    if (alive[0] && pos < N) trackRange(compiled, coords, 1, pos, N, alive, log);
    if (!alive[0]) lost = { element: lostElement[0], turn: lostTurn[0] - 1 };
  }
  return { bpms: [...bpms], turns, x, y, lost, final: coords };
}

/** Transfer matrices and coordinates along a reference trajectory, unrolled over turns. */
export interface TrajectoryState {
  readonly compiled: CompiledLattice;
  readonly turns: number;
  /** Number of elements N. */
  readonly nElements: number;
  /** 4x4 matrices (16 per unrolled position 0..turns*N), row-major, from the start. */
  readonly ms: Float64Array;
  /** Coordinates (6 per unrolled position) of the reference particle. */
  readonly coords: Float64Array;
  /**
   * Unrolled positions 0..valid are known; a loss (of the reference or a displaced
   * particle) in the element at unrolled position `valid` leaves the rest NaN.
   */
  readonly valid: number;
  readonly lost?: TrajectoryLoss;
  /** Corrector kick vectors [x, y] by unrolled source position, filled as responses ask for them. */
  readonly kicks: Map<number, [Vec4, Vec4]>;
}

/** Linearised trajectory from `initial` over `turns` turns (9 particles, one tracking pass). */
export function trajectoryState(compiled: CompiledLattice, initial: ArrayLike<number>, turns = 1, step = XY_STEP): TrajectoryState {
  checkTurns(turns);
  const r0 = checkInitial(initial);
  const N = compiled.elements.length;
  const np = turns * N + 1;
  const n = 9;
  const c = new Float64Array(6 * n);
  for (let j = 0; j < 8; j++) {
    setParticle(c, n, j, r0);
    c[(j % 4) * n + j] += j < 4 ? 0.5 * step : -0.5 * step;
  }
  setParticle(c, n, 8, r0);
  const ms = new Float64Array(16 * np).fill(NaN);
  const coords = new Float64Array(6 * np).fill(NaN);
  const alive = new Uint8Array(n).fill(1);
  const lostTurn = new Int32Array(n);
  const lostElement = new Int32Array(n).fill(-1);
  const record = (q: number) => {
    const o = 16 * q;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) ms[o + 4 * i + j] = (c[i * n + j] - c[i * n + 4 + j]) / step;
    }
    for (let k = 0; k < 6; k++) coords[6 * q + k] = c[k * n + 8];
  };
  record(0);
  let valid = 0;
  let lost: TrajectoryLoss | undefined;
  outer: for (let t = 0; t < turns; t++) {
    const log = { turn: t, lostTurn, lostElement };
    for (let e = 0; e < N; e++) {
      trackRange(compiled, c, n, e, e + 1, alive, log);
      if (!alive.every((a) => a === 1)) {
        const k = alive.indexOf(0);
        lost = { element: lostElement[k], turn: lostTurn[k] - 1 };
        break outer;
      }
      valid = t * N + e + 1;
      record(valid);
    }
  }
  return { compiled, turns, nElements: N, ms, coords, valid, lost, kicks: new Map() };
}

/** Trajectory response blocks: rows = turns x BPMs (turn-major), columns = correctors, m/rad. */
export interface TrajectoryResponseMatrices {
  readonly bpms: readonly number[];
  readonly correctors: readonly number[];
  readonly turns: number;
  readonly Rxx: Float64Array[];
  readonly Rxy: Float64Array[];
  readonly Ryx: Float64Array[];
  readonly Ryy: Float64Array[];
  readonly lost?: TrajectoryLoss;
}

/**
 * Trajectory response of the BPMs (sorted positions 0..N) to the correctors' KickAngle
 * over the state's turns. Rows of readings the reference trajectory does not reach
 * are NaN.
 */
export function trajectoryResponse(state: TrajectoryState, bpms: readonly number[], correctors: readonly number[]): TrajectoryResponseMatrices {
  const { compiled, turns, nElements: N, ms, coords, valid } = state;
  checkBpms(compiled, bpms);
  for (const k of correctors) {
    if (!Number.isInteger(k) || k < 0 || k >= N) throw new RangeError(`corrector index ${k} is outside 0..${N - 1}`);
  }
  const nb = bpms.length, nc = correctors.length;
  const rows = turns * nb;
  const mk = () => Array.from({ length: rows }, () => new Float64Array(nc));
  const Rxx = mk(), Rxy = mk(), Ryx = mk(), Ryy = mk();
  // Unrolled position of each row, and NaN for rows the reference does not reach.
  const rowPos = new Int32Array(rows);
  for (let t = 0; t < turns; t++) for (let i = 0; i < nb; i++) rowPos[t * nb + i] = t * N + bpms[i];
  for (let r = 0; r < rows; r++) {
    if (rowPos[r] > valid) {
      Rxx[r].fill(NaN);
      Rxy[r].fill(NaN);
      Ryx[r].fill(NaN);
      Ryy[r].fill(NaN);
    }
  }
  const ux = new Float64Array(4), uy = new Float64Array(4);
  for (let j = 0; j < nc; j++) {
    const k = correctors[j];
    for (let t = 0; t < turns; t++) {
      const p = t * N + k + 1;
      if (p > valid) break;
      let v = state.kicks.get(p);
      if (!v) {
        v = correctorKicks(compiled, k, coords.subarray(6 * (p - 1), 6 * p));
        state.kicks.set(p, v);
      }
      const [vx, vy] = v;
      const f = lu4(ms.subarray(16 * p, 16 * p + 16));
      if (!f) throw new MlayerError(`trajectory response: singular transfer matrix at element ${k} on turn ${t}`);
      luSolve4(f, vx, ux);
      luSolve4(f, vy, uy);
      // First row at or after p (rows are sorted by unrolled position).
      let r0 = 0;
      while (r0 < rows && rowPos[r0] < p) r0++;
      for (let r = r0; r < rows; r++) {
        const q = rowPos[r];
        if (q > valid) break;
        const o = 16 * q;
        const m0 = ms[o], m1 = ms[o + 1], m2 = ms[o + 2], m3 = ms[o + 3];
        const m8 = ms[o + 8], m9 = ms[o + 9], m10 = ms[o + 10], m11 = ms[o + 11];
        Rxx[r][j] += m0 * ux[0] + m1 * ux[1] + m2 * ux[2] + m3 * ux[3];
        Ryx[r][j] += m8 * ux[0] + m9 * ux[1] + m10 * ux[2] + m11 * ux[3];
        Rxy[r][j] += m0 * uy[0] + m1 * uy[1] + m2 * uy[2] + m3 * uy[3];
        Ryy[r][j] += m8 * uy[0] + m9 * uy[1] + m10 * uy[2] + m11 * uy[3];
      }
    }
  }
  return { bpms: [...bpms], correctors: [...correctors], turns, Rxx, Rxy, Ryx, Ryy, lost: state.lost };
}
