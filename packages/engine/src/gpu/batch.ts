/**
 * Batched model evaluation over many lattice configurations at once (error seeds,
 * optimiser candidates): 4D closed orbits by Newton iterations whose Jacobians come from
 * tracking (5 particles per configuration per iteration, all configurations in one
 * tracking call), tunes from the tracked one-turn matrix at the orbit, and orbit response
 * matrices as closed orbits of configurations with each corrector kicked by +-h.
 * Works on any Tracker (CPU, workers or WebGPU); the tracker's configurations are the
 * batch.
 */
import { ORBIT_CONVERGENCE, ORBIT_MAX_ITERATIONS, XY_STEP } from '../physics/constants.js';
import { ClosedOrbitError } from '../physics/errors.js';
import { lu4, luSolve4 } from '../physics/mat4.js';
import { normalModes4 } from '../physics/amat.js';
import type { AtElement, Lattice } from '../lattice.js';
import { TrackingArgumentError } from '../tracking/errors.js';
import { createTracker, type CreateTrackerOptions, type Tracker } from './tracker.js';

export interface BatchOrbitOptions {
  /** Momentum deviation (default 0). */
  readonly dp?: number;
  /** Finite-difference step of the Jacobian (default the engine's XY_STEP). */
  readonly xyStep?: number;
  /** Newton stops when the largest change falls below this (default ORBIT_CONVERGENCE). */
  readonly convergence?: number;
  readonly maxIterations?: number;
}

export interface BatchOrbit {
  /** Closed orbit (6) at the entrance of element 0. */
  readonly orbit: Float64Array;
  /** One-turn Jacobian (4x4 row-major, forward differences) at the last iteration. */
  readonly jacobian: Float64Array;
  readonly iterations: number;
}

/**
 * Closed orbits of all K configurations of `tracker` (`configs` = K). Each Newton step
 * tracks 5K particles over one turn.
 */
export async function closedOrbits4(tracker: Tracker, configs: number, options: BatchOrbitOptions = {}): Promise<BatchOrbit[]> {
  const step = options.xyStep ?? XY_STEP;
  const conv = options.convergence ?? ORBIT_CONVERGENCE;
  const maxIter = options.maxIterations ?? ORBIT_MAX_ITERATIONS;
  const dp = options.dp ?? 0;
  const K = configs;
  const orbit = Array.from({ length: K }, () => Float64Array.of(0, 0, 0, 0, dp, 0));
  const jac = Array.from({ length: K }, () => new Float64Array(16));
  const done = new Uint8Array(K);
  const iters = new Int32Array(K);
  for (let it = 0; it < maxIter && done.some((d) => d === 0); it++) {
    const n = 5 * K;
    const coords = new Float64Array(6 * n);
    for (let c = 0; c < K; c++) {
      for (let j = 0; j < 5; j++) {
        const i = 5 * c + j;
        for (let k = 0; k < 6; k++) coords[k * n + i] = orbit[c][k];
        if (j < 4) coords[j * n + i] += step;
      }
    }
    // Particles [5c, 5c+5) belong to configuration c: the tracker shares n/K = 5 per configuration.
    await tracker.track(coords, { turns: 1 });
    for (let c = 0; c < K; c++) {
      if (done[c]) continue;
      const at = (j: number, k: number): number => coords[k * n + 5 * c + j];
      const J = jac[c];
      for (let k = 0; k < 4; k++) for (let j = 0; j < 4; j++) J[4 * k + j] = (at(j, k) - at(4, k)) / step;
      const a = new Float64Array(16);
      const b = new Float64Array(4);
      for (let k = 0; k < 4; k++) {
        for (let j = 0; j < 4; j++) a[4 * k + j] = J[4 * k + j] - (k === j ? 1 : 0);
        b[k] = orbit[c][k] - at(4, k);
        if (!Number.isFinite(b[k])) throw new ClosedOrbitError(dp, `configuration ${c}: the orbit particle was lost during the closed-orbit search (iteration ${it + 1})`);
      }
      const f = lu4(a);
      if (!f) throw new ClosedOrbitError(dp, `configuration ${c}: singular (M - I) in the closed-orbit search`);
      const dx = luSolve4(f, b);
      let change = 0;
      for (let k = 0; k < 4; k++) {
        orbit[c][k] += dx[k];
        change = Math.max(change, Math.abs(dx[k]));
      }
      iters[c] = it + 1;
      if (change < conv) done[c] = 1;
    }
  }
  const failed = [...done].findIndex((d) => d === 0);
  if (failed >= 0) throw new ClosedOrbitError(dp, `configuration ${failed}: the closed orbit did not converge in ${maxIter} iterations`);
  return orbit.map((o, c) => ({ orbit: o, jacobian: jac[c], iterations: iters[c] }));
}

/** Fractional tunes [Qx, Qy] of each configuration from its tracked one-turn matrix at the closed orbit. */
export function tunesFromOrbits(orbits: readonly BatchOrbit[]): [number, number][] {
  return orbits.map((o, c) => {
    const m = normalModes4(o.jacobian, `configuration ${c}: tracked one-turn matrix`);
    return [m.tunes[0], m.tunes[1]];
  });
}

export interface BatchOrmOptions extends BatchOrbitOptions {
  /** Kick step in rad (central differences, default 1e-6 as the shared ORM references). */
  readonly kick?: number;
  /** Tracker backend and settings (default: createTracker defaults). */
  readonly tracker?: CreateTrackerOptions;
}

export interface OrbitResponse {
  /** [bpm][corrector] d x / d horizontal kick (m/rad). */
  readonly Rxx: number[][];
  /** [bpm][corrector] d y / d vertical kick. */
  readonly Ryy: number[][];
  /** [bpm][corrector] d x / d vertical kick. */
  readonly Rxy: number[][];
  /** [bpm][corrector] d y / d horizontal kick. */
  readonly Ryx: number[][];
}

function withKick(lattice: Lattice, corrector: number, plane: 0 | 1, value: number): Lattice {
  const elements = lattice.elements.slice();
  const e = elements[corrector] as AtElement;
  const kick = Array.isArray(e.KickAngle) ? (e.KickAngle as number[]).slice() : [0, 0];
  if (kick.length !== 2 || kick.some((k) => typeof k !== 'number')) {
    throw new TrackingArgumentError(`element #${corrector} '${String(e.FamName)}': KickAngle ${JSON.stringify(e.KickAngle)} is not two numbers`);
  }
  kick[plane] += value;
  elements[corrector] = { ...e, KickAngle: kick };
  return { elements, properties: lattice.properties };
}

/**
 * Orbit response matrices of several lattices (seeds) at once: for each lattice, each
 * corrector (KickAngle) and each plane, closed orbits with +-kick, observed at the
 * entrance of the BPM elements; 4 * correctors * lattices configurations in one batch.
 */
export async function orbitResponses(
  lattices: readonly Lattice[],
  bpms: readonly number[],
  correctors: readonly number[],
  options: BatchOrmOptions = {},
): Promise<OrbitResponse[]> {
  const h = options.kick ?? 1e-6;
  const configs: Lattice[] = [];
  for (const lat of lattices) {
    for (const c of correctors) {
      for (const plane of [0, 1] as const) {
        configs.push(withKick(lat, c, plane, h), withKick(lat, c, plane, -h));
      }
    }
  }
  const tracker = await createTracker(configs, options.tracker);
  try {
    const orbits = await closedOrbits4(tracker, configs.length, options);
    // Orbits at the BPMs: track each configuration's orbit once with the BPMs as refpts.
    const K = configs.length;
    const coords = new Float64Array(6 * K);
    orbits.forEach((o, c) => {
      for (let k = 0; k < 6; k++) coords[k * K + c] = o.orbit[k];
    });
    const res = await tracker.track(coords, { turns: 1, refpts: bpms });
    const order = res.refpts ?? [];
    const slotOf = bpms.map((b) => order.indexOf(b));
    const at = (bpm: number, config: number, k: number): number => res.record![0][slotOf[bpm]][k * K + config];
    const nc = correctors.length;
    return lattices.map((_, l) => {
      const m = (): number[][] => bpms.map(() => new Array<number>(nc).fill(0));
      const out = { Rxx: m(), Ryy: m(), Rxy: m(), Ryx: m() };
      for (let j = 0; j < nc; j++) {
        const base = l * nc * 4 + j * 4;
        for (let b = 0; b < bpms.length; b++) {
          out.Rxx[b][j] = (at(b, base, 0) - at(b, base + 1, 0)) / (2 * h);
          out.Ryx[b][j] = (at(b, base, 2) - at(b, base + 1, 2)) / (2 * h);
          out.Rxy[b][j] = (at(b, base + 2, 0) - at(b, base + 3, 0)) / (2 * h);
          out.Ryy[b][j] = (at(b, base + 2, 2) - at(b, base + 3, 2)) / (2 * h);
        }
      }
      return out;
    });
  } finally {
    await tracker.close();
  }
}
