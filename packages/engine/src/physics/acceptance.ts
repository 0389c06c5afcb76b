/**
 * Dynamic aperture by tracking (pyAT get_acceptance with GridMode.RADIAL, its defaults):
 *   grid: r = linspace(1e-6, 1, nr), theta = linspace(pi, 0, ntheta); point k = i_theta nr + i_r at
 *         x = A0 r cos(theta), y = A1 r sin(theta)
 *   start: closed orbit at element 0 (4D: find_orbit4 at dp = 0; 6D: find_orbit6) + 1e-6 on all six
 *          coordinates + (x, 0, y, 0, 0, 0)
 *   tracked nturns + 1 passes of the lattice as given (pyAT's projection turn, then nturns), lost when
 *   |x|, |px|, |y|, |py| or |delta| > 1 or a coordinate is not finite after any element
 *   boundary per angle: the grid point before the first lost one along increasing r (the last if none).
 * One thread; the particles are tracked together (structure of arrays).
 */
import { findOrbit4 } from './orbit.js';
import { findOrbit6 } from './orbit6.js';
import type { CompiledLattice } from './tracking-api.js';
import { track } from '../tracking/track.js';

export interface DynamicApertureOptions {
  readonly amplitudes: readonly [number, number];
  readonly npoints: readonly [number, number];
  readonly nturns: number;
  /** Use the 6D closed orbit (lattice compiled with compile6d). */
  readonly sixD: boolean;
  readonly shiftZero?: number;
  /** Track only these angle indices of the grid (a reduced grid with the same points); default all. */
  readonly thetaIndices?: readonly number[];
}

export interface DynamicApertureResult {
  /** Grid points [x, y] (m), point k = i_theta nr + i_r (i_theta counts the tracked angles). */
  readonly grid: [number, number][];
  readonly survived: boolean[];
  /** Boundary point [x, y] per angle. */
  readonly boundary: [number, number][];
  readonly orbit: Float64Array;
}

function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

/** The grid points and starting coordinates (SoA) of a dynamic-aperture run. */
export function dynamicApertureStart(compiled: CompiledLattice, o: DynamicApertureOptions): { grid: [number, number][]; coords: Float64Array; orbit: Float64Array; angles: number } {
  const [nr, nt] = o.npoints;
  const shift = o.shiftZero ?? 1e-6;
  const orbit = o.sixD ? findOrbit6(compiled) : findOrbit4(compiled, 0).orbit0;
  const rs = linspace(1e-6, 1, nr);
  const allThetas = linspace(Math.PI, 0, nt);
  const ths = o.thetaIndices ? o.thetaIndices.map((i) => allThetas[i]) : allThetas;
  const grid: [number, number][] = [];
  for (const th of ths) for (const r of rs) grid.push([o.amplitudes[0] * r * Math.cos(th), o.amplitudes[1] * r * Math.sin(th)]);
  const n = grid.length;
  const c = new Float64Array(6 * n);
  grid.forEach(([x, y], i) => {
    for (let k = 0; k < 6; k++) c[k * n + i] = orbit[k] + shift;
    c[i] += x;
    c[2 * n + i] += y;
  });
  return { grid, coords: c, orbit, angles: ths.length };
}

/** Survival flags and boundary per angle from the loss turns of the grid points. */
export function dynamicApertureResult(grid: [number, number][], lostTurn: ArrayLike<number>, nr: number, angles: number, orbit: Float64Array): DynamicApertureResult {
  const survived = Array.from(lostTurn, (t) => t === 0);
  const boundary: [number, number][] = [];
  for (let it = 0; it < angles; it++) {
    let last = it * nr;
    for (let ir = 0; ir < nr; ir++) {
      if (!survived[it * nr + ir]) break;
      last = it * nr + ir;
    }
    boundary.push(grid[last]);
  }
  return { grid, survived, boundary, orbit };
}

export function dynamicAperture(compiled: CompiledLattice, o: DynamicApertureOptions): DynamicApertureResult {
  const { grid, coords, orbit, angles } = dynamicApertureStart(compiled, o);
  const res = track(compiled, coords, { turns: o.nturns + 1 });
  return dynamicApertureResult(grid, res.lostTurn, o.npoints[0], angles, orbit);
}

export interface MomentumScanOptions {
  /** Largest |delta| of the scan. */
  readonly amplitude: number;
  readonly npoints: number;
  readonly nturns: number;
  readonly sixD: boolean;
  readonly shiftZero?: number;
}

export interface MomentumScanResult {
  readonly dp: number[];
  readonly survived: boolean[];
  /** Innermost surviving delta on each side of 0 before the first loss: [negative, positive]. */
  readonly boundary: [number, number];
}

/**
 * Momentum acceptance as a scan (pyAT get_acceptance(['dp'], CARTESIAN)): delta = amplitude
 * linspace(-1, 1, npoints) added to the closed orbit + 1e-6 (all coordinates); tracking and loss
 * rule as dynamicAperture. Boundary: from delta = 0 outwards, the last survivor before the first loss.
 */
export function momentumScan(compiled: CompiledLattice, o: MomentumScanOptions): MomentumScanResult {
  const shift = o.shiftZero ?? 1e-6;
  const orbit = o.sixD ? findOrbit6(compiled) : findOrbit4(compiled, 0).orbit0;
  const dp = linspace(-o.amplitude, o.amplitude, o.npoints);
  const n = dp.length;
  const c = new Float64Array(6 * n);
  dp.forEach((d, i) => {
    for (let k = 0; k < 6; k++) c[k * n + i] = orbit[k] + shift;
    c[4 * n + i] += d;
  });
  const res = track(compiled, c, { turns: o.nturns + 1 });
  const survived = Array.from(res.lostTurn, (t) => t === 0);
  const mid = Math.floor(n / 2);
  let lo = mid, hi = mid;
  while (lo - 1 >= 0 && survived[lo - 1]) lo--;
  while (hi + 1 < n && survived[hi + 1]) hi++;
  return { dp, survived, boundary: [dp[lo], dp[hi]] };
}
