/**
 * Backend choice for tracking: the CPU engine (one thread, or worker threads), WebGPU, or
 * 'auto': WebGPU when a hardware adapter exists (a software renderer or fallback adapter
 * does not count), the CPU otherwise, said once in a logged warning.
 */
import { compileLattice } from '../tracking/compile.js';
import { track } from '../tracking/track.js';
import type { Lattice } from '../lattice.js';
import type { ParticleSet, TrackOptions, TrackResult } from '../tracking/types.js';
import { TrackingArgumentError } from '../tracking/errors.js';
import { ParallelCpuTracker } from '../parallel/parallel-tracker.js';
import { describeAdapter, openWebGpu, type WebGpuContext } from './device.js';
import { WebGpuTracker } from './webgpu-tracker.js';
import type { Precision } from './wgsl/arith.js';

export type TrackerBackend = 'cpu' | 'webgpu' | 'auto';

export interface CreateTrackerOptions {
  /** Default 'auto'. */
  readonly backend?: TrackerBackend;
  /** CPU worker threads (default 1: the calling thread). */
  readonly workers?: number;
  /** The worker threads' script (see ParallelTrackerOptions.workerScript). */
  readonly workerScript?: string | URL;
  /** WebGPU arithmetic (default 'ff', float-float). */
  readonly precision?: Precision;
  /** Track RF cavities (compileLattice's sixD; the CPU engine and the GPU kernel alike). */
  readonly sixD?: boolean;
  /** An open WebGPU context to use (it is not destroyed by close()). */
  readonly context?: WebGpuContext;
  /** Where the one-time warning goes (default console.warn). */
  readonly warn?: (message: string) => void;
}

/** A tracker bound to one lattice, or to K configurations of one lattice structure. */
export interface Tracker {
  readonly backend: 'cpu' | 'webgpu';
  /** What runs the tracking (CPU threads, or the adapter). */
  readonly description: string;
  /**
   * Tracks in place (the engine's TrackResult). With K configurations, n must be a
   * multiple of K and particles [c*n/K, (c+1)*n/K) go through configuration c.
   */
  track(particles: ParticleSet | Float64Array, options?: TrackOptions): Promise<TrackResult>;
  close(): Promise<void>;
}

let warnedNoGpu = false;

class CpuTracker implements Tracker {
  readonly backend = 'cpu' as const;
  private readonly compiled;
  constructor(
    lattices: readonly Lattice[],
    sixD: boolean,
    readonly description: string,
  ) {
    this.compiled = lattices.map((l) => compileLattice(l, { sixD }));
  }
  async track(particles: ParticleSet | Float64Array, options: TrackOptions = {}): Promise<TrackResult> {
    if (this.compiled.length === 1) return track(this.compiled[0], particles, options);
    // Several configurations on one thread: the parallel tracker's splitting with one worker is
    // not needed; track each configuration's block in turn.
    const coords = particles instanceof Float64Array ? particles : particles.coords;
    const n = coords.length / 6;
    const K = this.compiled.length;
    if (n % K !== 0) throw new TrackingArgumentError(`${n} particles cannot be shared among ${K} configurations`);
    const per = n / K;
    const lostTurn = particles instanceof Float64Array ? new Int32Array(n) : particles.lostTurn;
    const lostElement = particles instanceof Float64Array ? new Int32Array(n).fill(-1) : particles.lostElement;
    const lostCoords = new Float64Array(6 * n).fill(NaN);
    const turns = options.turns ?? 1;
    let record: Float64Array[][] | undefined;
    let refpts: readonly number[] | undefined;
    for (let c = 0; c < K; c++) {
      const part = new Float64Array(6 * per);
      for (let k = 0; k < 6; k++) part.set(coords.subarray(k * n + c * per, k * n + (c + 1) * per), k * per);
      const res = track(this.compiled[c], { coords: part, n: per, lostTurn: lostTurn.slice(c * per, (c + 1) * per), lostElement: lostElement.slice(c * per, (c + 1) * per) }, options);
      for (let k = 0; k < 6; k++) {
        coords.set(res.coords.subarray(k * per, (k + 1) * per), k * n + c * per);
        lostCoords.set(res.lostCoords.subarray(k * per, (k + 1) * per), k * n + c * per);
      }
      lostTurn.set(res.lostTurn, c * per);
      lostElement.set(res.lostElement, c * per);
      refpts = res.refpts;
      if (res.record) {
        record ??= Array.from({ length: turns }, () => res.record![0].map(() => new Float64Array(6 * n)));
        for (let t = 0; t < turns; t++) {
          res.record[t].forEach((a, s) => {
            for (let k = 0; k < 6; k++) record![t][s].set(a.subarray(k * per, (k + 1) * per), k * n + c * per);
          });
        }
      }
    }
    return { coords, record, refpts, lostTurn, lostElement, lostCoords };
  }
  async close(): Promise<void> {}
}

class WorkerTracker implements Tracker {
  readonly backend = 'cpu' as const;
  constructor(
    private readonly inner: ParallelCpuTracker,
    readonly description: string,
  ) {}
  track(particles: ParticleSet | Float64Array, options?: TrackOptions): Promise<TrackResult> {
    return this.inner.track(particles, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

class GpuTracker implements Tracker {
  readonly backend = 'webgpu' as const;
  constructor(
    private readonly inner: WebGpuTracker,
    private readonly owned: WebGpuContext | undefined,
    readonly description: string,
  ) {}
  track(particles: ParticleSet | Float64Array, options?: TrackOptions): Promise<TrackResult> {
    return this.inner.track(particles, options);
  }
  async close(): Promise<void> {
    this.inner.destroy();
    this.owned?.destroy();
  }
}

function cpuTracker(lattices: readonly Lattice[], options: CreateTrackerOptions): Tracker {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new TrackingArgumentError(`workers ${workers} is not a positive integer`);
  if (workers === 1) return new CpuTracker(lattices, options.sixD ?? false, 'CPU engine, 1 thread');
  return new WorkerTracker(new ParallelCpuTracker(lattices, { workers, sixD: options.sixD, workerScript: options.workerScript }), `CPU engine, ${workers} worker threads`);
}

async function gpuTracker(lattices: readonly Lattice[], options: CreateTrackerOptions, context: WebGpuContext, owned: boolean): Promise<Tracker> {
  const precision = options.precision ?? 'ff';
  try {
    const inner = await WebGpuTracker.create(context, lattices.map((l) => compileLattice(l, { sixD: options.sixD ?? false })), { precision });
    return new GpuTracker(inner, owned ? context : undefined, `WebGPU ${describeAdapter(context.adapter)}, ${precision}`);
  } catch (e) {
    if (owned) context.destroy();
    throw e;
  }
}

/** A tracker on the chosen backend. `lattices`: one lattice or K configurations of one structure. */
export async function createTracker(lattices: Lattice | readonly Lattice[], options: CreateTrackerOptions = {}): Promise<Tracker> {
  const list = Array.isArray(lattices) ? (lattices as readonly Lattice[]) : [lattices as Lattice];
  const backend = options.backend ?? 'auto';
  if (backend === 'cpu') return cpuTracker(list, options);
  if (backend === 'webgpu') {
    const context = options.context ?? (await openWebGpu({ require: 'any' }));
    return gpuTracker(list, options, context, options.context === undefined);
  }
  if (backend !== 'auto') throw new TrackingArgumentError(`backend '${String(backend)}' is not 'cpu', 'webgpu' or 'auto'`);
  const warn = options.warn ?? console.warn;
  let context = options.context?.adapter.hardware ? options.context : undefined;
  if (!context) {
    try {
      context = await openWebGpu({ require: 'hardware' });
    } catch (e) {
      if (!warnedNoGpu) {
        warnedNoGpu = true;
        warn(`mlayer tracking: no hardware WebGPU adapter (${e instanceof Error ? e.message : String(e)}); tracking runs on the CPU`);
      }
      return cpuTracker(list, options);
    }
  }
  try {
    return await gpuTracker(list, options, context, context !== options.context);
  } catch (e) {
    // The lattice cannot run on the GPU (an unsupported element, a limit): said every time.
    warn(`mlayer tracking: WebGPU cannot track this lattice (${e instanceof Error ? e.message : String(e)}); tracking runs on the CPU`);
  }
  return cpuTracker(list, options);
}
