/**
 * Turn-by-turn BPM data of the twin: a kicker fires, a bunch of macro-particles
 * (energy spread, optional transverse emittance) is tracked through the machine
 * model for N turns with the engine's tracking, and the BPMs record the bunch
 * centroid on every passage. Decoherence from chromaticity and amplitude
 * detuning follows from the tracking itself; BPM offsets, gains, rotations and
 * noise are applied when the buffers are read.
 */
import { MlayerError } from '@mlayer/core';
import type { EngineLatticeModel } from '@mlayer/engine';
import { trackRange } from '@mlayer/engine/tracking';
import type { Tracker } from '@mlayer/engine/gpu';
import { Random } from './random.js';
import type { TwinBpm } from './twin-devices.js';

/** The bunch the kicker excites. */
export interface TurnByTurnBunch {
  /** Number of macro-particles (default 64). */
  readonly particles: number;
  /** rms relative energy spread (default 5e-4). */
  readonly energySpread: number;
  /** Transverse rms emittances [ex, ey] in m·rad (default [0, 0]: a line bunch, no amplitude-detuning decoherence). */
  readonly emittance: readonly [number, number];
}

export const DEFAULT_TBT_BUNCH: TurnByTurnBunch = { particles: 64, energySpread: 5e-4, emittance: [0, 0] };

export class TurnByTurnError extends MlayerError {}

/** Checks a bunch description; a clear error names the bad field. */
export function checkBunch(b: Partial<TurnByTurnBunch>): TurnByTurnBunch {
  const out = { ...DEFAULT_TBT_BUNCH, ...b };
  if (!Number.isInteger(out.particles) || out.particles < 1) throw new TurnByTurnError(`turn-by-turn bunch: particles must be a positive integer (got ${out.particles})`);
  if (!(out.energySpread >= 0) || !Number.isFinite(out.energySpread)) throw new TurnByTurnError(`turn-by-turn bunch: energySpread must be a finite number >= 0 (got ${out.energySpread})`);
  if (!Array.isArray(out.emittance) || out.emittance.length !== 2 || out.emittance.some((e) => !(e >= 0) || !Number.isFinite(e))) {
    throw new TurnByTurnError(`turn-by-turn bunch: emittance must be [ex, ey] with finite values >= 0 (got ${JSON.stringify(out.emittance)})`);
  }
  return out;
}

/** One kick: where, how much, and the buffers it left. */
export interface TurnByTurnShot {
  /** Kicker element. */
  readonly element: number;
  /** Kick [θx, θy] in rad. */
  readonly kick: readonly [number, number];
  /** Momentum offset of the machine at the kick. */
  readonly dp: number;
  readonly turns: number;
  /** Centroid [x, y] per BPM element, `turns` values each (NaN once the whole bunch is lost). */
  readonly centroids: ReadonlyMap<number, { x: Float64Array; y: Float64Array }>;
  /** Particles lost during the tracking. */
  readonly lost: number;
}

/** Where and how a bunch is kicked, and how many passages of which BPMs are recorded. */
export interface KickOptions {
  element: number;
  kick: readonly [number, number];
  dp: number;
  bpms: readonly number[];
  turns: number;
  bunch: TurnByTurnBunch;
  rng: Random;
}

/** The kicked bunch at the entrance of the kicker element (SoA coordinates), after the checks. */
function kickedBunch(model: EngineLatticeModel, options: KickOptions): { c: Float64Array; n: number; N: number; bpms: number[] } {
  const { element, kick, dp, turns, bunch, rng } = options;
  const N = model.length;
  if (!Number.isInteger(element) || element < 0 || element >= N) throw new TurnByTurnError(`kicker element ${element} is not an element index in [0, ${N})`);
  if (!Number.isInteger(turns) || turns < 1) throw new TurnByTurnError(`turn-by-turn buffers need a positive number of turns (got ${turns})`);
  const bpms = [...new Set(options.bpms)].sort((a, b) => a - b);
  for (const b of bpms) if (!Number.isInteger(b) || b < 0 || b >= N) throw new TurnByTurnError(`BPM element ${b} is not an element index in [0, ${N})`);
  const [o] = model.optics([element], { dp });
  const n = bunch.particles;
  const c = new Float64Array(6 * n);
  // Particles in mirrored pairs (and one on the axis when n is odd): the bunch centroid sits exactly on the
  // closed orbit at dp with the machine's energy, whatever the number of macro-particles.
  const half = Math.floor(n / 2);
  const draws: { dd: number; ax: number[]; ay: number[] }[] = [];
  for (let i = 0; i < half; i++) {
    draws.push({
      dd: bunch.energySpread * rng.gaussian(),
      ax: bunch.emittance[0] > 0 ? betatron(bunch.emittance[0], o.beta[0], o.alpha[0], rng) : [0, 0],
      ay: bunch.emittance[1] > 0 ? betatron(bunch.emittance[1], o.beta[1], o.alpha[1], rng) : [0, 0],
    });
  }
  for (let i = 0; i < n; i++) {
    const sign = i < half ? 1 : -1;
    const d = i < 2 * half ? draws[i % half] : { dd: 0, ax: [0, 0], ay: [0, 0] };
    const dd = sign * d.dd;
    const ax = [sign * d.ax[0], sign * d.ax[1]];
    const ay = [sign * d.ay[0], sign * d.ay[1]];
    c[i] = o.closedOrbit[0] + o.dispersion[0] * dd + ax[0];
    c[n + i] = o.closedOrbit[1] + o.dispersion[1] * dd + ax[1] + kick[0];
    c[2 * n + i] = o.closedOrbit[2] + o.dispersion[2] * dd + ay[0];
    c[3 * n + i] = o.closedOrbit[3] + o.dispersion[3] * dd + ay[1] + kick[1];
    c[4 * n + i] = dp + dd;
    c[5 * n + i] = 0;
  }
  return { c, n, N, bpms };
}

/** The bunch centroid at each BPM element, one value per passage, up to `turns` passages. */
class CentroidBuffers {
  readonly centroids = new Map<number, { x: Float64Array; y: Float64Array }>();
  private readonly count = new Map<number, number>();

  constructor(
    private readonly bpms: readonly number[],
    private readonly turns: number,
    private readonly n: number,
  ) {
    for (const b of bpms) {
      this.centroids.set(b, { x: new Float64Array(turns).fill(Number.NaN), y: new Float64Array(turns).fill(Number.NaN) });
      this.count.set(b, 0);
    }
  }

  /** Records a passage at BPM element b; particles count while `alive` says so (else while their coordinates are finite). */
  record(b: number, coords: Float64Array, alive?: Uint8Array): void {
    const k = this.count.get(b)!;
    if (k >= this.turns) return;
    const n = this.n;
    let sx = 0;
    let sy = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const x = coords[i];
      const y = coords[2 * n + i];
      if (alive ? alive[i] === 0 : !Number.isFinite(x) || !Number.isFinite(y)) continue;
      sx += x;
      sy += y;
      m++;
    }
    const buf = this.centroids.get(b)!;
    buf.x[k] = m > 0 ? sx / m : Number.NaN;
    buf.y[k] = m > 0 ? sy / m : Number.NaN;
    this.count.set(b, k + 1);
  }

  get done(): boolean {
    return this.bpms.every((b) => this.count.get(b)! >= this.turns);
  }
}

/**
 * Tracks a kicked bunch from the entrance of the kicker element, for `turns`
 * passages of every BPM element. The bunch starts on the closed orbit at `dp`
 * (each particle on its own dispersive orbit), then gets the kick.
 */
export function trackKick(model: EngineLatticeModel, options: KickOptions): TurnByTurnShot {
  const { element, kick, dp, turns } = options;
  const { c, n, N, bpms } = kickedBunch(model, options);
  const compiled = model.compiled();
  const alive = new Uint8Array(n).fill(1);
  const buffers = new CentroidBuffers(bpms, turns, n);
  // Passages in order: from the kicker to the end, then whole turns, until every BPM has `turns` readings.
  let pos = element;
  let turn = 0;
  while (!buffers.done) {
    for (const b of bpms) {
      if (b < pos) continue;
      trackRange(compiled, c, n, pos, b, alive, { turn });
      pos = b;
      buffers.record(b, c, alive);
    }
    trackRange(compiled, c, n, pos, N, alive, { turn });
    pos = 0;
    turn++;
    if (alive.every((a) => a === 0)) break;
  }
  let lost = 0;
  for (let i = 0; i < n; i++) if (alive[i] === 0) lost++;
  return { element, kick: [kick[0], kick[1]], dp, turns, centroids: buffers.centroids, lost };
}

/** A betatron offset (position, angle) drawn from a Gaussian beam of emittance e at (beta, alpha). */
function betatron(e: number, beta: number, alpha: number, rng: Random): [number, number] {
  const u = Math.sqrt(e) * rng.gaussian();
  const v = Math.sqrt(e) * rng.gaussian();
  const x = Math.sqrt(beta) * u;
  const px = (-alpha * u + v) / Math.sqrt(beta);
  return [x, px];
}

/** What a BPM reads from a beam at (x, y): offsets, rotation and gain, in plane 0 (x) or 1 (y), in m. */
export function bpmReading(bpm: TwinBpm, x: number, y: number, plane: 0 | 1): number {
  const u = x - bpm.offset[0];
  const v = y - bpm.offset[1];
  const c = Math.cos(bpm.rotation);
  const s = Math.sin(bpm.rotation);
  return plane === 0 ? (1 + bpm.gain[0]) * (c * u + s * v) : (1 + bpm.gain[1]) * (-s * u + c * v);
}

/**
 * The same shot with whole turns on a tracker (WebGPU or CPU threads, see
 * createTracker): the part of the first turn from the kicker to the end of the
 * ring runs on the CPU engine, then every turn is one tracker call recording at the BPMs.
 */
export async function trackKickOn(tracker: Tracker, model: EngineLatticeModel, options: KickOptions): Promise<TurnByTurnShot> {
  const { element, kick, dp, turns } = options;
  const { c, n, N, bpms } = kickedBunch(model, options);
  const compiled = model.compiled();
  const alive = new Uint8Array(n).fill(1);
  const buffers = new CentroidBuffers(bpms, turns, n);
  let pos = element;
  for (const b of bpms) {
    if (b < pos) continue;
    trackRange(compiled, c, n, pos, b, alive, { turn: 0 });
    pos = b;
    buffers.record(b, c, alive);
  }
  trackRange(compiled, c, n, pos, N, alive, { turn: 0 });
  while (!buffers.done) {
    const res = await tracker.track(c, { turns: 1, refpts: bpms });
    const at = res.refpts ?? bpms;
    at.forEach((b, k) => buffers.record(b, res.record![0][k]));
    if (res.coords !== c) c.set(res.coords);
    if (!Array.from({ length: n }, (_v, i) => c[i]).some(Number.isFinite)) break;
  }
  let lost = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) lost++;
  return { element, kick: [kick[0], kick[1]], dp, turns, centroids: buffers.centroids, lost };
}
