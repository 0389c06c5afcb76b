/**
 * Tracking on WebGPU: the lattice (one or many configurations) compiled to tables, the
 * particles in structure-of-arrays storage on the device, one dispatch running many turns
 * over the whole element table. Results have the CPU engine's TrackResult shape (lost
 * particles NaN, loss turn and element, coordinates where lost, records at refpts).
 */
import { TrackingArgumentError } from '../tracking/errors.js';
import type { CompiledLattice, ParticleSet, TrackOptions, TrackResult } from '../tracking/types.js';
import { readBack, storageBuffer, USAGE } from './buffers.js';
import type { WebGpuContext } from './device.js';
import { GpuLimitError } from './errors.js';
import { checkFloatFloat } from './self-test.js';
import { buildTables, splitFloat64, withRefpts, type LatticeTables } from './tables.js';
import { storageBytes, type Precision } from './wgsl/arith.js';
import { OP, HEADER_WORDS } from './wgsl/layout.js';
import { trackingKernelSource, WORKGROUP_SIZE } from './wgsl/tracking-kernel.js';

export interface WebGpuTrackerOptions {
  /** 'ff' (float-float, ~48 bits, default) or 'f32' (float32). */
  readonly precision?: Precision;
  /**
   * Particle-element passes per dispatch (turns are split into dispatches of at most this
   * much work; default 2e8). Keeps single dispatches short on GPUs with a watchdog.
   */
  readonly workPerDispatch?: number;
  /**
   * Shader loop iterations one invocation may run (default: LLVMPIPE_LOOP_BUDGET on Mesa's
   * llvmpipe, which stops invocations after a fixed iteration count; unlimited elsewhere).
   */
  readonly loopBudget?: number;
}

/**
 * llvmpipe ends a shader invocation after 65535 loop iterations counted over all its loops.
 * Measured on Mesa 22.3 through Dawn's GL backend, a particle's run costs about
 * POSITION_LOOPS per element position plus the element's own loops (LatticeTables.loopCost):
 * Diamond I04 stopped after 240 positions (4103 units of loopCost), the Australian
 * Synchrotron after 209 (11811 units). The budget keeps each dispatch under half the limit.
 */
export const LLVMPIPE_LOOP_BUDGET = 32000;
/** Loop iterations charged per element position (see LLVMPIPE_LOOP_BUDGET). */
export const POSITION_LOOPS = 260;

const pipelines = new WeakMap<GPUDevice, Map<Precision, Promise<GPUComputePipeline>>>();
const checked = new WeakMap<GPUDevice, Promise<unknown>>();

function pipelineFor(device: GPUDevice, precision: Precision): Promise<GPUComputePipeline> {
  let byPrecision = pipelines.get(device);
  if (!byPrecision) {
    byPrecision = new Map();
    pipelines.set(device, byPrecision);
  }
  let p = byPrecision.get(precision);
  if (!p) {
    const module = device.createShaderModule({ code: trackingKernelSource(precision) });
    p = (async () => {
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        throw new GpuLimitError(`tracking kernel (${precision}) does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
      }
      return device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    })();
    byPrecision.set(precision, p);
  }
  return p;
}

function isParticleSet(x: ParticleSet | Float64Array): x is ParticleSet {
  return !(x instanceof Float64Array);
}

export class WebGpuTracker {
  readonly precision: Precision;
  private tables: LatticeTables;
  private paramBuffer: GPUBuffer;
  private readonly workPerDispatch: number;
  private readonly loopBudget: number;

  private constructor(
    readonly context: WebGpuContext,
    tables: LatticeTables,
    private readonly pipeline: GPUComputePipeline,
    precision: Precision,
    workPerDispatch: number,
    loopBudget: number,
  ) {
    this.loopBudget = loopBudget;
    this.tables = tables;
    this.precision = precision;
    this.workPerDispatch = workPerDispatch;
    this.paramBuffer = storageBuffer(context.device, splitFloat64(tables.params));
  }

  /** Compiles the tables and the kernel; `configs` are lattice configurations of one structure. */
  static async create(
    context: WebGpuContext,
    configs: CompiledLattice | readonly CompiledLattice[],
    options: WebGpuTrackerOptions = {},
  ): Promise<WebGpuTracker> {
    const precision = options.precision ?? 'ff';
    const list = Array.isArray(configs) ? (configs as readonly CompiledLattice[]) : [configs as CompiledLattice];
    const tables = buildTables(list);
    const device = context.device;
    if (precision === 'ff') {
      let c = checked.get(device);
      if (!c) {
        c = checkFloatFloat(device);
        checked.set(device, c);
      }
      await c;
    }
    const pipeline = await pipelineFor(device, precision);
    const budget = options.loopBudget ?? (/llvmpipe/i.test(context.adapter.device + context.adapter.description) ? LLVMPIPE_LOOP_BUDGET : Infinity);
    return new WebGpuTracker(context, tables, pipeline, precision, options.workPerDispatch ?? 2e8, budget);
  }

  /** Number of lattice configurations. */
  get configs(): number {
    return this.tables.configs;
  }

  /** Replaces the configurations' parameters (same structure; e.g. new optimiser candidates). */
  setConfigurations(configs: readonly CompiledLattice[]): void {
    const tables = buildTables(configs);
    if (tables.nElem !== this.tables.nElem || tables.paramsPerConfig !== this.tables.paramsPerConfig || tables.headers.some((h, i) => h !== this.tables.headers[i])) {
      this.tables = tables;
      this.paramBuffer.destroy();
      this.paramBuffer = storageBuffer(this.context.device, splitFloat64(tables.params));
      return;
    }
    if (tables.configs !== this.tables.configs) {
      this.paramBuffer.destroy();
      this.paramBuffer = storageBuffer(this.context.device, splitFloat64(tables.params));
    } else {
      this.context.device.queue.writeBuffer(this.paramBuffer, 0, splitFloat64(tables.params));
    }
    this.tables = tables;
  }

  /**
   * Tracks n particles (in place, like the CPU `track`). With K configurations, n must be a
   * multiple of K: particles [c*n/K, (c+1)*n/K) are tracked through configuration c.
   */
  async track(particles: ParticleSet | Float64Array, options: TrackOptions = {}): Promise<TrackResult> {
    const coords = isParticleSet(particles) ? particles.coords : particles;
    if (!isParticleSet(particles) && coords.length % 6 !== 0) {
      throw new TrackingArgumentError(`coordinate array has ${coords.length} values, not a multiple of 6`);
    }
    const n = isParticleSet(particles) ? particles.n : coords.length / 6;
    if (coords.length !== 6 * n) throw new TrackingArgumentError(`coordinate array has ${coords.length} values; expected 6*n = ${6 * n}`);
    const turns = options.turns ?? 1;
    if (!Number.isInteger(turns) || turns < 0) throw new TrackingArgumentError(`turns ${turns} is not a non-negative integer`);
    const K = this.tables.configs;
    if (n % K !== 0) throw new TrackingArgumentError(`${n} particles cannot be shared among ${K} configurations (n must be a multiple of ${K})`);
    const N = this.tables.nElem;
    const refpts = [...new Set(options.refpts ?? [])].sort((a, b) => a - b);
    for (const r of refpts) {
      if (!Number.isInteger(r) || r < 0 || r > N) throw new TrackingArgumentError(`refpt ${r} is not an element index in [0, ${N}]`);
    }
    const lostTurn = isParticleSet(particles) ? particles.lostTurn : new Int32Array(n);
    const lostElement = isParticleSet(particles) ? particles.lostElement : new Int32Array(n).fill(-1);
    const lostCoords = new Float64Array(6 * n).fill(NaN);
    const wantRecord = options.refpts !== undefined;
    if (n === 0) {
      return { coords, record: wantRecord ? Array.from({ length: turns }, () => refpts.map(() => new Float64Array(0))) : undefined, refpts: wantRecord ? refpts : undefined, lostTurn, lostElement, lostCoords };
    }

    const device = this.context.device;
    const limits = device.limits;
    const bytes = storageBytes(this.precision);
    const slots = refpts.length;
    const recordBytes = wantRecord ? turns * slots * 6 * n * bytes : 0;
    for (const [what, size] of [['coordinates', 6 * n * bytes], ['turn-by-turn record', recordBytes]] as const) {
      if (size > limits.maxStorageBufferBindingSize) {
        throw new GpuLimitError(`${what} need ${size} bytes; this device binds at most ${limits.maxStorageBufferBindingSize} bytes per buffer (track fewer particles, turns or refpts per call)`);
      }
    }
    const totalGroups = Math.ceil(n / WORKGROUP_SIZE);
    const maxDim = limits.maxComputeWorkgroupsPerDimension;
    const groupsX = Math.min(totalGroups, maxDim);
    const groupsY = Math.ceil(totalGroups / groupsX);
    if (groupsY > maxDim) throw new GpuLimitError(`${n} particles exceed the dispatch limit of ${maxDim * maxDim * WORKGROUP_SIZE}`);

    // Device-side state.
    const stored = this.precision === 'ff' ? splitFloat64(coords) : Float32Array.from(coords);
    const lost = new Int32Array(3 * n);
    for (let i = 0; i < n; i++) {
      if (lostTurn[i] !== 0) lost[3 * i] = lostTurn[i];
      else if (Number.isNaN(coords[i])) lost[3 * i] = -1;
      lost[3 * i + 1] = lostElement[i];
    }
    const coordBuf = storageBuffer(device, stored);
    const lostBuf = storageBuffer(device, lost);
    const recBuf = wantRecord && recordBytes > 0 ? storageBuffer(device, new Float32Array(recordBytes / 4).fill(NaN)) : storageBuffer(device, new Float32Array(4));
    const tabBuf = storageBuffer(device, withRefpts(this.tables, refpts));
    const uniBuf = device.createBuffer({ size: 48, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    const bind = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: uniBuf } },
        { binding: 1, resource: { buffer: tabBuf } },
        { binding: 2, resource: { buffer: this.paramBuffer } },
        { binding: 3, resource: { buffer: coordBuf } },
        { binding: 4, resource: { buffer: lostBuf } },
        { binding: 5, resource: { buffer: recBuf } },
      ],
    });
    const ranges = this.dispatchRanges(n, turns);
    const uni = new ArrayBuffer(48);
    const uf = new Float32Array(uni);
    const uu = new Uint32Array(uni);
    uf[0] = 1;
    uu[1] = n;
    uu[2] = n / K;
    uu[3] = N;
    uu[4] = this.tables.paramsPerConfig;
    uu[5] = slots;
    uu[8] = groupsX;
    try {
      device.pushErrorScope('validation');
      for (let d = 0; d < ranges.length; d += 2) {
        uu[6] = ranges[d];
        uu[7] = ranges[d + 1];
        // Ordered with the submits: each dispatch sees its own range.
        device.queue.writeBuffer(uniBuf, 0, uni);
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(this.pipeline);
        pass.setBindGroup(0, bind);
        pass.dispatchWorkgroups(groupsX, groupsY);
        pass.end();
        device.queue.submit([enc.finish()]);
        if (d % 64 === 62) await device.queue.onSubmittedWorkDone();
      }
      const err = await device.popErrorScope();
      if (err) throw new GpuLimitError(`tracking dispatch failed: ${err.message}`);
      const outCoords = await readBack(device, coordBuf, stored.byteLength);
      const outLost = new Int32Array(await readBack(device, lostBuf, lost.byteLength));
      const rec = wantRecord && recordBytes > 0 ? new Float32Array(await readBack(device, recBuf, recordBytes)) : undefined;
      const c32 = new Float32Array(outCoords);
      const value = this.precision === 'ff' ? (j: number, a: Float32Array) => a[2 * j] + a[2 * j + 1] : (j: number, a: Float32Array) => a[j];
      for (let j = 0; j < 6 * n; j++) coords[j] = value(j, c32);
      for (let i = 0; i < n; i++) {
        if (outLost[3 * i + 2] !== 0) {
          throw new GpuLimitError(
            `the adapter cut the tracking kernel short (particle ${i}): its driver limits shader loop iterations; create the tracker with a smaller loopBudget (now ${this.loopBudget})`,
          );
        }
      }
      for (let i = 0; i < n; i++) {
        const t = outLost[3 * i];
        if (t > 0 && lostTurn[i] === 0) {
          lostTurn[i] = t;
          lostElement[i] = outLost[3 * i + 1];
          for (let k = 0; k < 6; k++) lostCoords[k * n + i] = coords[k * n + i];
        }
        if (t !== 0) for (let k = 0; k < 6; k++) coords[k * n + i] = NaN;
      }
      let record: Float64Array[][] | undefined;
      if (wantRecord) {
        record = [];
        for (let t = 0; t < turns; t++) {
          const row: Float64Array[] = [];
          for (let s = 0; s < slots; s++) {
            const out = new Float64Array(6 * n);
            const base = (t * slots + s) * 6 * n;
            if (rec) for (let j = 0; j < 6 * n; j++) out[j] = value(base + j, rec);
            row.push(out);
          }
          record.push(row);
        }
      }
      return { coords, record, refpts: wantRecord ? refpts : undefined, lostTurn, lostElement, lostCoords };
    } finally {
      for (const b of [coordBuf, lostBuf, recBuf, tabBuf, uniBuf]) b.destroy();
    }
  }

  /**
   * Splits the positions [0, turns*(N+1)) of (turn, element) pairs into dispatch ranges
   * [g0, g1): at most `workPerDispatch` particle-element passes, and at most `loopBudget`
   * shader loop iterations per particle (llvmpipe ends any invocation after a fixed number
   * of loop iterations, counted over all its loops).
   */
  private dispatchRanges(n: number, turns: number): number[] {
    const N = this.tables.nElem;
    const stride = N + 1;
    const cost = new Float64Array(stride);
    for (let e = 0; e < N; e++) {
      cost[e] = POSITION_LOOPS + this.tables.loopCost[e];
      if (cost[e] > this.loopBudget) {
        throw new GpuLimitError(
          `element #${e} needs up to ${cost[e]} shader loop iterations per particle, more than this adapter runs in one invocation (${this.loopBudget})`,
        );
      }
    }
    cost[N] = POSITION_LOOPS;
    const maxPositions = Math.max(1, Math.floor(this.workPerDispatch / n));
    const out: number[] = [];
    const end = turns * stride;
    let g0 = 0;
    let acc = 0;
    for (let g = 0; g < end; g++) {
      const c = cost[g % stride];
      if (acc + c > this.loopBudget || g - g0 >= maxPositions) {
        out.push(g0, g);
        g0 = g;
        acc = 0;
      }
      acc += c;
    }
    if (end > g0) out.push(g0, end);
    return out;
  }

  /** Releases the parameter table (the context stays open). */
  destroy(): void {
    this.paramBuffer.destroy();
  }
}
