/**
 * Trajectories (first turns of a ring from an injection point, or an open line) and
 * their response to corrector kicks.
 *
 * The particle starts at the entrance of element k (the start, default 0) and passes
 * the elements in order, wrapping from N-1 to 0; positions are unrolled along its
 * path: u = 0 is the entrance of element k, u = t*N + o the entrance of element
 * (k + o) mod N on turn t (0-based turns counted from the start). A BPM at element b
 * (0..N; N is the end of the lattice, the entrance of element 0) reads on turn t at
 * u = t*N + offset(b), offset(b) = b - k (b >= k) or b - k + N (b < k): reading t of a
 * BPM is the t-th passage of the particle there.
 *
 * The response is linear around a reference trajectory, from the transfer matrices M_u
 * from the start to every unrolled position (central differences of 8 displaced
 * particles, the steps of the ORM's linear state). A kick v at the exit of corrector c
 * (u = p, v = d(exit)/d(KickAngle) over the element alone, as for the ORM) moves the
 * trajectory at u >= p by M_u M_p^-1 v and nothing upstream; a corrector keeps its
 * kick on every turn, so its column is the sum over its passages.
 */
import { MlayerError } from '@mlayer/core';
import { XY_STEP } from './constants.js';
import { correctorKicks } from './element-maps.js';
import { lu4, luSolve4, type Vec4 } from './mat4.js';
import { setParticle } from './propagate.js';
import { trackRange, type CompiledLattice } from './tracking-api.js';

/** Where a particle was lost: element index and 0-based turn (counted from the start element). */
export interface TrajectoryLoss {
  readonly element: number;
  readonly turn: number;
}

export interface TrajectoryResult {
  /** BPM positions (0..N) in lattice order. */
  readonly bpms: readonly number[];
  readonly turns: number;
  /** Element at whose entrance the particle starts. */
  readonly start: number;
  /** Turn-major readings: [t * bpms.length + i]; NaN downstream of the loss. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly lost?: TrajectoryLoss;
  /** Coordinates (6) after the last turn, at the entrance of the start element (NaN when lost). */
  readonly final: Float64Array;
}

function checkTurns(turns: number): void {
  if (!Number.isInteger(turns) || turns < 1) throw new MlayerError(`trajectory: turns ${turns} is not a positive integer`);
}

function checkStart(compiled: CompiledLattice, start: number): void {
  const N = compiled.elements.length;
  if (!Number.isInteger(start) || start < 0 || start >= N) throw new MlayerError(`trajectory: start element ${start} is outside 0..${N - 1}`);
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

/** Offset of position b (0..N) from the start k along the particle's path, in 0..N. */
function offset(b: number, k: number, N: number): number {
  if (b === N) return N - k;
  return b >= k ? b - k : b - k + N;
}

/** Unrolled position of every reading, turn-major (t * nb + i), sorted with its row index. */
function readingPositions(bpms: readonly number[], turns: number, k: number, N: number): { pos: Int32Array; order: Int32Array } {
  const nb = bpms.length;
  const pos = new Int32Array(turns * nb);
  for (let t = 0; t < turns; t++) for (let i = 0; i < nb; i++) pos[t * nb + i] = t * N + offset(bpms[i], k, N);
  const order = Int32Array.from(pos.keys()).sort((a, b) => pos[a] - pos[b] || a - b);
  return { pos, order };
}

/**
 * Tracks n particles along unrolled positions [from, to) from start k: segments split
 * at the lattice end and at turn boundaries, losses logged with their turn.
 */
function advance(
  compiled: CompiledLattice,
  coords: Float64Array,
  n: number,
  k: number,
  from: number,
  to: number,
  alive: Uint8Array,
  log: { lostTurn: Int32Array; lostElement: Int32Array },
): void {
  const N = compiled.elements.length;
  let u = from;
  while (u < to) {
    const turn = Math.floor(u / N);
    const e = (k + u) % N;
    // next boundary: the lattice end (element N) or the end of the turn (back at k)
    const toEnd = N - e;
    const toTurn = (turn + 1) * N - u;
    const step = Math.min(toEnd, toTurn, to - u);
    trackRange(compiled, coords, n, e, e + step, alive, { turn, lostTurn: log.lostTurn, lostElement: log.lostElement });
    u += step;
    if (!alive.every((a) => a === 1)) return;
  }
}

/**
 * Tracks one particle from `initial` at the entrance of element `start` for `turns`
 * turns with the lattice's apertures and AT's loss rule; x and y at the BPMs (sorted
 * positions 0..N) on every passage. The reading at the entrance of the element where
 * the particle is lost is kept; readings downstream are NaN.
 */
export function trackTrajectory(compiled: CompiledLattice, bpms: readonly number[], initial: ArrayLike<number>, turns = 1, start = 0): TrajectoryResult {
  checkTurns(turns);
  checkStart(compiled, start);
  checkBpms(compiled, bpms);
  const coords = checkInitial(initial);
  const N = compiled.elements.length;
  const x = new Float64Array(turns * bpms.length).fill(NaN);
  const y = new Float64Array(turns * bpms.length).fill(NaN);
  const alive = Uint8Array.of(1);
  const log = { lostTurn: new Int32Array(1), lostElement: new Int32Array(1).fill(-1) };
  const { pos, order } = readingPositions(bpms, turns, start, N);
  let u = 0;
  for (const r of order) {
    advance(compiled, coords, 1, start, u, pos[r], alive, log);
    u = pos[r];
    if (!alive[0]) break;
    x[r] = coords[0];
    y[r] = coords[2];
  }
  if (alive[0]) advance(compiled, coords, 1, start, u, turns * N, alive, log);
  const lost = alive[0] ? undefined : { element: log.lostElement[0], turn: log.lostTurn[0] - 1 };
  return { bpms: [...bpms], turns, start, x, y, lost, final: coords };
}

/** Transfer matrices and coordinates along a reference trajectory, unrolled over turns. */
export interface TrajectoryState {
  readonly compiled: CompiledLattice;
  readonly turns: number;
  /** Element at whose entrance the trajectory starts. */
  readonly start: number;
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

/** Linearised trajectory from `initial` at element `start` over `turns` turns (9 particles, one tracking pass). */
export function trajectoryState(compiled: CompiledLattice, initial: ArrayLike<number>, turns = 1, start = 0, step = XY_STEP): TrajectoryState {
  checkTurns(turns);
  checkStart(compiled, start);
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
  for (let u = 0; u < turns * N; u++) {
    const e = (start + u) % N;
    trackRange(compiled, c, n, e, e + 1, alive, { turn: Math.floor(u / N), lostTurn, lostElement });
    if (!alive.every((a) => a === 1)) {
      const k = alive.indexOf(0);
      lost = { element: lostElement[k], turn: lostTurn[k] - 1 };
      break;
    }
    valid = u + 1;
    record(valid);
  }
  return { compiled, turns, start, nElements: N, ms, coords, valid, lost, kicks: new Map() };
}

/** Trajectory response blocks: rows = turns x BPMs (turn-major), columns = correctors, m/rad. */
export interface TrajectoryResponseMatrices {
  readonly bpms: readonly number[];
  readonly correctors: readonly number[];
  readonly turns: number;
  readonly start: number;
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
  const { compiled, turns, start, nElements: N, ms, coords, valid } = state;
  checkBpms(compiled, bpms);
  for (const k of correctors) {
    if (!Number.isInteger(k) || k < 0 || k >= N) throw new RangeError(`corrector index ${k} is outside 0..${N - 1}`);
  }
  const nc = correctors.length;
  const { pos, order } = readingPositions(bpms, turns, start, N);
  const rows = pos.length;
  const mk = () => Array.from({ length: rows }, () => new Float64Array(nc));
  const Rxx = mk(), Rxy = mk(), Ryx = mk(), Ryy = mk();
  for (let r = 0; r < rows; r++) {
    if (pos[r] > valid) {
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
      const p = t * N + offset(k, start, N) + 1;
      if (p > valid) break;
      let v = state.kicks.get(p);
      if (!v) {
        v = correctorKicks(compiled, k, coords.subarray(6 * (p - 1), 6 * p));
        state.kicks.set(p, v);
      }
      const f = lu4(ms.subarray(16 * p, 16 * p + 16));
      if (!f) throw new MlayerError(`trajectory response: singular transfer matrix at element ${k} on turn ${t}`);
      luSolve4(f, v[0], ux);
      luSolve4(f, v[1], uy);
      // readings at or after p, in path order
      let o0 = 0;
      while (o0 < rows && pos[order[o0]] < p) o0++;
      for (let o = o0; o < rows; o++) {
        const r = order[o];
        const q = pos[r];
        if (q > valid) break;
        const b = 16 * q;
        const m0 = ms[b], m1 = ms[b + 1], m2 = ms[b + 2], m3 = ms[b + 3];
        const m8 = ms[b + 8], m9 = ms[b + 9], m10 = ms[b + 10], m11 = ms[b + 11];
        Rxx[r][j] += m0 * ux[0] + m1 * ux[1] + m2 * ux[2] + m3 * ux[3];
        Ryx[r][j] += m8 * ux[0] + m9 * ux[1] + m10 * ux[2] + m11 * ux[3];
        Rxy[r][j] += m0 * uy[0] + m1 * uy[1] + m2 * uy[2] + m3 * uy[3];
        Ryy[r][j] += m8 * uy[0] + m9 * uy[1] + m10 * uy[2] + m11 * uy[3];
      }
    }
  }
  return { bpms: [...bpms], correctors: [...correctors], turns, start, Rxx, Rxy, Ryx, Ryy, lost: state.lost };
}
