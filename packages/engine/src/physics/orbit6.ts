/**
 * 6D closed orbit and one-turn matrix (pyAT find_orbit6 / find_m66).
 *
 * find_orbit6: Newton on F(r) = M(r) - r - theta, theta = (0,0,0,0,0, beta c h / f_RF - L):
 * the RF frequency sets the path length per turn (h = round(f_RF L / beta c), L the
 * length of the lattice as given, i.e. one cell), and the cavities restore the energy
 * lost by radiation at the synchronous phase. Jacobian by forward differences
 * (XYStep on x, px, y, py; DPStep on delta, ct), stop when |change| <= 1e-12.
 * Initial ct: the synchronous phase of the energy loss U0 (radiation integral I2):
 * with the cavity kick -V/E sin(2 pi f ct / c), ct0 = -(c / 2 pi f) asin(U0 / V).
 *
 * find_m66: central differences, coordinates displaced by +-step/2 (same steps).
 */
import { MlayerError } from '@mlayer/core';
import { DP_STEP, ORBIT_CONVERGENCE, ORBIT_MAX_ITERATIONS, XY_STEP } from './constants.js';
import { ClosedOrbitError } from './errors.js';
import { trackRange, type CompiledLattice } from './tracking-api.js';

const C0 = 299792458;

/** A 6D-only quantity was asked of a lattice without an RF cavity (or energy). */
export class NoCavityError extends MlayerError {
  constructor(what: string) {
    super(`${what}: the lattice has no RF cavity (no 6D closed orbit, synchrotron tune, envelope or bunch length; radiation-integral values only)`);
  }
}

export interface Orbit6Options {
  readonly guess?: ArrayLike<number>;
  readonly xyStep?: number;
  readonly dpStep?: number;
  readonly convergence?: number;
  readonly maxIterations?: number;
}

export interface RfSummary {
  /** Total voltage of the lattice as given (one cell) [V]. */
  readonly voltage: number;
  readonly frequency: number;
  /** Harmonic number of the lattice as given, round(f L / c). */
  readonly harmonic: number;
  readonly cellLength: number;
}

export function rfSummary(compiled: CompiledLattice, what = '6D closed orbit'): RfSummary {
  let voltage = 0;
  let frequency = 0;
  let cellLength = 0;
  for (const c of compiled.elements) {
    const e = c.element;
    cellLength += e.Length;
    if (c.method.name === 'RFCavityPass' || c.method.name === 'CavityPass') {
      voltage += Number(e.Voltage);
      if (frequency === 0) frequency = Number(e.Frequency);
    }
  }
  if (!(frequency > 0) || !(voltage > 0)) throw new NoCavityError(what);
  return { voltage, frequency, harmonic: Math.round((frequency * cellLength) / C0), cellLength };
}

/** I2 of the lattice as given (one cell): sum over bends of angle^2 / L. */
export function cellI2(compiled: CompiledLattice): number {
  let i2 = 0;
  for (const c of compiled.elements) {
    const e = c.element;
    const angle = typeof e.BendingAngle === 'number' ? e.BendingAngle : 0;
    if (angle !== 0 && e.Length > 0) i2 += (angle * angle) / e.Length;
  }
  return i2;
}

/** C_gamma [m/eV^3], scipy CODATA 2018 as pyAT's get_energy_loss. */
export const CGAMMA_M_PER_EV3 = 8.846273822420375e-32;

/** Energy loss of the lattice as given (one cell) [eV], pyAT's INTEGRAL method: C_gamma/2pi E^4 I2. */
export function cellEnergyLoss(compiled: CompiledLattice): number {
  const E = compiled.ring?.energy ?? compiled.lattice.properties.energy;
  return (CGAMMA_M_PER_EV3 / (2 * Math.PI)) * E ** 4 * cellI2(compiled);
}

/** One turn of each row (6 coordinates); a lost particle is a ClosedOrbitError naming `map`. */
export function trackBatch(compiled: CompiledLattice, rows: Float64Array[], map = '6D one-turn map'): Float64Array[] {
  const n = rows.length;
  const coords = new Float64Array(6 * n);
  rows.forEach((r, i) => { for (let k = 0; k < 6; k++) coords[k * n + i] = r[k]; });
  const alive = new Uint8Array(n).fill(1);
  trackRange(compiled, coords, n, 0, compiled.elements.length, alive);
  return rows.map((_, i) => {
    const o = new Float64Array(6);
    for (let k = 0; k < 6; k++) o[k] = coords[k * n + i];
    if (!alive[i] || o.some((v) => !Number.isFinite(v))) throw new ClosedOrbitError(0, `a particle was lost in the ${map}`);
    return o;
  });
}

/** Solves an n x n linear system a x = b (row-major, partial pivoting); a and b are overwritten. */
export function solveSquare(a: Float64Array, b: Float64Array, n: number, what = '6D one-turn Jacobian minus identity'): Float64Array {
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[n * r + c]) > Math.abs(a[n * p + c])) p = r;
    if (a[n * p + c] === 0) throw new ClosedOrbitError(0, `the ${what} is singular`);
    if (p !== c) {
      for (let k = 0; k < n; k++) { const t = a[n * c + k]; a[n * c + k] = a[n * p + k]; a[n * p + k] = t; }
      const t = b[c]; b[c] = b[p]; b[p] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = a[n * r + c] / a[(n + 1) * c];
      for (let k = c; k < n; k++) a[n * r + k] -= f * a[n * c + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= a[n * r + k] * x[k];
    x[r] = s / a[(n + 1) * r];
  }
  return x;
}

/** 6D closed orbit at the entrance of element 0 (pyAT find_orbit6, compile the lattice with compile6d). */
export function findOrbit6(compiled: CompiledLattice, options: Orbit6Options = {}): Float64Array {
  const rf = rfSummary(compiled);
  const xy = options.xyStep ?? XY_STEP;
  const dps = options.dpStep ?? DP_STEP;
  const conv = options.convergence ?? ORBIT_CONVERGENCE;
  const maxIter = options.maxIterations ?? ORBIT_MAX_ITERATIONS;
  const theta5 = (C0 * rf.harmonic) / rf.frequency - rf.cellLength;
  const scale = [xy, xy, xy, xy, dps, dps];
  let ref = new Float64Array(6);
  if (options.guess) for (let k = 0; k < 6; k++) ref[k] = options.guess[k];
  else {
    const u0 = cellEnergyLoss(compiled);
    ref[5] = -(C0 / (2 * Math.PI * rf.frequency)) * Math.asin(Math.min(1, u0 / rf.voltage));
  }
  for (let it = 0; it < maxIter; it++) {
    const rows = scale.map((s, j) => { const r = Float64Array.from(ref); r[j] += s; return r; });
    rows.push(Float64Array.from(ref));
    const out = trackBatch(compiled, rows);
    const o = out[6];
    const a = new Float64Array(36);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) a[6 * i + j] = (out[j][i] - o[i]) / scale[j] - (i === j ? 1 : 0);
    const b = new Float64Array(6);
    for (let i = 0; i < 6; i++) b[i] = o[i] - ref[i] - (i === 5 ? theta5 : 0);
    const x = solveSquare(a, b, 6);
    const next = new Float64Array(6);
    let change = 0;
    for (let i = 0; i < 6; i++) { next[i] = ref[i] - x[i]; change += x[i] * x[i]; }
    ref = next;
    if (!Number.isFinite(change)) throw new ClosedOrbitError(0, '6D Newton iteration produced a non-finite orbit');
    if (Math.sqrt(change) <= conv) return ref;
  }
  throw new ClosedOrbitError(0, `6D closed orbit: no convergence after ${maxIter} Newton iterations`);
}

/** 6x6 one-turn matrix (row-major) around orbit0 by central differences (pyAT find_m66). */
export function findM66(compiled: CompiledLattice, orbit0: ArrayLike<number>, options: { xyStep?: number; dpStep?: number } = {}): Float64Array {
  const xy = options.xyStep ?? XY_STEP;
  const dps = options.dpStep ?? DP_STEP;
  const scale = [xy, xy, xy, xy, dps, dps];
  const rows: Float64Array[] = [];
  for (const sign of [1, -1]) for (let j = 0; j < 6; j++) {
    const r = Float64Array.from(orbit0);
    r[j] += (sign * scale[j]) / 2;
    rows.push(r);
  }
  const out = trackBatch(compiled, rows);
  const m = new Float64Array(36);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) m[6 * i + j] = (out[j][i] - out[6 + j][i]) / scale[j];
  return m;
}
