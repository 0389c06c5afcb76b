/**
 * 4D closed orbit at fixed momentum deviation (pyAT's find_orbit4): Newton
 * iterations on the one-turn map, the Jacobian from forward differences with
 * XYStep, stop when the norm of the change falls below the convergence limit.
 */
import { ORBIT_CONVERGENCE, ORBIT_MAX_ITERATIONS, XY_STEP } from './constants.js';
import { ClosedOrbitError, UnstableLatticeError } from './errors.js';
import { checkStable4 } from './amat.js';
import { lu4, luSolve4, type Mat4 } from './mat4.js';
import { normalizeRefpts, particleAt, setParticle, trackObserved } from './propagate.js';
import { trackRange, type CompiledLattice } from './tracking-api.js';

export interface OrbitOptions {
  /** Initial guess (6 numbers; its delta is replaced by dp). Default 0. */
  readonly guess?: ArrayLike<number>;
  readonly xyStep?: number;
  readonly convergence?: number;
  readonly maxIterations?: number;
  /**
   * Check the linear stability of the one-turn map at the solution and throw
   * UnstableLatticeError when it is unstable (default true).
   */
  readonly checkStability?: boolean;
}

export interface OrbitSolution {
  /** Closed orbit (x, px, y, py, dp, ct) at the entrance of element 0. */
  readonly orbit: Float64Array;
  /** One-turn Jacobian (4x4, forward differences) of the last Newton step. */
  readonly jacobian: Mat4;
  readonly iterations: number;
}

export interface FindOrbitResult {
  /** Closed orbit (6) at the entrance of element 0. */
  readonly orbit0: Float64Array;
  /** Closed orbit (6) at each refpt, in the order given. */
  readonly orbits: Float64Array[];
}

/**
 * Newton closed-orbit searches for several momentum deviations at once (the
 * problems are independent; each converges on its own, exactly as a separate
 * find_orbit4 would).
 */
export function solveOrbits4(
  compiled: CompiledLattice,
  dps: readonly number[],
  options: OrbitOptions & { readonly guesses?: readonly (ArrayLike<number> | undefined)[] } = {},
): OrbitSolution[] {
  const step = options.xyStep ?? XY_STEP;
  const conv = options.convergence ?? ORBIT_CONVERGENCE;
  const maxIter = options.maxIterations ?? ORBIT_MAX_ITERATIONS;
  const nElem = compiled.elements.length;
  const refs = dps.map((dp, q) => {
    const g = options.guesses?.[q] ?? options.guess;
    const r = new Float64Array(6);
    if (g) for (let k = 0; k < 6; k++) r[k] = g[k] ?? 0;
    r[4] = dp;
    return r;
  });
  const jac = dps.map(() => new Float64Array(16));
  const iters = new Int32Array(dps.length);
  const done = dps.map(() => false);
  const a = new Float64Array(16);
  const b = new Float64Array(4);
  const x = new Float64Array(4);
  for (;;) {
    const active: number[] = [];
    for (let q = 0; q < dps.length; q++) if (!done[q]) active.push(q);
    if (active.length === 0) break;
    const n = 5 * active.length;
    const coords = new Float64Array(6 * n);
    active.forEach((q, slot) => {
      for (let j = 0; j < 5; j++) {
        setParticle(coords, n, 5 * slot + j, refs[q]);
        if (j < 4) coords[j * n + 5 * slot + j] += step;
      }
    });
    const alive = new Uint8Array(n).fill(1);
    trackRange(compiled, coords, n, 0, nElem, alive);
    active.forEach((q, slot) => {
      const lost = (i: number) => !alive[5 * slot + i] || !Number.isFinite(coords[5 * slot + i]);
      if (lost(4)) {
        throw new ClosedOrbitError(
          dps[q],
          `the reference particle was lost during Newton iteration ${iters[q] + 1} (the orbit diverges or lies outside the aperture)`,
        );
      }
      if ([0, 1, 2, 3].some(lost)) {
        throw new UnstableLatticeError(
          `closed orbit at dp=${dps[q]}: particles displaced by ${step} from the orbit were lost in one turn (the one-turn map is strongly unstable)`,
        );
      }
    });
    active.forEach((q, slot) => {
      const base = 5 * slot;
      const ref = refs[q];
      const J = jac[q];
      for (let i = 0; i < 4; i++) {
        const o = coords[i * n + base + 4];
        for (let j = 0; j < 4; j++) J[4 * i + j] = (coords[i * n + base + j] - o) / step;
        b[i] = o - ref[i];
      }
      for (let k = 0; k < 16; k++) a[k] = J[k] - (k % 5 === 0 ? 1 : 0);
      const f = lu4(a);
      if (!f) {
        throw new ClosedOrbitError(dps[q], 'the one-turn Jacobian minus identity is singular (integer tune): no unique closed orbit');
      }
      luSolve4(f, b, x);
      let change = 0;
      for (let i = 0; i < 4; i++) {
        ref[i] -= x[i];
        change += x[i] * x[i];
      }
      change = Math.sqrt(change);
      iters[q]++;
      if (!Number.isFinite(change)) throw new ClosedOrbitError(dps[q], 'Newton iteration produced a non-finite orbit');
      if (change <= conv) done[q] = true;
      else if (iters[q] >= maxIter) {
        throw new ClosedOrbitError(
          dps[q],
          `no convergence after ${maxIter} Newton iterations (last change ${change.toExponential(3)} > ${conv})`,
        );
      }
    });
  }
  return refs.map((orbit, q) => {
    if (options.checkStability ?? true) checkStable4(jac[q], `closed orbit at dp=${dps[q]}`);
    return { orbit, jacobian: jac[q], iterations: iters[q] };
  });
}

/** Closed orbit at the entrance of the given positions (0..N), by tracking orbit0 once. */
export function propagateOrbit(compiled: CompiledLattice, orbit0: ArrayLike<number>, refpts: readonly number[]): Float64Array[] {
  const pts = normalizeRefpts(refpts, compiled.elements.length);
  const coords = Float64Array.from(orbit0);
  const seen = new Map<number, Float64Array>();
  trackObserved(compiled, coords, 1, pts, (p, c) => seen.set(p, particleAt(c, 1, 0)));
  return refpts.map((r) => Float64Array.from(seen.get(r)!));
}

/**
 * 4D closed orbit at fixed dp (pyAT find_orbit4). Throws ClosedOrbitError when
 * Newton fails and UnstableLatticeError when the one-turn map at the orbit is
 * linearly unstable.
 */
export function findOrbit4(
  compiled: CompiledLattice,
  dp = 0,
  refpts: readonly number[] = [],
  options: OrbitOptions = {},
): FindOrbitResult {
  const [sol] = solveOrbits4(compiled, [dp], options);
  return { orbit0: sol.orbit, orbits: refpts.length ? propagateOrbit(compiled, sol.orbit, refpts) : [] };
}
