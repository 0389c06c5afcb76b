/**
 * Multi-core CPU tracking: particles are split into contiguous pieces tracked by worker
 * threads, each running the engine's `track` (results are bit-identical to a single thread).
 * With several lattice configurations, particles [c*n/K, (c+1)*n/K) go through configuration c.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MlayerError } from '@mlayer/core';
import type { Lattice } from '../lattice.js';
import { TrackingArgumentError } from '../tracking/errors.js';
import type { ParticleSet, TrackOptions, TrackResult } from '../tracking/types.js';
import type { JobPiece, PieceResult, TrackJob, WorkerInit, WorkerReply } from './messages.js';

/** A worker thread failed or its script is missing. */
export class ParallelTrackingError extends MlayerError {}

export interface ParallelTrackerOptions {
  /** Worker threads (default 2). */
  readonly workers?: number;
  /** Track RF cavities (see CompileOptions.sixD). */
  readonly sixD?: boolean;
  /**
   * The worker script (JavaScript). Default: the compiled track-worker.js beside this module, or,
   * run from the TypeScript sources, the build output under dist/. Tests give one bundled from the
   * sources, so that the workers run the same code as the test.
   */
  readonly workerScript?: string | URL;
}

/**
 * The compiled worker script. Run from the TypeScript sources (tests), the build output
 * under dist/ is used: worker threads need JavaScript.
 */
function workerScript(): URL {
  const here = new URL('./track-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(here.href.replace('/src/parallel/', '/dist/parallel/'));
  if (existsSync(fileURLToPath(built))) return built;
  throw new ParallelTrackingError(`worker script not found (${fileURLToPath(here)} nor ${fileURLToPath(built)}): build the package first (npx tsc -b packages/engine)`);
}

function isParticleSet(x: ParticleSet | Float64Array): x is ParticleSet {
  return !(x instanceof Float64Array);
}

export class ParallelCpuTracker {
  private readonly workers: Worker[];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: readonly PieceResult[]) => void; reject: (e: Error) => void }>();
  private readonly configs: number;
  private readonly nElem: number;

  constructor(lattices: Lattice | readonly Lattice[], options: ParallelTrackerOptions = {}) {
    const list = Array.isArray(lattices) ? (lattices as readonly Lattice[]) : [lattices as Lattice];
    if (list.length === 0) throw new TrackingArgumentError('no lattice configuration given');
    const count = options.workers ?? 2;
    if (!Number.isInteger(count) || count < 1) throw new TrackingArgumentError(`workers ${count} is not a positive integer`);
    this.configs = list.length;
    this.nElem = list[0].elements.length;
    const init: WorkerInit = { lattices: list.map((l) => ({ elements: l.elements, properties: l.properties })), sixD: options.sixD ?? false };
    const script = options.workerScript ?? workerScript();
    this.workers = Array.from({ length: count }, (_, w) => {
      const worker = new Worker(script, { workerData: init });
      worker.on('message', (m: WorkerReply) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if ('error' in m) p.reject(new ParallelTrackingError(`worker ${w}: ${m.error}`));
        else p.resolve(m.pieces);
      });
      worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(new ParallelTrackingError(`worker ${w} failed: ${e.message}`));
        this.pending.clear();
      });
      return worker;
    });
  }

  get workerCount(): number {
    return this.workers.length;
  }

  private run(worker: Worker, job: TrackJob): Promise<readonly PieceResult[]> {
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  /** Tracks in place, as the engine's `track` (same TrackResult). */
  async track(particles: ParticleSet | Float64Array, options: TrackOptions = {}): Promise<TrackResult> {
    const coords = isParticleSet(particles) ? particles.coords : particles;
    if (coords.length % 6 !== 0) throw new TrackingArgumentError(`coordinate array has ${coords.length} values, not a multiple of 6`);
    const n = isParticleSet(particles) ? particles.n : coords.length / 6;
    if (coords.length !== 6 * n) throw new TrackingArgumentError(`coordinate array has ${coords.length} values; expected 6*n = ${6 * n}`);
    if (n % this.configs !== 0) throw new TrackingArgumentError(`${n} particles cannot be shared among ${this.configs} configurations`);
    const turns = options.turns ?? 1;
    if (!Number.isInteger(turns) || turns < 0) throw new TrackingArgumentError(`turns ${turns} is not a non-negative integer`);
    const refpts = options.refpts ? [...new Set(options.refpts)].sort((a, b) => a - b) : undefined;
    for (const r of refpts ?? []) {
      if (!Number.isInteger(r) || r < 0 || r > this.nElem) throw new TrackingArgumentError(`refpt ${r} is not an element index in [0, ${this.nElem}]`);
    }
    const lostTurn = isParticleSet(particles) ? particles.lostTurn : new Int32Array(n);
    const lostElement = isParticleSet(particles) ? particles.lostElement : new Int32Array(n).fill(-1);
    const per = n / this.configs;
    // Contiguous chunks per worker, cut further at configuration boundaries.
    const W = this.workers.length;
    const chunk = Math.ceil(n / W);
    const plan: { worker: number; from: number; to: number; config: number }[] = [];
    for (let w = 0; w < W; w++) {
      let from = w * chunk;
      const end = Math.min(n, (w + 1) * chunk);
      while (from < end) {
        const config = Math.floor(from / per);
        const to = Math.min(end, (config + 1) * per);
        plan.push({ worker: w, from, to, config });
        from = to;
      }
    }
    const slice = (from: number, to: number): JobPiece['coords'] => {
      const m = to - from;
      const out = new Float64Array(6 * m);
      for (let k = 0; k < 6; k++) out.set(coords.subarray(k * n + from, k * n + to), k * m);
      return out;
    };
    const jobs = Array.from({ length: W }, (_, w) => plan.filter((p) => p.worker === w));
    const results = await Promise.all(
      jobs.map((pieces, w) =>
        pieces.length === 0
          ? Promise.resolve([] as readonly PieceResult[])
          : this.run(this.workers[w], {
              id: this.nextId++,
              turns,
              refpts,
              pieces: pieces.map((p) => ({ config: p.config, coords: slice(p.from, p.to), lostTurn: lostTurn.slice(p.from, p.to), lostElement: lostElement.slice(p.from, p.to) })),
            }),
      ),
    );
    const lostCoords = new Float64Array(6 * n).fill(NaN);
    const slots = refpts?.length ?? 0;
    const record = refpts ? Array.from({ length: turns }, () => Array.from({ length: slots }, () => new Float64Array(6 * n))) : undefined;
    jobs.forEach((pieces, w) => {
      pieces.forEach((p, j) => {
        const r = results[w][j];
        const m = p.to - p.from;
        for (let k = 0; k < 6; k++) {
          coords.set(r.coords.subarray(k * m, (k + 1) * m), k * n + p.from);
          lostCoords.set(r.lostCoords.subarray(k * m, (k + 1) * m), k * n + p.from);
        }
        lostTurn.set(r.lostTurn, p.from);
        lostElement.set(r.lostElement, p.from);
        if (record && r.record) {
          for (let t = 0; t < turns; t++) {
            for (let s = 0; s < slots; s++) for (let k = 0; k < 6; k++) record[t][s].set(r.record[t][s].subarray(k * m, (k + 1) * m), k * n + p.from);
          }
        }
      });
    });
    return { coords, record, refpts, lostTurn, lostElement, lostCoords };
  }

  /** Ends the worker threads. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
