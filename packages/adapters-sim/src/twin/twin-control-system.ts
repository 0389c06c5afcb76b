// rxjs is required when a stream is first made: a read or write alone loads none of it.
import { rxSubjects, type Observable, type Subject } from '@mlayer/core/rx';
import {
  DisconnectedError,
  MlayerError,
  TimeoutError,
  WriteRejectedError,
  makeSample,
  rigidity,
  systemClock,
  type ChannelWrite,
  type Clock,
  type ConnectionEvent,
  type ControlSystem,
  type ConversionContext,
  type DigitalTwin,
  type LatticeModel,
  type LoadedFacility,
  type ParameterRef,
  type ReadOptions,
  type Sample,
  type UnitConversionRegistry,
  type WriteOptions,
} from '@mlayer/core';
// The model and tracking only: the lattice readers (@mlayer/engine/io) are loaded when a lattice file is read.
import { createLatticeModel, type EngineLatticeModel } from '@mlayer/engine/model';
import type { Lattice, LatticeModelOptions } from '@mlayer/engine';
import { applyErrorSpec, type AppliedErrors } from './error-model.js';
import { ErrorSpecSchema } from './error-spec.js';
import { expandErrorGroups } from './error-groups.js';
import { Random } from './random.js';
import { TwinFaults } from './faults.js';
import type { TwinFault } from './fault-spec.js';
import type { TwinSettings } from './settings.js';
import { buildTwinDevices, type ChannelBinding, type TwinActuator, type TwinDevices } from './twin-devices.js';
import { EquilibriumCache, beamValue } from './beam-parameters.js';
import { TwinBeam } from './beam-state.js';
import type { BeamState, InjectionShot } from './injection.js';
import { DEFAULT_TBT_BUNCH, bpmReading, checkBunch, trackKick, trackKickOn, type TurnByTurnBunch, type TurnByTurnShot } from './turn-by-turn.js';
// The GPU backend (and its native WebGPU module) is loaded only when a kick is tracked on it.
import type { Tracker } from '@mlayer/engine/gpu';

export interface TwinOptions {
  readonly name: string;
  readonly facility: LoadedFacility;
  readonly conversions: UnitConversionRegistry;
  /** The design lattice. */
  readonly lattice: Lattice;
  readonly settings: TwinSettings;
  /**
   * Each actuator's initial setpoint (its design value in hardware units) is converted when
   * the actuator is first read or written instead of at construction. Only for a facility,
   * lattice and code whose twin was built before with every conversion succeeding (the
   * CLI's compiled-facility cache says so): the values are the same, and a conversion that
   * could fail is never deferred. Default false: every setpoint converted here.
   */
  readonly lazySetpoints?: boolean;
  /** The twin's time (ramps, faults): the host's clock by default; a test gives a simulated one (and calls update()). */
  readonly clock?: Clock;
}

/**
 * The digital twin as a control system: the facility's own channel names, each
 * bound to a model quantity of the machine model (the design lattice plus errors
 * plus the present setpoints). Setpoint and readback are distinct (power-supply
 * ramps, readback noise); BPMs read the closed orbit with offsets, gains,
 * rotations and noise; monitors emit at the update rate.
 */
export class TwinControlSystem implements ControlSystem, DigitalTwin {
  readonly isDigitalTwin = true as const;
  readonly online = false;
  /** Readings are computed on request from the model the writes changed: no settle or fresh-data wait. */
  readonly immediate = true;
  readonly name: string;
  readonly designModel: EngineLatticeModel;
  private machine: EngineLatticeModel;
  private readonly devices: TwinDevices;
  private readonly settings: TwinSettings;
  private readonly facility: LoadedFacility;
  private noise: Random;
  private readonly subjects = new Map<string, { subject: Subject<Sample>; count: number }>();
  /** Connection events (the twin has none, only the end at close): made when first asked for. */
  private connection: Subject<ConnectionEvent> | undefined;
  private connectionEvents: Observable<ConnectionEvent> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private orbitCache: { version: number; dp: number; orbit: Map<number, [number, number]> } | undefined;
  private tuneCache: { version: number; dp: number; tunes: [number, number] } | undefined;
  /** The 6D equilibrium of the machine model (beam-parameter families), computed on read, kept until the model changes. */
  readonly equilibrium = new EquilibriumCache();
  private errors: AppliedErrors | undefined;
  private seed: number | undefined;
  /** The RF frequency of the design; its momentum compaction is computed when a frequency change is first read (momentumCompaction). */
  private readonly rf: { f0: number; alpha?: number } | undefined;
  /** The RF family's actuator, found once: dp() is asked on every BPM read. */
  private readonly rfActuator: TwinActuator | undefined;
  private readonly clock: Clock;
  private lastTick: number;
  /** Injected faults (faults.ts): evaluated at the clock's time on every read, write and update. */
  private readonly faultState: TwinFaults;
  private closed = false;
  // Turn-by-turn (turn-by-turn.ts): the bunch a kick excites, the last shot, its own random stream.
  private tbtBunch: TurnByTurnBunch = DEFAULT_TBT_BUNCH;
  private tbtShot: TurnByTurnShot | undefined;
  private tbtRandom: Random;
  private trackerCache: { machine: EngineLatticeModel; version: number; tracker: Tracker } | undefined;
  /** The beam: none, first turns after an injection, stored (beam-state.ts); an open line's trajectory. */
  private readonly beam: TwinBeam;

  constructor(options: TwinOptions) {
    this.name = options.name;
    this.settings = options.settings;
    this.facility = options.facility;
    this.beam = new TwinBeam(options.facility, options.lattice, options.settings.injection, options.settings.beam, options.settings.seed);
    // The vacuum chamber's apertures (facility chamber section) on the model's copy of the lattice; an open line's initial Twiss.
    this.designModel = createLatticeModel(options.lattice, this.modelOptions(true));
    this.machine = this.designModel.clone();
    this.noise = new Random(options.settings.seed ^ 0x5eed);
    this.tbtRandom = new Random(options.settings.seed ^ 0x7b7);
    this.devices = buildTwinDevices(options.facility, options.name, options.conversions, this.designModel);
    this.clock = options.clock ?? systemClock;
    this.lastTick = this.clock.now();
    this.faultState = new TwinFaults(options.facility, this.devices, () => this.seed ?? options.settings.seed, 1000 / options.settings.updateRate);
    this.faultState.now = this.lastTick;
    this.rfActuator = this.devices.actuators.find((a) => a.role === 'rf');
    if (this.rfActuator) {
      const cav = this.designModel.find('class:RFCavity');
      const f0 = cav.length > 0 ? this.designModel.getParameter({ element: cav[0], field: 'Frequency' }) : Number.NaN;
      if (!Number.isFinite(f0) || f0 <= 0) throw new MlayerError(`${options.facility.file}: the twin needs an RF cavity with a Frequency in the lattice to simulate the RF family`);
      this.rf = { f0 };
    }
    this.initialiseSetpoints(options.lazySetpoints === true);
  }

  get connection$(): Observable<ConnectionEvent> {
    if (!this.connectionEvents) {
      this.connection = new (rxSubjects().Subject)<ConnectionEvent>();
      if (this.closed) this.connection.complete();
      this.connectionEvents = this.connection.asObservable();
    }
    return this.connectionEvents;
  }

  get machineModel(): LatticeModel {
    return this.machine;
  }
  get errorSeed(): number | undefined {
    return this.seed;
  }
  /** The errors applied last (per-device draws), for reports and tests. */
  get appliedErrors(): AppliedErrors | undefined {
    return this.errors;
  }

  /**
   * Model computations so far: closed orbits (the BPM readings) and tunes computed anew; a
   * reading served from the cache (the model unchanged since) is not counted.
   */
  readonly computations = { orbit: 0, tunes: 0 };
  /**
   * Readings without noise (BPMs, readbacks, tunes): the model's values with the BPMs' offsets,
   * gains and rotations (a shadow's model observables, shadow.ts). Turn-by-turn buffers keep theirs.
   */
  noiseless = false;

  /** Batches being applied (batch()): the periodic updates wait. */
  private held = 0;

  /**
   * Changes made in `body` are published as one: the periodic updates of the monitors skip
   * their ticks until it ends, so no monitor reading is computed from half of them.
   */
  async batch<T>(body: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      return await body();
    } finally {
      this.held--;
    }
  }

  /** Starts the update loop (monitors); called by the factory. */
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), 1000 / this.settings.updateRate);
      this.timer.unref?.();
    }
    return this;
  }

  /**
   * One update step at the clock's present time: supplies ramp, faults act, monitors emit
   * (what the update loop does at the update rate; a test on a simulated clock calls it).
   */
  update(): void {
    if (this.closed) return;
    this.advance();
    if (this.held === 0) this.emitAll();
  }

  // ---- faults (fault-spec.ts, faults.ts) ----------------------------------

  /** The injected faults, in order, as the state file keeps them (start resolved on the twin's clock). */
  get faults(): readonly TwinFault[] {
    return this.faultState.faults;
  }

  /** Injects faults (each `{ kind, family?, device?, start? | after?, ...}`); all are checked before any is added. */
  injectFaults(specs: readonly unknown[]): TwinFault[] {
    this.advance();
    const added = this.faultState.add(specs, this.clock.now());
    this.advance();
    this.emitAll();
    return added;
  }

  /** Removes every fault: supplies follow their setpoints again, BPMs read, the beam current is back. */
  clearFaults(): void {
    this.advance();
    this.faultState.clear();
    this.advance();
    this.emitAll();
  }

  // ---- ControlSystem port -------------------------------------------------

  async read(channels: readonly string[], options: ReadOptions = {}): Promise<Sample[]> {
    options.signal?.throwIfAborted();
    await this.breathe(options.signal);
    this.advance();
    return channels.map((c) => this.sample(c, options.timeout));
  }

  async write(writes: readonly ChannelWrite[], options: WriteOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    await this.breathe(options.signal);
    const planned: { act: TwinActuator | undefined; binding: ChannelBinding; value: number; channel: string }[] = [];
    for (const w of writes) {
      const b = this.binding(w.channel, options.timeout);
      if (typeof w.value !== 'number') throw new WriteRejectedError(w.channel, 'the twin accepts numbers only');
      if (!Number.isFinite(w.value)) throw new WriteRejectedError(w.channel, `value ${w.value} is not finite`);
      if (b.kind === 'setpoint') {
        const lim = b.actuator.limits;
        if (lim && (w.value < lim[0] || w.value > lim[1])) throw new WriteRejectedError(w.channel, `value ${w.value} outside the limits [${lim[0]}, ${lim[1]}]`);
        planned.push({ act: b.actuator, binding: b, value: w.value, channel: w.channel });
      } else if (b.kind === 'static' || b.kind === 'injector') {
        planned.push({ act: undefined, binding: b, value: w.value, channel: w.channel });
      } else if (b.kind === 'kicker') {
        const lim = b.kicker.limits;
        if (lim && (w.value < lim[0] || w.value > lim[1])) throw new WriteRejectedError(w.channel, `value ${w.value} outside the limits [${lim[0]}, ${lim[1]}]`);
        planned.push({ act: undefined, binding: b, value: w.value, channel: w.channel });
      } else {
        throw new WriteRejectedError(w.channel, 'read-only channel');
      }
    }
    this.advance();
    let rampTime = 0;
    for (const p of planned) {
      if (p.act) {
        p.act.setpoint = p.value;
        if (this.settings.rampRate === undefined) this.setActual(p.act, p.value);
        else rampTime = Math.max(rampTime, Math.abs(p.value - p.act.actual) / this.settings.rampRate);
      } else if (p.binding.kind === 'static' || p.binding.kind === 'injector') p.binding.value = p.value;
      else if (p.binding.kind === 'kicker') p.binding.kicker.setpoint = p.value;
      this.emit(p.channel);
    }
    const fired = planned.flatMap((p) => (p.binding.kind === 'kicker' ? [p.binding.kicker] : []));
    if (fired.length > 0) await this.fireKickers(fired);
    if (planned.some((p) => p.binding.kind === 'injector')) this.inject();
    if (options.wait && rampTime > 0) {
      const timeout = options.timeout ?? this.settings.timeout;
      if (rampTime * 1000 > timeout) throw new TimeoutError(planned[0].channel, timeout, 'write with wait (power supply ramp)');
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          options.signal?.removeEventListener('abort', onAbort);
          this.advance();
          resolve();
        }, rampTime * 1000 + 1);
        const onAbort = () => {
          clearTimeout(t);
          reject(options.signal?.reason);
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  monitor(channel: string): Observable<Sample> {
    const { Observable, Subject } = rxSubjects();
    return new Observable<Sample>((subscriber) => {
      try {
        this.binding(channel);
      } catch (e) {
        subscriber.error(e);
        return undefined;
      }
      let entry = this.subjects.get(channel);
      if (!entry) {
        entry = { subject: new Subject<Sample>(), count: 0 };
        this.subjects.set(channel, entry);
      }
      entry.count++;
      this.advance();
      subscriber.next(this.sample(channel));
      const sub = entry.subject.subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        entry!.count--;
        if (entry!.count === 0) this.subjects.delete(channel);
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.trackerCache?.tracker.close();
    this.trackerCache = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const { subject } of this.subjects.values()) subject.complete();
    this.subjects.clear();
    this.connection?.complete();
  }

  // ---- DigitalTwin --------------------------------------------------------

  /** Applies an error set keyed by families or groups (MML MemberOf: QUAD stands for each of its families), as error-set files are. */
  applyErrors(spec: unknown, seed: number): void {
    const parsed = ErrorSpecSchema.safeParse(spec);
    if (!parsed.success) {
      // Every issue, one per line.
      throw new MlayerError(parsed.error.issues.map((i) => `error specification: ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'));
    }
    const lattice = this.designModel.lattice();
    const expanded = ErrorSpecSchema.parse(expandErrorGroups(this.facility.config, parsed.data));
    this.errors = applyErrorSpec(expanded, seed, lattice, this.devices, this.rf?.f0);
    this.seed = seed;
    this.rebuildMachine(lattice);
  }

  reseedNoise(seed: number): void {
    this.noise = new Random(seed ^ 0x5eed);
    this.tbtRandom = new Random(seed ^ 0x7b7);
    this.beam.reseed(seed);
  }

  clearErrors(): void {
    for (const a of this.devices.actuators) a.calibration = 1;
    for (const b of this.devices.bpms.values()) {
      b.offset = [0, 0];
      b.gain = [0, 0];
      b.rotation = 0;
      b.noise = undefined;
    }
    this.errors = undefined;
    this.seed = undefined;
    this.rebuildMachine(this.designModel.lattice());
  }

  setModelParameter(ref: ParameterRef, value: number): void {
    this.machine.setParameter(ref, value);
    this.emitAll();
  }

  // ---- beam states and injection (beam-state.ts, injection.ts) ----------------

  /** 'none', 'first-turns' (after an injection that did not store) or 'stored'. */
  get beamState(): BeamState {
    return this.beam.state;
  }
  /** The last injection shot (survivors per turn, where the bunch was lost), undefined before the first. */
  get lastInjection(): InjectionShot | undefined {
    return this.beam.shot;
  }
  /** Injections since the twin started. */
  get injectionCount(): number {
    return this.beam.injections;
  }
  /** Dumps the beam ('none': commissioning from scratch); 'stored' puts back the start-up stored beam. */
  resetBeam(state: 'none' | 'stored'): void {
    this.beam.dump();
    if (state === 'stored') this.beam.state = 'stored';
    this.emitAll();
  }

  /** One shot from the injection point (what a write of the Injection family does). */
  private inject(): void {
    const bpms = [...this.devices.bpms.keys()];
    this.beam.inject(this.machine, this.errors?.injection ?? [0, 0, 0, 0], bpms, () => {
      try {
        const co = this.machine.closedOrbit([0], { dp: this.dp() });
        return co[0].every(Number.isFinite);
      } catch {
        return false;
      }
    });
    this.orbitCache = undefined;
    this.emitAll();
  }

  /** Beam position [x, y] at a BPM element (m) on a single reading, and the noise draw of a shot (units of sigma) when it has one. */
  private beamAt(element: number): { x: number; y: number; noise?: [number, number] } {
    if (this.beam.openLine) {
      const [x, y] = this.beam.lineReading(this.machine, element, [...this.devices.bpms.keys()], this.errors?.injection ?? [0, 0, 0, 0]);
      return { x, y };
    }
    if (this.beam.state === 'none') return { x: Number.NaN, y: Number.NaN };
    if (this.beam.state === 'first-turns') {
      const r = this.beam.shotReading(element, 0);
      return { x: r.x, y: r.y, noise: [r.nx, r.ny] };
    }
    try {
      const [x, y] = this.orbitAt(element);
      return { x, y };
    } catch {
      // No closed orbit any more: the stored beam is lost.
      this.beam.dump();
      return { x: Number.NaN, y: Number.NaN };
    }
  }

  // ---- turn-by-turn (turn-by-turn.ts) ----------------------------------------

  /** The bunch a kick excites (macro-particles, energy spread, emittance). */
  configureTurnByTurn(bunch: Partial<TurnByTurnBunch>): void {
    this.tbtBunch = checkBunch({ ...this.tbtBunch, ...bunch });
  }
  /** The last kick and the centroids it left in the BPM buffers (undefined before the first kick). */
  get lastKick(): TurnByTurnShot | undefined {
    return this.tbtShot;
  }

  /** Kickers written together fire together (one kick at the first kicker's element, both planes). */
  private async fireKickers(kickers: readonly TwinDevices['kickers'][number][]): Promise<void> {
    const ctx = this.conversionContext();
    const kick: [number, number] = [0, 0];
    for (const k of kickers) kick[k.plane] += k.conversion.toPhysics(k.setpoint, ctx);
    const tbt = [...this.devices.bindings.values()].flatMap((b) => (b.kind === 'tbt' ? [b] : []));
    // A zero kick leaves the beam on its closed orbit: the buffers show it (no tracking needed).
    if (tbt.length === 0 || (kick[0] === 0 && kick[1] === 0)) {
      this.tbtShot = undefined;
      return;
    }
    const turns = Math.max(...tbt.map((b) => b.length));
    const bpms = [...new Set(tbt.map((b) => b.bpm.element))];
    const shot = { element: kickers[0].element, kick, dp: this.dp(), bpms, turns, bunch: this.tbtBunch, rng: this.tbtRandom };
    const backend = this.settings.backend ?? 'cpu';
    // 'cpu': the engine in this thread; 'webgpu' / 'auto': whole turns on createTracker's backend.
    this.tbtShot = backend === 'cpu' ? trackKick(this.machine, shot) : await trackKickOn(await this.tracker(backend), this.machine, shot);
  }

  /** What tracked the last kick when the backend is not 'cpu' ('WebGPU ...', 'CPU engine, 1 thread'). */
  get trackerDescription(): string | undefined {
    return this.trackerCache?.tracker.description;
  }

  /** The tracker of the present machine model (rebuilt when the model changed). */
  private async tracker(backend: 'webgpu' | 'auto'): Promise<Tracker> {
    if (this.trackerCache?.version !== this.machine.version || this.trackerCache.machine !== this.machine) {
      await this.trackerCache?.tracker.close();
      this.trackerCache = { machine: this.machine, version: this.machine.version, tracker: await (await import('@mlayer/engine/gpu')).createTracker(this.machine.lattice(), { backend }) };
    }
    return this.trackerCache.tracker;
  }

  /** A BPM buffer: the centroid of the last kick, or the closed orbit before any kick; noise on every reading. */
  private tbtBuffer(b: Extract<ChannelBinding, { kind: 'tbt' }>, ctx: ConversionContext): Float64Array {
    if (this.beam.state !== 'stored' || this.beam.openLine) return this.tbtInjectionBuffer(b, ctx);
    const shot = this.tbtShot?.centroids.get(b.bpm.element);
    const [x0, y0] = shot ? [0, 0] : this.orbitAt(b.bpm.element);
    const sigma = b.bpm.noise?.[b.plane] ?? this.settings.bpmNoise;
    const out = new Float64Array(b.length);
    for (let t = 0; t < b.length; t++) {
      const x = shot ? (t < shot.x.length ? shot.x[t] : Number.NaN) : x0;
      const y = shot ? (t < shot.y.length ? shot.y[t] : Number.NaN) : y0;
      const read = bpmReading(b.bpm, x, y, b.plane);
      out[t] = b.conversion.toHardware(read + (sigma > 0 ? sigma * this.noise.gaussian() : 0), ctx);
    }
    return out;
  }

  /** A BPM buffer without a stored beam: the centroid per turn of the last injection (NaN without beam), with its single-shot noise. */
  private tbtInjectionBuffer(b: Extract<ChannelBinding, { kind: 'tbt' }>, ctx: ConversionContext): Float64Array {
    const sigma = b.bpm.noise?.[b.plane] ?? this.settings.bpmNoise;
    const out = new Float64Array(b.length);
    for (let t = 0; t < b.length; t++) {
      let x: number;
      let y: number;
      let n: number;
      if (this.beam.openLine) {
        ({ x, y } = t === 0 ? this.beamAt(b.bpm.element) : { x: Number.NaN, y: Number.NaN });
        n = this.noise.gaussian();
      } else {
        const r = this.beam.shotReading(b.bpm.element, t);
        x = r.x;
        y = r.y;
        n = b.plane === 0 ? r.nx : r.ny;
      }
      const read = bpmReading(b.bpm, x, y, b.plane) + sigma * n;
      // No beam at this BPM on this turn: NaN (a conversion is not asked to convert it).
      out[t] = Number.isFinite(read) ? b.conversion.toHardware(read, ctx) : Number.NaN;
    }
    return out;
  }

  // ---- internals ----------------------------------------------------------

  /**
   * The twin answers without real I/O, so a measurement at settle 0 would only ever await
   * resolved promises and starve the event loop: no timer and no Ctrl-C (SIGINT) would be
   * seen before its end. Every read and write therefore first gives the event loop one turn
   * (setImmediate: timers, signals, I/O run), then honours an abort that came meanwhile.
   */
  private async breathe(signal?: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
  }

  private conversionContext(): ConversionContext {
    const beam = { energy: this.facility.config.energy, particle: this.facility.config.particle };
    return { beam, brho: rigidity(beam) };
  }

  /** Setpoints start at the design values of the model parameters they drive (lazy: each when its actuator is first used). */
  private initialiseSetpoints(lazy: boolean): void {
    const ctx = this.conversionContext();
    for (const a of this.devices.actuators) {
      if (!lazy) {
        this.initialiseSetpoint(a, ctx);
        continue;
      }
      let pending = true;
      const init = (): void => {
        if (!pending) return;
        pending = false;
        // The plain fields again (as an eager start leaves them), then the design value in hardware units.
        Object.defineProperty(a, 'setpoint', { value: 0, writable: true, enumerable: true, configurable: true });
        Object.defineProperty(a, 'actual', { value: 0, writable: true, enumerable: true, configurable: true });
        this.initialiseSetpoint(a, ctx);
      };
      for (const key of ['setpoint', 'actual'] as const) {
        Object.defineProperty(a, key, {
          get: () => (init(), a[key]),
          set: (v: number) => {
            init();
            a[key] = v;
          },
          enumerable: true,
          configurable: true,
        });
      }
    }
  }

  private initialiseSetpoint(a: TwinActuator, ctx: ConversionContext): void {
    let physics: number;
    if (a.role === 'rf') physics = this.rf!.f0;
    else {
      const v = this.designModel.getParameter(a.ref!);
      physics = a.integrated ? v * a.length : a.perLength ? v / a.length : v;
    }
    let hw: number;
    try {
      hw = a.conversion.toHardware(physics, ctx);
    } catch (e) {
      throw new MlayerError(`${this.facility.file}: twin: ${a.family} ${a.name}: the design value ${physics} cannot be converted to hardware units: ${(e as Error).message}`, { cause: e });
    }
    a.setpoint = hw;
    a.actual = hw;
    a.conversion.commit?.(hw);
  }

  /** The engine model options of the facility: chamber apertures (on the design lattice only: its copies carry them), open line. */
  private modelOptions(design: boolean): LatticeModelOptions {
    const { chamber, openLine } = this.facility.config;
    return { ...(design && chamber ? { chamber } : {}), ...(openLine ? { openLine: openLine.twiss } : {}) };
  }

  private rebuildMachine(lattice: Lattice): void {
    this.machine = createLatticeModel(lattice, this.modelOptions(false));
    for (const a of this.devices.actuators) if (a.role === 'magnet') this.applyToModel(a);
    this.orbitCache = undefined;
    this.tuneCache = undefined;
    this.emitAll();
  }

  private setActual(a: TwinActuator, hw: number): void {
    for (const x of [a, ...a.followers]) {
      x.setpoint = a.setpoint;
      x.actual = hw;
      x.conversion.commit?.(hw);
      if (x.role === 'magnet') this.applyToModel(x);
    }
  }

  private applyToModel(a: TwinActuator): void {
    const physics = a.conversion.toPhysics(this.faultState.output(a, a.actual), this.conversionContext());
    const value = (a.integrated ? physics / a.length : a.perLength ? physics * a.length : physics) * a.calibration * this.faultState.fieldFactor(a);
    // Unchanged values leave the model (and its cached orbit) as it is: faults re-apply their magnets on every update.
    if (this.machine.getParameter(a.ref!) !== value) this.machine.setParameter(a.ref!, value);
  }

  /** Moves ramping supplies to where they are now. */
  private advance(): void {
    const now = this.clock.now();
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    this.advanceFaults(now);
    const rate = this.settings.rampRate;
    if (rate === undefined) return;
    const followers = new Set(this.devices.actuators.flatMap((a) => a.followers));
    for (const a of this.devices.actuators) {
      if (followers.has(a)) continue;
      if (a.actual === a.setpoint) continue;
      const step = rate * dt;
      const d = a.setpoint - a.actual;
      this.setActual(a, Math.abs(d) <= step ? a.setpoint : a.actual + Math.sign(d) * step);
    }
  }

  /** Faults whose start has come act; the magnets faults touch take their outputs at `now`. */
  private advanceFaults(now: number): void {
    const f = this.faultState;
    f.now = now;
    if (f.touched.size === 0 && f.faults.length === 0) return;
    f.activate((a) => f.output(a, a.actual));
    for (const a of f.touched) if (a.role === 'magnet') this.applyToModel(a);
    if (f.faults.length === 0) f.touched.clear();
  }

  private dp(): number {
    const rf = this.rfActuator;
    if (!rf || !this.rf) return 0;
    const f = rf.conversion.toPhysics(this.faultState.output(rf, rf.actual), this.conversionContext()) + (this.errors?.rfOffset ?? 0) + this.faultState.rfOffset();
    // At the design frequency the beam is on momentum whatever the momentum compaction: the
    // optics it needs are computed only when the frequency is off (a read of the orbit at the
    // design frequency does not pay for them). Same value as -(0)/(f0·alpha) up to the sign of 0.
    if (f === this.rf.f0) return 0;
    this.rf.alpha ??= this.designModel.momentumCompaction();
    return -(f - this.rf.f0) / (this.rf.f0 * this.rf.alpha);
  }

  private orbitAt(element: number): [number, number] {
    const dp = this.dp();
    const version = this.machine.version;
    if (!this.orbitCache || this.orbitCache.version !== version || this.orbitCache.dp !== dp) {
      const elements = [...this.devices.bpms.keys()];
      const co = elements.length > 0 ? this.machine.closedOrbit(elements, { dp }) : [];
      this.computations.orbit++;
      const orbit = new Map<number, [number, number]>();
      elements.forEach((e, i) => orbit.set(e, [co[i][0], co[i][2]]));
      this.orbitCache = { version, dp, orbit };
    }
    return this.orbitCache.orbit.get(element)!;
  }

  private tunes(): [number, number] {
    const dp = this.dp();
    const version = this.machine.version;
    if (!this.tuneCache || this.tuneCache.version !== version || this.tuneCache.dp !== dp) {
      const t = this.machine.tunes({ dp });
      this.computations.tunes++;
      this.tuneCache = { version, dp, tunes: [t.qx - Math.floor(t.qx), t.qy - Math.floor(t.qy)] };
    }
    return this.tuneCache.tunes;
  }

  private binding(channel: string, timeout?: number): ChannelBinding {
    const b = this.devices.bindings.get(channel);
    if (!b) throw new TimeoutError(channel, timeout ?? this.settings.timeout, `connect (no such channel in the twin of ${this.facility.config.name})`);
    if (this.closed) throw new DisconnectedError(channel, 'twin closed');
    return b;
  }

  /** `monitor`: a monitor's emission (beam parameters may be up to their period old). */
  private sample(channel: string, timeout?: number, monitor = false): Sample {
    const b = this.binding(channel, timeout);
    const ctx = this.conversionContext();
    switch (b.kind) {
      case 'setpoint':
        return makeSample(b.actuator.setpoint);
      case 'readback':
        return makeSample(this.faultState.output(b.actuator, b.actuator.actual) + (this.noiseless ? 0 : this.settings.readbackNoise * this.noise.gaussian()));
      case 'static':
      case 'injector':
        return makeSample(b.value);
      case 'kicker':
        return makeSample(b.kicker.setpoint);
      case 'tbt':
        return makeSample(this.tbtBuffer(b, ctx));
      case 'current':
        return makeSample(b.conversion.toHardware(this.beam.current(this.settings.beamCurrent, this.machine.circumference * this.machine.periodicity) * this.faultState.currentFactor(), ctx));
      case 'beam':
        return makeSample(b.conversion.toHardware(beamValue(this.equilibrium.get(this.machine, this.machine.version, b.family, channel, monitor ? b.periodMs : 0), b.quantity), ctx));
      case 'tune':
        return makeSample(b.conversion.toHardware(this.tunes()[b.plane] + (this.noiseless ? 0 : this.settings.tuneNoise * this.noise.gaussian()), ctx));
      case 'bpm': {
        const bpm = b.bpm;
        // The closed orbit of a stored beam, else the last shot's first turn or an open line's trajectory (beamAt).
        // The start-up stored beam reads the closed orbit as before (an unstable machine is an error); an injected one is lost.
        const startUp = this.beam.state === 'stored' && this.beam.storedCharge === undefined && !this.beam.openLine;
        const at = startUp ? { x: this.orbitAt(bpm.element)[0], y: this.orbitAt(bpm.element)[1], noise: undefined } : this.beamAt(bpm.element);
        const read = bpmReading(bpm, at.x, at.y, b.plane);
        const sigma = this.noiseless ? 0 : this.faultState.bpmSigma(bpm, bpm.noise?.[b.plane] ?? this.settings.bpmNoise);
        if (!Number.isFinite(read)) return makeSample(this.faultState.bpmValue(bpm, channel, Number.NaN));
        const draw = at.noise ? at.noise[b.plane] : sigma > 0 ? this.noise.gaussian() : 0;
        return makeSample(this.faultState.bpmValue(bpm, channel, b.conversion.toHardware(read + sigma * draw, ctx)));
      }
    }
  }

  private emit(channel: string): void {
    const entry = this.subjects.get(channel);
    if (!entry) return;
    let sample: Sample;
    try {
      sample = this.sample(channel, undefined, true);
    } catch (e) {
      // A beam parameter of a model without an equilibrium (no cavity): no emission; a read says why.
      if (this.devices.bindings.get(channel)?.kind === 'beam') return;
      throw e;
    }
    entry.subject.next(sample);
  }

  private emitAll(): void {
    for (const channel of this.subjects.keys()) this.emit(channel);
  }

  private tick(): void {
    if (this.closed || this.subjects.size === 0 || this.held > 0) return;
    this.advance();
    this.emitAll();
  }
}
