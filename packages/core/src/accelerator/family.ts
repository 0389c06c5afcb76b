import { rxStreaming, type Observable } from '../rx.js';
import type { Sample } from '../control/sample.js';
import type { FamilyConfig, FieldName } from '../config/schema.js';
import { resolveSettling, type FamilySettling } from '../config/settling-defaults.js';
import type { LatticeModel } from '../model/lattice-model.js';
import { ModelBindingError, type ParameterStep } from '../model/model-binding.js';
import { MlayerError, OutOfLimitsError, WriteRejectedError } from '../errors.js';
import type { ConversionContext } from '../units/unit-conversion.js';
import type { ChannelAccess } from './channel-access.js';
import type { DeviceData, FamilyData } from './family-data.js';
import { didYouMean } from './name-suggestions.js';

export type Units = 'hardware' | 'physics';
export type DeviceId = readonly [number, number];

export interface GetOptions {
  readonly units?: Units;
  /** Field to read: default 'monitor' if the family has one, else 'readback', else 'setpoint'. */
  readonly field?: FieldName;
  readonly timeout?: number;
  readonly signal?: AbortSignal;
}

export interface SetOptions {
  readonly units?: Units;
  /** Wait for the server's completion and then the field's settle time. */
  readonly wait?: boolean;
  readonly timeout?: number;
  readonly signal?: AbortSignal;
}

export interface WatchOptions {
  readonly units?: Units;
  readonly field?: FieldName;
  /** Emit at most once per this many milliseconds (latest values). */
  readonly throttle?: number;
}

/** Shared state a family handle needs from its accelerator. */
export interface FamilyContext {
  readonly access: ChannelAccess;
  conversionContext(): ConversionContext;
}

export class UnknownDeviceError extends MlayerError {}

const settlingCache = new WeakMap<FamilyData, FamilySettling>();

/**
 * A family of devices, or a selection of it (`devices()`, `byName()`, `enabled()`
 * return new handles over the same devices). Values are arrays in device order.
 */
export class Family {
  /** The selection given, else every device (listed when first asked for: a family's devices may be resolved on first use). */
  private selected: readonly number[] | undefined;

  constructor(
    private readonly data: FamilyData,
    private readonly context: FamilyContext,
    /** Indices into data.devices of the selected devices (default: all). */
    indices?: readonly number[],
  ) {
    this.selected = indices;
  }

  /** Indices into data.devices of the selected devices. */
  get indices(): readonly number[] {
    return (this.selected ??= this.data.devices.map((_d, i) => i));
  }

  get name(): string {
    return this.data.name;
  }
  get elementClass(): string {
    return this.data.config.elementClass;
  }
  get memberOf(): readonly string[] {
    return this.data.config.memberOf;
  }
  get size(): number {
    return this.indices.length;
  }
  /** Device list [sector, index] of the selection (MML family2dev). */
  get deviceList(): DeviceId[] {
    return this.indices.map((i) => this.data.devices[i].device);
  }
  get names(): string[] {
    return this.indices.map((i) => this.data.devices[i].name);
  }
  /** Lattice element (FamName or index) of each selected device, when the facility gives one. */
  get elements(): (string | number | undefined)[] {
    return this.indices.map((i) => this.data.devices[i].element);
  }
  get fields(): FieldName[] {
    return (['setpoint', 'readback', 'monitor'] as const).filter((f) => this.data.field(f));
  }
  /** Units of a field, hardware and physics. */
  units(field: FieldName = this.defaultReadField()): { hardware: string; physics: string } {
    return this.requireField(field).units;
  }
  /** Setpoint limits per selected device in hardware units (undefined where none). */
  get limits(): (readonly [number, number] | undefined)[] {
    return this.indices.map((i) => this.data.devices[i].limits);
  }
  /** Channels of a field for the selected devices in the active control system. */
  channels(field: FieldName): string[] {
    this.requireField(field);
    return this.indices.map((i) => this.channelOf(this.data.devices[i], field));
  }
  /** Settle time, tolerance and update period: the facility's, else the element-class defaults (settling-defaults.ts). */
  get settling(): FamilySettling {
    let s = settlingCache.get(this.data);
    if (!s) {
      s = resolveSettling(this.data.config);
      settlingCache.set(this.data, s);
    }
    return s;
  }
  /** Settle time of the setpoint in seconds (the class default when the facility gives none). */
  get settleTime(): number {
    return this.settling.settleTime;
  }
  /** Readback tolerance in hardware units (the class default when the facility gives none; undefined: not checked). */
  get tolerance(): number | undefined {
    return this.settling.tolerance;
  }
  /** Seconds between updates of the default read field (undefined when that is the setpoint). */
  get updatePeriod(): number | undefined {
    return this.settling.updatePeriod;
  }
  /** The field `get()` and `watch()` read when none is given: monitor, else readback, else setpoint. */
  get readField(): FieldName {
    return this.defaultReadField();
  }
  /** True when the control system's writes take effect at once and its reads are always current (the twin). */
  get immediate(): boolean {
    return this.context.access.controlSystem.immediate === true;
  }

  /** Selects devices by [sector, index] (MML device list); unknown devices are an error. */
  devices(list: readonly DeviceId[]): Family {
    const idx = list.map((d) => {
      const i = this.indices.find((k) => this.data.devices[k].device[0] === d[0] && this.data.devices[k].device[1] === d[1]);
      if (i === undefined) throw new UnknownDeviceError(`${this.name}: no device [${d[0]}, ${d[1]}] in this selection`);
      return i;
    });
    return new Family(this.data, this.context, idx);
  }

  /** Selects devices by common name (exact) or by a RegExp. */
  byName(...names: (string | RegExp)[]): Family {
    const idx: number[] = [];
    for (const n of names) {
      if (typeof n === 'string') {
        const i = this.indices.find((k) => this.data.devices[k].name === n);
        if (i === undefined) throw new UnknownDeviceError(`${this.name}: no device named '${n}'${didYouMean(n, this.names)}`);
        idx.push(i);
      } else {
        const found = this.indices.filter((k) => n.test(this.data.devices[k].name));
        if (found.length === 0) throw new UnknownDeviceError(`${this.name}: no device name matches ${n}`);
        idx.push(...found);
      }
    }
    return new Family(this.data, this.context, idx);
  }

  /** The selected devices that are enabled (status good). */
  enabled(): Family {
    return new Family(this.data, this.context, this.indices.filter((i) => this.data.devices[i].enabled));
  }

  /** Reads raw samples of a field (hardware units). */
  async read(options: Omit<GetOptions, 'units'> = {}): Promise<Sample[]> {
    const field = options.field ?? this.defaultReadField();
    return this.context.access.read(this.channels(field), { timeout: options.timeout, signal: options.signal });
  }

  /** Reads a numeric field (MML getam / getsp) in hardware or physics units. */
  async get(options: GetOptions = {}): Promise<Float64Array> {
    const field = options.field ?? this.defaultReadField();
    const samples = await this.read({ ...options, field });
    const hw = samples.map((s, k) => {
      if (typeof s.value !== 'number') throw new MlayerError(`${this.name}: ${this.names[k]} ${field} is not a scalar`);
      return s.value;
    });
    return options.units === 'physics' ? this.toPhysics(hw, field) : Float64Array.from(hw);
  }

  /**
   * Sets the setpoints (MML setsp). Every value is checked first: NaN/Inf, limits,
   * standardisation; a rejected set writes nothing.
   */
  async set(values: number | ArrayLike<number>, options: SetOptions = {}): Promise<void> {
    const phys = this.expand(values);
    const hw = options.units === 'physics' ? this.toHardware(phys, 'setpoint') : Float64Array.from(phys);
    await this.writeHardware(hw, options);
  }

  /** Adds deltas to the present setpoints (MML stepsp). */
  async step(deltas: number | ArrayLike<number>, options: SetOptions = {}): Promise<void> {
    const d = this.expand(deltas);
    const current = await this.get({ field: 'setpoint', units: options.units, signal: options.signal, timeout: options.timeout });
    const target = current.map((v, i) => v + d[i]);
    await this.set(target, options);
  }

  /**
   * Standardises (cycles) the selected magnets that have a history-dependent
   * conversion, all in step: each step is written with wait, then the dwell time.
   * Returns the number of devices cycled.
   */
  async standardise(options: { signal?: AbortSignal } = {}): Promise<number> {
    this.requireField('setpoint');
    const sel = this.indices
      .map((i) => ({ i, plan: this.conversion(this.data.devices[i], 'setpoint').standardisationPlan?.() }))
      .filter((x): x is { i: number; plan: NonNullable<typeof x.plan> } => x.plan !== undefined && x.plan.steps.length > 0);
    if (sel.length === 0) return 0;
    const fam = new Family(this.data, this.context, sel.map((x) => x.i));
    const n = Math.max(...sel.map((x) => x.plan.steps.length));
    const dwell = Math.max(...sel.map((x) => x.plan.dwell));
    for (let k = 0; k < n; k++) {
      options.signal?.throwIfAborted();
      const hw = Float64Array.from(sel, (x) => x.plan.steps[Math.min(k, x.plan.steps.length - 1)]);
      await fam.writeHardware(hw, { wait: true, signal: options.signal }, true);
      if (dwell > 0) await sleep(dwell * 1000, options.signal);
    }
    for (const x of sel) x.plan.complete();
    return sel.length;
  }

  /** The family's model binding (which AT field of its elements it drives or reads), if any. */
  get modelBinding(): FamilyConfig['model'] {
    return this.data.config.model;
  }

  /**
   * The lattice element of each selected device in a model: an index, or a
   * FamName matched in order of occurrence over the whole family (as the twin binds them).
   */
  latticeElements(model: LatticeModel): number[] {
    const next = new Map<string, number>();
    const byIndex = new Map<number, number>();
    this.data.devices.forEach((d, i) => {
      const e = d.element;
      if (e === undefined) return;
      if (typeof e === 'number') {
        if (!Number.isInteger(e) || e < 0 || e >= model.length) throw new ModelBindingError(`${this.name} ${d.name}: element ${e} is outside the lattice (0..${model.length - 1})`);
        byIndex.set(i, e);
        return;
      }
      const found = model.find(`famname:^${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      if (found.length === 0) throw new ModelBindingError(`${this.name} ${d.name}: no lattice element named '${e}'`);
      const k = next.get(e) ?? 0;
      next.set(e, k + 1);
      byIndex.set(i, found[Math.min(k, found.length - 1)]);
    });
    return this.indices.map((i) => {
      const e = byIndex.get(i);
      if (e === undefined) throw new ModelBindingError(`${this.name} ${this.data.devices[i].name}: the device names no lattice element; the model cannot be used`);
      return e;
    });
  }

  /** How a unit step (physics units) of each selected device changes its model parameter. */
  modelParameters(model: LatticeModel): ParameterStep[] {
    const binding = this.data.config.model;
    if (!binding) throw new ModelBindingError(`families.${this.name} has no model binding (model: { field, index }); its response cannot come from the model`);
    return this.latticeElements(model).map((element, k) => {
      let scale = 1;
      if (binding.integrated || binding.perLength) {
        const L = model.element(element).length;
        if (!(L > 0)) throw new ModelBindingError(`${this.name} ${this.names[k]}: element ${element} has length ${L}; the binding needs a positive length`);
        scale = binding.integrated ? 1 / L : L;
      }
      return { ref: { element, field: binding.field, index: binding.index }, scale };
    });
  }

  /** Shared readback stream of the default read field, hardware units. */
  get readback$(): Observable<Float64Array> {
    return this.watch();
  }

  /** Stream of a field as an array in device order; every subscriber shares one monitor per channel. */
  watch(options: WatchOptions = {}): Observable<Float64Array> {
    const field = options.field ?? this.defaultReadField();
    const streams = this.channels(field).map((c) => this.context.access.monitor(c));
    const { combineLatest, auditTime, map, throttleTime, asyncScheduler } = rxStreaming();
    // Updates of several devices in the same tick (one BPM acquisition) give one emission.
    let out = combineLatest(streams).pipe(
      auditTime(0),
      map((samples) => {
        const hw = samples.map((s) => (typeof s.value === 'number' ? s.value : Number.NaN));
        return options.units === 'physics' ? this.toPhysics(hw, field) : Float64Array.from(hw);
      }),
    );
    if (options.throttle !== undefined && options.throttle > 0) {
      out = out.pipe(throttleTime(options.throttle, asyncScheduler, { leading: true, trailing: true }));
    }
    return out;
  }

  toPhysics(hardware: ArrayLike<number>, field: FieldName = 'setpoint'): Float64Array {
    const ctx = this.context.conversionContext();
    return Float64Array.from(this.indices, (i, k) => this.conversion(this.data.devices[i], field).toPhysics(hardware[k], ctx));
  }

  toHardware(physics: ArrayLike<number>, field: FieldName = 'setpoint'): Float64Array {
    const ctx = this.context.conversionContext();
    return Float64Array.from(this.indices, (i, k) => {
      const v = physics[k];
      if (!Number.isFinite(v)) throw new WriteRejectedError(this.channelOf(this.data.devices[i], 'setpoint'), `${this.name} ${this.data.devices[i].name}: value ${v} is not finite; nothing was written`);
      return this.conversion(this.data.devices[i], field).toHardware(v, ctx);
    });
  }

  private async writeHardware(hw: Float64Array, options: SetOptions, cycling = false): Promise<void> {
    this.requireField('setpoint');
    const devices = this.indices.map((i) => this.data.devices[i]);
    devices.forEach((d, k) => {
      const v = hw[k];
      const channel = this.channelOf(d, 'setpoint');
      if (!Number.isFinite(v)) throw new WriteRejectedError(channel, `${this.name} ${d.name}: value ${v} is not finite; nothing was written`);
      if (d.limits && (v < d.limits[0] || v > d.limits[1])) throw new OutOfLimitsError(`${this.name} ${d.name} (${channel})`, v, d.limits);
    });
    // Devices that share one channel (one supply) take one value: different values for them are
    // refused (whichever landed last would win), and the channel is written once.
    const byChannel = new Map<string, number>();
    devices.forEach((d, k) => {
      const channel = this.channelOf(d, 'setpoint');
      const first = byChannel.get(channel);
      if (first === undefined) {
        byChannel.set(channel, k);
        return;
      }
      const [a, b] = [hw[first], hw[k]];
      if (Math.abs(a - b) > 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1)) {
        throw new WriteRejectedError(channel, `${this.name} ${devices[first].name} and ${d.name} share ${channel} but were given different values (${a} and ${b}); nothing was written`);
      }
    });
    const convs = devices.map((d) => this.conversion(d, 'setpoint'));
    if (!cycling && convs.some((c) => c.checkChange)) {
      const current = await this.context.access.read(devices.map((d) => this.channelOf(d, 'setpoint')), { signal: options.signal, timeout: options.timeout });
      devices.forEach((d, k) => {
        const reason = convs[k].checkChange?.(current[k].value as number, hw[k]);
        if (reason) throw new WriteRejectedError(this.channelOf(d, 'setpoint'), `${this.name} ${d.name}: ${reason}`);
      });
    }
    await this.context.access.write(
      [...byChannel].map(([channel, k]) => ({ channel, value: hw[k] })),
      { wait: options.wait, timeout: options.timeout, signal: options.signal },
    );
    convs.forEach((c, k) => c.commit?.(hw[k]));
    if (options.wait && this.settleTime > 0 && !this.immediate) await sleep(this.settleTime * 1000, options.signal);
    // Readings in any measurement must now come from after this change (fresh-reading.ts).
    if (!this.immediate) this.context.access.noteChange();
  }

  private expand(values: number | ArrayLike<number>): ArrayLike<number> {
    if (typeof values === 'number') return new Float64Array(this.size).fill(values);
    if (values.length !== this.size) throw new MlayerError(`${this.name}: ${values.length} values given for ${this.size} devices`);
    return values;
  }

  private defaultReadField(): FieldName {
    if (this.data.field('monitor')) return 'monitor';
    if (this.data.field('readback')) return 'readback';
    return 'setpoint';
  }

  private requireField(field: FieldName) {
    const f = this.data.field(field);
    if (!f) throw new MlayerError(`${this.name} has no '${field}' field (it has: ${this.fields.join(', ')})`);
    return f;
  }

  private channelOf(d: DeviceData, field: FieldName): string {
    const c = d.channels[field];
    if (c === undefined) throw new MlayerError(`${this.name} ${d.name}: no ${field} channel in the active control system`);
    return c;
  }

  private conversion(d: DeviceData, field: FieldName) {
    const c = d.conversions[field];
    if (!c) throw new MlayerError(`${this.name} ${d.name}: no conversion for ${field}`);
    return c;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
