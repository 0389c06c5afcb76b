/**
 * Tracking through a compiled lattice: element ranges, many turns, recording at
 * refpts, and AT's loss rule, applied after every element: a particle is lost when a
 * coordinate is not finite or |x|, |px|, |y|, |py|, |delta| exceeds 1 (m or rad).
 * Lost particles are flagged (turn and element), stop being tracked and are set to NaN.
 */
import { TrackingArgumentError } from './errors.js';
import type { CompiledLattice, ParticleSet, TrackContext, TrackOptions, TrackResult } from './types.js';

/** AT's LIMIT_AMPLITUDE. */
export const LOSS_LIMIT = 1;

/** Where trackRange records losses, and the turn being tracked. */
export interface LossLog {
  /** Turn being tracked (0-based), passed to turn-dependent pass methods (default 0). */
  readonly turn?: number;
  /** Set to 1 + turn for particles lost here. */
  readonly lostTurn?: Int32Array;
  /** Set to the element index for particles lost here. */
  readonly lostElement?: Int32Array;
  /** Receives the coordinates (SoA 6*n) at the exit of the element where a particle was lost. */
  readonly lostCoords?: Float64Array;
}

/** Alive flags from coordinates: a particle whose x is NaN counts as lost (as in AT). */
export function aliveFromCoords(coords: Float64Array, n: number): Uint8Array {
  const alive = new Uint8Array(n);
  for (let i = 0; i < n; i++) alive[i] = Number.isNaN(coords[i]) ? 0 : 1;
  return alive;
}

function checkCoords(coords: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new TrackingArgumentError(`particle count ${n} is not a non-negative integer`);
  if (coords.length !== 6 * n) {
    throw new TrackingArgumentError(`coordinate array has ${coords.length} values; expected 6*n = ${6 * n} (SoA, n = ${n})`);
  }
}

function checkLosses(c: Float64Array, n: number, alive: Uint8Array, element: number, turn: number, log: LossLog | undefined): void {
  const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    const ct = c[o5 + i];
    if (
      Math.abs(c[i]) <= LOSS_LIMIT &&
      Math.abs(c[o1 + i]) <= LOSS_LIMIT &&
      Math.abs(c[o2 + i]) <= LOSS_LIMIT &&
      Math.abs(c[o3 + i]) <= LOSS_LIMIT &&
      Math.abs(c[o4 + i]) <= LOSS_LIMIT &&
      ct - ct === 0
    ) continue;
    alive[i] = 0;
    if (log) {
      if (log.lostTurn) log.lostTurn[i] = turn + 1;
      if (log.lostElement) log.lostElement[i] = element;
      if (log.lostCoords) for (let k = 0; k < 6; k++) log.lostCoords[k * n + i] = c[k * n + i];
    }
    for (let k = 0; k < 6; k++) c[k * n + i] = NaN;
  }
}

/**
 * Tracks n particles in place through elements [from, to). `alive` (default: from the
 * coordinates) is updated as particles are lost; `log` receives where they were lost.
 */
export function trackRange(
  compiled: CompiledLattice,
  coords: Float64Array,
  n: number,
  from: number,
  to: number,
  alive?: Uint8Array,
  log?: LossLog,
): void {
  checkCoords(coords, n);
  const N = compiled.elements.length;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > N || from > to) {
    throw new TrackingArgumentError(`element range [${from}, ${to}) is not within [0, ${N}]`);
  }
  const flags = alive ?? aliveFromCoords(coords, n);
  if (flags.length !== n) throw new TrackingArgumentError(`alive flags have length ${flags.length}; expected ${n}`);
  const turn = log?.turn ?? 0;
  const ctx: TrackContext = { turn };
  const elements = compiled.elements;
  // AT checks for losses after every element. An identity element cannot change any
  // coordinate, so after a check its own check is skipped; only coordinates that
  // arrive unchecked (the first element of the range) are checked there.
  let unchecked = true;
  for (let e = from; e < to; e++) {
    const el = elements[e];
    if (!el.identity) {
      el.method.track(coords, n, el.params, flags, ctx);
      unchecked = true;
    }
    if (unchecked) {
      checkLosses(coords, n, flags, e, turn, log);
      unchecked = false;
    }
  }
}

/** A particle set of n particles at the origin, all alive. */
export function createParticles(n: number): ParticleSet {
  if (!Number.isInteger(n) || n < 0) throw new TrackingArgumentError(`particle count ${n} is not a non-negative integer`);
  return { coords: new Float64Array(6 * n), n, lostTurn: new Int32Array(n), lostElement: new Int32Array(n).fill(-1) };
}

/** A particle set from rows [x, px, y, py, delta, ct], one per particle. */
export function particlesFromRows(rows: readonly (readonly number[])[]): ParticleSet {
  const p = createParticles(rows.length);
  rows.forEach((row, i) => {
    if (row.length !== 6) throw new TrackingArgumentError(`particle ${i} has ${row.length} coordinates; expected 6`);
    for (let k = 0; k < 6; k++) p.coords[k * p.n + i] = row[k];
  });
  return p;
}

/** SoA coordinates to rows [x, px, y, py, delta, ct], one per particle. */
export function coordsToRows(coords: Float64Array, n: number): number[][] {
  checkCoords(coords, n);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let k = 0; k < 6; k++) row.push(coords[k * n + i]);
    rows.push(row);
  }
  return rows;
}

function isParticleSet(x: ParticleSet | Float64Array): x is ParticleSet {
  return !(x instanceof Float64Array);
}

/**
 * Tracks particles (in place) over `turns` turns, recording at `refpts` on every turn.
 * With a ParticleSet, its lostTurn/lostElement arrays are updated and returned.
 */
export function track(compiled: CompiledLattice, particles: ParticleSet | Float64Array, options: TrackOptions = {}): TrackResult {
  const coords = isParticleSet(particles) ? particles.coords : particles;
  if (!isParticleSet(particles) && coords.length % 6 !== 0) {
    throw new TrackingArgumentError(`coordinate array has ${coords.length} values, not a multiple of 6`);
  }
  const n = isParticleSet(particles) ? particles.n : coords.length / 6;
  checkCoords(coords, n);
  const turns = options.turns ?? 1;
  if (!Number.isInteger(turns) || turns < 0) throw new TrackingArgumentError(`turns ${turns} is not a non-negative integer`);
  const N = compiled.elements.length;
  const refpts = [...new Set(options.refpts ?? [])].sort((a, b) => a - b);
  for (const r of refpts) {
    if (!Number.isInteger(r) || r < 0 || r > N) throw new TrackingArgumentError(`refpt ${r} is not an element index in [0, ${N}]`);
  }
  const lostTurn = isParticleSet(particles) ? particles.lostTurn : new Int32Array(n);
  const lostElement = isParticleSet(particles) ? particles.lostElement : new Int32Array(n).fill(-1);
  const lostCoords = new Float64Array(6 * n).fill(NaN);
  const alive = aliveFromCoords(coords, n);
  for (let i = 0; i < n; i++) if (lostTurn[i] !== 0) alive[i] = 0;
  const record: Float64Array[][] | undefined = options.refpts ? [] : undefined;
  for (let turn = 0; turn < turns; turn++) {
    const log: LossLog = { turn, lostTurn, lostElement, lostCoords };
    let pos = 0;
    const row: Float64Array[] = [];
    for (const r of refpts) {
      trackRange(compiled, coords, n, pos, r, alive, log);
      row.push(coords.slice());
      pos = r;
    }
    trackRange(compiled, coords, n, pos, N, alive, log);
    if (record) record.push(row);
  }
  return { coords, record, refpts: options.refpts ? refpts : undefined, lostTurn, lostElement, lostCoords };
}
