/**
 * Particle bookkeeping on top of the tracking functions: packing particles into
 * the SoA layout, one-turn passes with observation at element entrances, and
 * checks for lost particles.
 */
import { trackRange, type CompiledLattice } from './tracking-api.js';

/** SoA coordinates (6*n) from particle rows of 6 numbers. */
export function packParticles(rows: readonly ArrayLike<number>[]): Float64Array {
  const n = rows.length;
  const c = new Float64Array(6 * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < 6; k++) c[k * n + i] = rows[i][k];
  return c;
}

/** Copies particle i of SoA coords into a 6-vector. */
export function particleAt(coords: Float64Array, n: number, i: number, out: Float64Array = new Float64Array(6)): Float64Array {
  for (let k = 0; k < 6; k++) out[k] = coords[k * n + i];
  return out;
}

/** Sets particle i of SoA coords from a 6-vector. */
export function setParticle(coords: Float64Array, n: number, i: number, v: ArrayLike<number>): void {
  for (let k = 0; k < 6; k++) coords[k * n + i] = v[k];
}

/** True when some particle is flagged lost or has a non-finite coordinate. */
export function anyLost(coords: Float64Array, n: number, alive: Uint8Array): boolean {
  for (let i = 0; i < n; i++) if (!alive[i]) return true;
  for (let k = 0; k < 6 * n; k++) if (!Number.isFinite(coords[k])) return true;
  return false;
}

/** Tracks n particles in place through elements [from, to). Returns false when a particle was lost. */
export function trackSegment(compiled: CompiledLattice, coords: Float64Array, n: number, from: number, to: number): boolean {
  const alive = new Uint8Array(n).fill(1);
  if (to > from) trackRange(compiled, coords, n, from, to, alive);
  return !anyLost(coords, n, alive);
}

/**
 * One turn of n particles, calling `observe(p)` with the coordinates at the
 * entrance of every position p in `points` (sorted, unique, 0..N where N is the
 * end of the lattice). Returns false when a particle was lost.
 */
export function trackObserved(
  compiled: CompiledLattice,
  coords: Float64Array,
  n: number,
  points: readonly number[],
  observe: (position: number, coords: Float64Array) => void,
): boolean {
  const nElem = compiled.elements.length;
  const alive = new Uint8Array(n).fill(1);
  let pos = 0;
  for (const p of points) {
    if (p > pos) {
      trackRange(compiled, coords, n, pos, p, alive);
      pos = p;
    }
    observe(p, coords);
  }
  if (pos < nElem) trackRange(compiled, coords, n, pos, nElem, alive);
  return !anyLost(coords, n, alive);
}

/** Sorted unique positions 0..N from any list (throws on out-of-range values). */
export function normalizeRefpts(refpts: readonly number[], nElements: number): number[] {
  for (const r of refpts) {
    if (!Number.isInteger(r) || r < 0 || r > nElements) {
      throw new RangeError(`refpt ${r} is outside 0..${nElements} (N = ${nElements} is the end of the lattice)`);
    }
  }
  return [...new Set(refpts)].sort((a, b) => a - b);
}

/** Total length of the lattice (sum of element lengths), in m. */
export function latticeLength(compiled: CompiledLattice): number {
  let s = 0;
  for (const ce of compiled.elements) s += ce.element.Length;
  return s;
}

/** s at the entrance of every position 0..N. */
export function sPositions(compiled: CompiledLattice): Float64Array {
  const n = compiled.elements.length;
  const s = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) s[i + 1] = s[i] + compiled.elements[i].element.Length;
  return s;
}
