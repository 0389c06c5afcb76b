import {
  AlarmSeverity,
  MlayerError,
  TimeoutError,
  type ChannelValue,
  type ChannelWrite,
  type ConnectionEvent,
  type ControlSystem,
  type ReadOptions,
  type Sample,
  type WriteOptions,
} from '@mlayer/core';
import { Observable, Subject, share, throwError } from 'rxjs';
import { isTangoHost, parseTangoChannel, parseTangoDevice, type TangoChannel } from './channel.js';
import { withDeadline } from './deadline.js';
import {
  TangoDevFailedError,
  TangoNotFoundError,
  TangoOutOfLimitsError,
  failureToError,
  isConnectionLoss,
  toTangoError,
  type TangoOperation,
} from './errors.js';
import {
  isNativeError,
  loadTangoAddon,
  type CommandResult,
  type NativeAttributeInfo,
  type NativeEvent,
  type NativeFailure,
  type NativeReading,
  type NativeValue,
  type TangoAddon,
  type TangoEventType,
} from './native-binding.js';
import { UnrepresentableReadingError, readingToSample } from './sample-mapping.js';

export interface TangoControlSystemOptions {
  /** Name of the control system in the facility file (default 'tango'). */
  readonly name?: string;
  /** Database host:port for channels without tango://host:port (default: TANGO_HOST). */
  readonly tangoHost?: string;
  /** Read, command and subscription timeout in ms (default 3000). */
  readonly timeout?: number;
  /** Write timeout in ms (default: timeout). */
  readonly writeTimeout?: number;
  /** Event type of monitor() (default 'change'). */
  readonly eventType?: 'change' | 'periodic' | 'archive';
}

export interface MonitorOptions {
  /** Overrides the control system's event type for this subscription. */
  readonly eventType?: TangoEventType;
}

/** Attribute configuration with numeric limits. */
export interface TangoAttributeInfo extends NativeAttributeInfo {
  /** [min_value, max_value] for writes, when both are specified. */
  readonly limits?: readonly [number, number];
}

/** The control system was closed. */
export class TangoClosedError extends MlayerError {
  constructor(name: string) {
    super(`TANGO control system '${name}' is closed`);
  }
}

/** Margin of mlayer's own deadline over the CORBA timeout, so that TANGO's timeout (with its stack) comes first. */
const DEADLINE_MARGIN_MS = 250;
/** Parsed channel names kept per control system. */
const PARSED_CACHE_SIZE = 100_000;

function unsupported(channel: string, operation: TangoOperation, detail: string): TangoDevFailedError {
  return new TangoDevFailedError(channel, operation, 'Unsupported', [{ reason: 'MLAYER_UnsupportedType', desc: detail, origin: 'mlayer adapters-tango', severity: 1 }]);
}

function parseLimit(s: string): number | undefined {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The ControlSystem port over cppTango. Channels are
 * `tango://host:port/domain/family/member/attribute` or
 * `domain/family/member/attribute` (database from `tangoHost` or TANGO_HOST).
 * Reads are batched per device (one read_attributes call each); writes to one
 * device run in order, different devices in parallel; monitor() subscribes
 * to TANGO events (pushed by the server, never polled by mlayer) and survives
 * server restarts: cppTango's keep-alive thread re-subscribes, and the
 * stream emits a disconnected sample in between.
 */
export class TangoControlSystem implements ControlSystem {
  readonly name: string;
  readonly online = true;
  readonly connection$: Observable<ConnectionEvent>;

  private readonly addon: TangoAddon;
  private readonly tangoHost: string | undefined;
  private readonly timeout: number;
  private readonly writeTimeout: number;
  private readonly eventType: TangoEventType;
  private readonly connectionSubject = new Subject<ConnectionEvent>();
  private readonly connected = new Map<string, boolean>();
  private readonly parsed = new Map<string, TangoChannel>();
  private readonly monitors = new Map<string, Observable<Sample>>();
  private readonly teardowns = new Set<() => Promise<void>>();
  private readonly completers = new Set<() => void>();
  private closed = false;

  constructor(options: TangoControlSystemOptions = {}) {
    this.name = options.name ?? 'tango';
    this.addon = loadTangoAddon();
    const host = options.tangoHost ?? process.env.TANGO_HOST;
    if (host !== undefined && !isTangoHost(host)) {
      throw new MlayerError(`TANGO control system '${this.name}': database address '${host}' (${options.tangoHost ? 'tangoHost setting' : 'TANGO_HOST'}) is not host:port`);
    }
    this.tangoHost = host;
    this.timeout = options.timeout ?? 3000;
    this.writeTimeout = options.writeTimeout ?? this.timeout;
    this.eventType = options.eventType ?? 'change';
    this.connection$ = this.connectionSubject.asObservable();
  }

  /** cppTango version of the loaded addon. */
  get tangoVersion(): string {
    return this.addon.version();
  }

  /** Parses a channel with this control system's default database. */
  parseChannel(channel: string): TangoChannel {
    let parsed = this.parsed.get(channel);
    if (!parsed) {
      parsed = parseTangoChannel(channel, this.tangoHost);
      if (this.parsed.size >= PARSED_CACHE_SIZE) this.parsed.clear();
      this.parsed.set(channel, parsed);
    }
    return parsed;
  }

  async read(channels: readonly string[], options: ReadOptions = {}): Promise<Sample[]> {
    this.ensureOpen();
    const timeout = options.timeout ?? this.timeout;
    const parsed = channels.map((c) => this.parseChannel(c));
    // One read_attributes per device; TANGO refuses an attribute twice in one call.
    const groups = new Map<string, { device: string; attributes: string[]; slots: number[][]; index: Map<string, number> }>();
    parsed.forEach((ch, i) => {
      const key = ch.device.toLowerCase();
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { device: ch.device, attributes: [], slots: [], index: new Map() }));
      const attr = ch.attribute.toLowerCase();
      const k = g.index.get(attr);
      if (k !== undefined) g.slots[k].push(i);
      else {
        g.index.set(attr, g.attributes.length);
        g.attributes.push(ch.attribute);
        g.slots.push([i]);
      }
    });
    const samples: Sample[] = new Array<Sample>(channels.length);
    const work = Promise.all(
      [...groups.values()].map(async (g) => {
        const first = channels[g.slots[0][0]];
        let readings: NativeReading[];
        try {
          readings = await this.addon.readAttributes(g.device, g.attributes, timeout);
        } catch (e) {
          const err = toTangoError(e, first, 'read', timeout);
          if (isConnectionLoss(err)) for (const slot of g.slots) for (const i of slot) this.markConnected(channels[i], false);
          throw err;
        }
        readings.forEach((r, k) => {
          for (const i of g.slots[k]) samples[i] = this.toSample(r, channels[i], 'read', timeout);
        });
      }),
    );
    await withDeadline(work, timeout + DEADLINE_MARGIN_MS, options.signal, () => new TimeoutError(channels[0] ?? '', timeout, 'read'));
    return samples;
  }

  async write(writes: readonly ChannelWrite[], options: WriteOptions = {}): Promise<void> {
    this.ensureOpen();
    const timeout = options.timeout ?? this.writeTimeout;
    const readback = options.wait ?? false;
    const groups = new Map<string, { ch: TangoChannel; value: ChannelValue }[]>();
    for (const w of writes) {
      const ch = this.parseChannel(w.channel);
      const key = ch.device.toLowerCase();
      const list = groups.get(key) ?? [];
      list.push({ ch, value: w.value });
      groups.set(key, list);
    }
    const work = Promise.all(
      [...groups.values()].map(async (list) => {
        for (const { ch, value } of list) await this.writeOne(ch, value, timeout, readback);
      }),
    );
    await withDeadline(work, timeout * Math.max(1, writes.length) + DEADLINE_MARGIN_MS, options.signal, () => new TimeoutError(writes[0]?.channel ?? '', timeout, 'write'));
  }

  private async writeOne(ch: TangoChannel, value: ChannelValue, timeout: number, readback: boolean): Promise<void> {
    try {
      await this.addon.writeAttribute(ch.device, ch.attribute, value, timeout, readback);
      this.markConnected(ch.channel, true);
    } catch (e) {
      if (isNativeError(e) && e.tangoErrors.some((x) => x.reason === 'API_WAttrOutsideLimit') && typeof value === 'number') {
        const info = await this.attributeInfo(ch.channel, { timeout }).catch(() => undefined);
        if (info?.limits) throw new TangoOutOfLimitsError(ch.channel, value, info.limits, e.kind, e.tangoErrors);
      }
      const err = toTangoError(e, ch.channel, 'write', timeout);
      if (isConnectionLoss(err)) this.markConnected(ch.channel, false);
      throw err;
    }
  }

  monitor(channel: string, options: MonitorOptions = {}): Observable<Sample> {
    if (this.closed) return throwError(() => new TangoClosedError(this.name));
    const eventType = options.eventType ?? this.eventType;
    let ch: TangoChannel;
    try {
      ch = this.parseChannel(channel);
    } catch (e) {
      return throwError(() => e);
    }
    const key = `${ch.device.toLowerCase()}/${ch.attribute.toLowerCase()}#${eventType}`;
    const existing = this.monitors.get(key);
    if (existing) return existing;
    const stream = new Observable<Sample>((subscriber) => {
      const timeout = this.timeout;
      let id: number | undefined;
      let cancelled = false;
      let disconnected = false;
      let last: ChannelValue = Number.NaN;

      const lost = (failure: NativeFailure | undefined): void => {
        if (failure) {
          const err = failureToError(failure, channel, 'subscribe', timeout);
          if (err instanceof TangoNotFoundError) {
            subscriber.error(err);
            return;
          }
        }
        if (disconnected) return;
        disconnected = true;
        this.markConnected(channel, false);
        subscriber.next({ value: last, timestamp: Date.now() / 1000, severity: AlarmSeverity.INVALID, status: 'DISCONNECTED', connected: false });
      };
      const onEvent = (ev: NativeEvent): void => {
        if (cancelled) return;
        try {
          const failure = ev.error ?? ev.reading?.error;
          if (failure || !ev.reading) {
            lost(failure);
            return;
          }
          const sample = this.toSample(ev.reading, channel, 'subscribe', timeout);
          last = sample.value;
          disconnected = false;
          this.markConnected(channel, true);
          subscriber.next(sample);
        } catch (e) {
          subscriber.error(e);
        }
      };
      const start = async (): Promise<void> => {
        try {
          id = await this.addon.subscribe(ch.device, ch.attribute, eventType, false, timeout, onEvent);
        } catch (e) {
          const err = toTangoError(e, channel, 'subscribe', timeout);
          if (!isConnectionLoss(err)) throw err;
          // The server is down now: subscribe statelessly; cppTango's
          // keep-alive thread completes the subscription when it is back.
          lost(undefined);
          id = await this.addon.subscribe(ch.device, ch.attribute, eventType, true, timeout, onEvent);
        }
        if (cancelled) await this.addon.unsubscribe(id);
      };
      let unsubscribed: Promise<void> | undefined;
      const teardown = (): Promise<void> => {
        cancelled = true;
        this.teardowns.delete(teardown);
        this.completers.delete(complete);
        unsubscribed ??= id !== undefined ? this.addon.unsubscribe(id) : Promise.resolve();
        return unsubscribed;
      };
      const complete = (): void => subscriber.complete();
      this.teardowns.add(teardown);
      this.completers.add(complete);
      start().catch((e: unknown) => {
        this.teardowns.delete(teardown);
        this.completers.delete(complete);
        if (!cancelled) subscriber.error(toTangoError(e, channel, 'subscribe', timeout));
      });
      return () => {
        void teardown().catch(() => undefined);
      };
    }).pipe(share());
    this.monitors.set(key, stream);
    return stream;
  }

  /** Attribute configuration (type, format, writability, unit, limits, enum labels). */
  async attributeInfo(channel: string, options: ReadOptions = {}): Promise<TangoAttributeInfo> {
    this.ensureOpen();
    const ch = this.parseChannel(channel);
    const timeout = options.timeout ?? this.timeout;
    try {
      const info = await withDeadline(this.addon.attributeInfo(ch.device, ch.attribute, timeout), timeout + DEADLINE_MARGIN_MS, options.signal, () => new TimeoutError(channel, timeout, 'info'));
      const min = parseLimit(info.minValue);
      const max = parseLimit(info.maxValue);
      return min !== undefined && max !== undefined ? { ...info, limits: [min, max] as const } : info;
    } catch (e) {
      throw toTangoError(e, channel, 'info', timeout);
    }
  }

  /**
   * Runs a command (`device` is tango://host:port/domain/family/member or
   * domain/family/member). The argument's TANGO type comes from the command's
   * description; results: numbers, booleans, strings, state names,
   * Float64Array for numeric arrays, string[] for string arrays.
   */
  async command(device: string, command: string, argument?: NativeValue, options: ReadOptions = {}): Promise<CommandResult> {
    this.ensureOpen();
    const d = parseTangoDevice(device, this.tangoHost);
    const target = `${d.device}/${command}`;
    const timeout = options.timeout ?? this.timeout;
    try {
      return await withDeadline(this.addon.command(d.device, command, argument, timeout), timeout + DEADLINE_MARGIN_MS, options.signal, () => new TimeoutError(target, timeout, 'command'));
    } catch (e) {
      throw toTangoError(e, target, 'command', timeout);
    }
  }

  /** Round trip to a device in microseconds. */
  async ping(device: string, options: ReadOptions = {}): Promise<number> {
    this.ensureOpen();
    const d = parseTangoDevice(device, this.tangoHost);
    const timeout = options.timeout ?? this.timeout;
    try {
      return await withDeadline(this.addon.ping(d.device, timeout), timeout + DEADLINE_MARGIN_MS, options.signal, () => new TimeoutError(d.device, timeout, 'ping'));
    } catch (e) {
      throw toTangoError(e, d.device, 'ping', timeout);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const teardowns = [...this.teardowns];
    // Complete every monitor stream, then wait until its subscription is released.
    for (const complete of [...this.completers]) complete();
    const pending = teardowns.map((t) => t().catch(() => undefined));
    this.teardowns.clear();
    this.completers.clear();
    await Promise.all(pending);
    this.monitors.clear();
    this.connectionSubject.complete();
  }

  private toSample(r: NativeReading, channel: string, operation: TangoOperation, timeout: number): Sample {
    if (r.error) {
      const err = failureToError(r.error, channel, operation, timeout);
      if (isConnectionLoss(err)) this.markConnected(channel, false);
      throw err;
    }
    try {
      const sample = readingToSample(r);
      this.markConnected(channel, true);
      return sample;
    } catch (e) {
      if (e instanceof UnrepresentableReadingError) throw unsupported(channel, operation, e.message);
      throw e;
    }
  }

  private markConnected(channel: string, connected: boolean): void {
    if (this.connected.get(channel) === connected) return;
    this.connected.set(channel, connected);
    if (!this.closed) this.connectionSubject.next({ channel, connected, timestamp: Date.now() / 1000 });
  }

  private ensureOpen(): void {
    if (this.closed) throw new TangoClosedError(this.name);
  }
}
