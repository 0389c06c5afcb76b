/**
 * The synchronous orbit (pyAT find_sync_orbit): the closed orbit of the 4D lattice (no active
 * cavity, no radiation) whose path lengthening per turn is fixed, i.e. the orbit a particle
 * follows when the RF frequency, not the momentum, is imposed.
 *
 *   (x, px, y, py, dp, ct1 + dct) = M (x, px, y, py, dp, ct1)
 *
 * Newton on the five unknowns x, px, y, py, dp (dp constant along the turn): the residual is
 * the transverse mismatch and ct2 - ct1 - dct, the 5x5 Jacobian by forward differences with
 * XYStep on all five (as pyAT's _orbit_dct), stopped when |change| <= 1e-12.
 *
 * Exactly one of the three specifications (pyAT's arguments):
 * - dct: path lengthening per turn [m] (default 0 when none is given);
 * - df: RF frequency deviation [Hz] from the nominal f_RF = h beta c / L (h the harmonic number of
 *   the lattice's cavities, L the lattice as given): dct = -L df / (f_RF + df);
 * - dp: the momentum deviation itself: the 4D closed orbit at dp (findOrbit4), its dct reported.
 *
 * orbit0[5] is the starting ct (0, or the guess's), as pyAT returns (x, px, y, py, dp, 0).
 */
import { MlayerError } from '@mlayer/core';
import { ORBIT_CONVERGENCE, ORBIT_MAX_ITERATIONS, XY_STEP } from './constants.js';
import { isCavity } from './enable-6d.js';
import { ClosedOrbitError } from './errors.js';
import { findOrbit4, propagateOrbit } from './orbit.js';
import { solveSquare, trackBatch } from './orbit6.js';
import type { CompiledLattice } from './tracking-api.js';

const C0 = 299792458;

export interface SyncOrbitOptions {
  /** Path lengthening per turn ct2 - ct1 [m]. */
  readonly dct?: number;
  /** RF frequency deviation from the nominal h beta c / L [Hz]. */
  readonly df?: number;
  /** Fixed momentum deviation. */
  readonly dp?: number;
  readonly guess?: ArrayLike<number>;
  readonly xyStep?: number;
  readonly convergence?: number;
  readonly maxIterations?: number;
}

export interface SyncOrbitResult {
  /** (x, px, y, py, dp, ct) at the entrance of element 0. */
  readonly orbit0: Float64Array;
  /** The orbit at each refpt (element entrances; N = the end). */
  readonly orbits: Float64Array[];
  /** The path lengthening per turn of the orbit [m]. */
  readonly dct: number;
}

/** A 6D lattice (active cavity or radiation) was given to a 4D-only solution. */
export class Lattice6dError extends MlayerError {
  constructor(what: string, index: number, name: string, method: string) {
    super(`${what}: element #${index} '${name}' has the 6D pass method ${method}; this solution needs the 4D lattice (disable6d, or compile without sixD)`);
  }
}

function check4d(compiled: CompiledLattice, what: string): void {
  for (const c of compiled.elements) {
    const m = c.method.name;
    if (m === 'RFCavityPass' || m === 'CavityPass' || m.endsWith('RadPass')) throw new Lattice6dError(what, c.index, String(c.element.FamName), m);
  }
}

/** Nominal RF frequency h beta c / L of the lattice as given, h from its cavities' frequency. */
export function nominalRfFrequency(compiled: CompiledLattice): number {
  let length = 0;
  let f = 0;
  for (const c of compiled.elements) {
    length += c.element.Length;
    const e = c.element;
    if (f === 0 && isCavity(e) && Number(e.Frequency) > 0) f = Number(e.Frequency);
  }
  if (f === 0) throw new MlayerError('synchronous orbit with df: the lattice has no RF cavity with a Frequency (the harmonic number is unknown); give dct instead');
  const rest = compiled.ring?.restEnergy ?? 0;
  const beta = rest > 0 ? Math.sqrt(1 - (rest / compiled.ring!.energy) ** 2) : 1;
  const h = Math.round((f * length) / (beta * C0));
  return (h * beta * C0) / length;
}

function pathLength(compiled: CompiledLattice, orbit0: Float64Array): number {
  const [out] = trackBatch(compiled, [Float64Array.from(orbit0)], '4D one-turn map');
  return out[5] - orbit0[5];
}

/** pyAT find_sync_orbit on the 4D lattice; refpts as propagateOrbit. */
export function findSyncOrbit(compiled: CompiledLattice, options: SyncOrbitOptions = {}, refpts: readonly number[] = []): SyncOrbitResult {
  check4d(compiled, 'synchronous orbit');
  const given = (['dct', 'df', 'dp'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 1) throw new MlayerError(`synchronous orbit: give one of dct, df and dp (got ${given.join(', ')})`);
  for (const k of given) if (!Number.isFinite(options[k])) throw new MlayerError(`synchronous orbit: ${k} ${String(options[k])} is not a finite number`);
  const result = (orbit0: Float64Array, dct: number): SyncOrbitResult => ({ orbit0, orbits: refpts.length ? propagateOrbit(compiled, orbit0, refpts) : [], dct });
  if (options.dp !== undefined) {
    const orbit0 = findOrbit4(compiled, options.dp, [], { guess: options.guess, xyStep: options.xyStep, convergence: options.convergence, maxIterations: options.maxIterations }).orbit0;
    return result(orbit0, pathLength(compiled, orbit0));
  }
  let dct = options.dct ?? 0;
  if (options.df !== undefined) {
    const L = compiled.elements.reduce((s, c) => s + c.element.Length, 0);
    const frf = nominalRfFrequency(compiled);
    dct = (-L * options.df) / (frf + options.df);
  }
  const step = options.xyStep ?? XY_STEP;
  const conv = options.convergence ?? ORBIT_CONVERGENCE;
  const maxIter = options.maxIterations ?? ORBIT_MAX_ITERATIONS;
  const rows5 = [0, 1, 2, 3, 5];
  let ref = new Float64Array(6);
  if (options.guess) for (let k = 0; k < 6; k++) ref[k] = options.guess[k];
  for (let it = 0; it < maxIter; it++) {
    const rows = [0, 1, 2, 3, 4].map((j) => { const r = Float64Array.from(ref); r[j] += step; return r; });
    rows.push(Float64Array.from(ref));
    const out = trackBatch(compiled, rows, '4D one-turn map');
    const o = out[5];
    const a = new Float64Array(25);
    const b = new Float64Array(5);
    rows5.forEach((ri, i) => {
      for (let j = 0; j < 5; j++) a[5 * i + j] = (out[j][ri] - o[ri]) / step - (i === j && i < 4 ? 1 : 0);
      b[i] = i < 4 ? o[ri] - ref[ri] : o[5] - ref[5] - dct;
    });
    const x = solveSquare(a, b, 5, 'synchronous-orbit Jacobian');
    let change = 0;
    const next = Float64Array.from(ref);
    for (let j = 0; j < 5; j++) { next[j] -= x[j]; change += x[j] * x[j]; }
    ref = next;
    if (!Number.isFinite(change)) throw new ClosedOrbitError(ref[4], 'synchronous-orbit Newton iteration produced a non-finite orbit');
    if (Math.sqrt(change) <= conv) return result(ref, dct);
  }
  throw new ClosedOrbitError(ref[4], `synchronous orbit (dct ${dct} m): no convergence after ${maxIter} Newton iterations`);
}
