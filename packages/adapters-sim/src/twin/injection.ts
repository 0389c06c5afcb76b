/**
 * Injection into the twin (issue 22): a bunch of macro-particles from the facility's
 * injected beam (Twiss, emittances, energy spread, charge) plus the static injection
 * error of the error set and the shot-to-shot jitter, tracked from the injection point
 * through the machine model, apertures included, for a chosen number of turns. The BPMs
 * record the centroid of the surviving particles on every passage (NaN once none is
 * left), as turn-by-turn buffers; a single-shot noise is drawn per BPM and passage, so a
 * shot reads the same however often it is read.
 */
import { MlayerError, type InjectionConfig } from '@mlayer/core';
import type { EngineLatticeModel } from '@mlayer/engine';
import { trackRange } from '@mlayer/engine/tracking';
import { Random } from './random.js';

/** The beam of the twin: none, the first turns after an injection, or stored (the BPMs read the closed orbit). */
export type BeamState = 'none' | 'first-turns' | 'stored';

/** How the twin simulates an injection (`controlSystems.twin.settings.injection`). */
export interface InjectionSimulation {
  /** Macro-particles per shot. */
  readonly particles: number;
  /** Turns tracked after an injection (the length of the first-turns buffers). */
  readonly turns: number;
  /** Fraction of the particles that must survive every tracked turn for the beam to be stored. */
  readonly storeFraction: number;
}

/** One injection shot: where the bunch went and what the BPMs recorded. */
export interface InjectionShot {
  /** Centroid [x, y] per BPM element, one value per turn (NaN once the whole bunch is lost). */
  readonly centroids: ReadonlyMap<number, { x: Float64Array; y: Float64Array }>;
  /** Single-shot noise draws (standard normal) per BPM element and turn, [x..., y...]. */
  readonly noise: ReadonlyMap<number, Float64Array>;
  /** Particles alive after each turn. */
  readonly survivors: readonly number[];
  readonly particles: number;
  readonly turns: number;
  /** Where the last particle was lost (element index, 0-based turn), when every one was. */
  readonly lost?: { readonly element: number; readonly turn: number };
}

/** A betatron offset (position, angle) drawn from a Gaussian beam of emittance e at (beta, alpha). */
function betatron(e: number, beta: number, alpha: number, rng: Random): [number, number] {
  if (e === 0) return [0, 0];
  const u = Math.sqrt(e) * rng.gaussian();
  const v = Math.sqrt(e) * rng.gaussian();
  return [Math.sqrt(beta) * u, (-alpha * u + v) / Math.sqrt(beta)];
}

export interface InjectOptions {
  /** Element at whose entrance the bunch arrives. */
  readonly element: number;
  readonly beam: InjectionConfig;
  /** Static error [x, px, y, py] (error set). */
  readonly error: readonly [number, number, number, number];
  readonly bpms: readonly number[];
  readonly simulation: InjectionSimulation;
  /** Shot-to-shot draws (particles, jitter, noise). */
  readonly rng: Random;
}

/** Tracks one injected bunch through the machine model. */
export function injectBunch(model: EngineLatticeModel, options: InjectOptions): InjectionShot {
  const { element, beam, error, simulation, rng } = options;
  const N = model.length;
  if (!Number.isInteger(element) || element < 0 || element >= N) throw new MlayerError(`injection element ${element} is not an element index in [0, ${N})`);
  const n = simulation.particles;
  const turns = simulation.turns;
  const { twiss, emittance, energySpread } = beam;
  const j = beam.jitter;
  const centre = [
    twiss.orbit[0] + error[0] + (j ? j.x * rng.gaussian() : 0),
    twiss.orbit[1] + error[1] + (j ? j.px * rng.gaussian() : 0),
    twiss.orbit[2] + error[2] + (j ? j.y * rng.gaussian() : 0),
    twiss.orbit[3] + error[3] + (j ? j.py * rng.gaussian() : 0),
  ];
  const c = new Float64Array(6 * n);
  for (let i = 0; i < n; i++) {
    const dd = energySpread * rng.gaussian();
    const [x, px] = betatron(emittance[0], twiss.beta[0], twiss.alpha[0], rng);
    const [y, py] = betatron(emittance[1], twiss.beta[1], twiss.alpha[1], rng);
    c[i] = centre[0] + x + twiss.dispersion[0] * dd;
    c[n + i] = centre[1] + px + twiss.dispersion[1] * dd;
    c[2 * n + i] = centre[2] + y + twiss.dispersion[2] * dd;
    c[3 * n + i] = centre[3] + py + twiss.dispersion[3] * dd;
    c[4 * n + i] = dd;
    c[5 * n + i] = 0;
  }
  const bpms = [...new Set(options.bpms)].sort((a, b) => a - b);
  const centroids = new Map<number, { x: Float64Array; y: Float64Array }>();
  const noise = new Map<number, Float64Array>();
  for (const b of bpms) {
    centroids.set(b, { x: new Float64Array(turns).fill(Number.NaN), y: new Float64Array(turns).fill(Number.NaN) });
    noise.set(b, Float64Array.from({ length: 2 * turns }, () => rng.gaussian()));
  }
  const compiled = model.compiled();
  const alive = new Uint8Array(n).fill(1);
  const lostTurn = new Int32Array(n);
  const lostElement = new Int32Array(n).fill(-1);
  const survivors: number[] = [];
  // Buffers count passages: a BPM before the injection point is first passed on the second turn.
  const passages = new Map<number, number>(bpms.map((b) => [b, 0]));
  const record = (b: number): void => {
    const t = passages.get(b)!;
    passages.set(b, t + 1);
    if (t >= turns) return;
    let sx = 0;
    let sy = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0) continue;
      sx += c[i];
      sy += c[2 * n + i];
      m++;
    }
    if (m === 0) return;
    const buf = centroids.get(b)!;
    buf.x[t] = sx / m;
    buf.y[t] = sy / m;
  };
  const count = (): number => alive.reduce((s, a) => s + a, 0);
  let lost: InjectionShot['lost'];
  for (let t = 0; t < turns; t++) {
    // The first turn starts at the injection point; later turns at element 0.
    let pos = t === 0 ? element : 0;
    const stop = N;
    for (const b of bpms) {
      if (b < pos || b >= stop) continue;
      trackRange(compiled, c, n, pos, b, alive, { turn: t, lostTurn, lostElement });
      pos = b;
      record(b);
    }
    trackRange(compiled, c, n, pos, stop, alive, { turn: t, lostTurn, lostElement });
    const left = count();
    survivors.push(left);
    if (left === 0) {
      let last = 0;
      for (let i = 1; i < n; i++) if (lostTurn[i] > lostTurn[last] || (lostTurn[i] === lostTurn[last] && lostElement[i] > lostElement[last])) last = i;
      lost = { element: lostElement[last], turn: lostTurn[last] - 1 };
      break;
    }
  }
  while (survivors.length < turns) survivors.push(0);
  return { centroids, noise, survivors, particles: n, turns, lost };
}
