import { Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { DisconnectedError, TimeoutError, WriteRejectedError } from '../errors.js';
import type { ChannelWrite, ConnectionEvent, ControlSystem, ReadOptions, WriteOptions } from '../control/control-system.js';
import type { ControlSystemFactory, ControlSystemRegistry } from '../control/control-system-registry.js';
import type { LoadedFacility } from '../config/load-facility.js';
import { facilityChannels } from '../config/facility-channels.js';
import { makeSample, type ChannelValue, type Sample } from '../control/sample.js';

export interface MemoryChannelOptions {
  /** Server-side limits: writes outside are rejected (as an IOC's DRVL/DRVH would). */
  readonly limits?: readonly [number, number];
  /** Writes to this channel also set these channels (setpoint -> readback). */
  readonly readbacks?: readonly string[];
}

export interface RecordedWrite extends ChannelWrite {
  readonly wait: boolean;
  readonly time: number;
}

/**
 * An in-memory control system for core's own tests and for tools' unit tests:
 * records every write, lets tests inject values, counts monitor subscriptions.
 * Never used to claim that an adapter works: adapters are tested against real systems.
 */
export class MemoryControlSystem implements ControlSystem {
  readonly writes: RecordedWrite[] = [];
  /** Number of underlying monitor subscriptions opened per channel (to test sharing). */
  readonly monitorSubscriptions = new Map<string, number>();
  /** Milliseconds a write with wait takes to complete. */
  writeDelayMs = 0;
  /** Called before each write is applied; throwing rejects it (tests inject failures). */
  beforeWrite?: (write: ChannelWrite) => void;
  /**
   * True (default): every read reflects what was written or injected, as the twin's do.
   * A test that publishes readings on a schedule (stamped with `inject`'s timestamp)
   * sets it to false, so measurements wait for fresh samples as on a real machine.
   */
  immediate = true;

  private readonly values = new Map<string, Sample>();
  private readonly options = new Map<string, MemoryChannelOptions>();
  private readonly subjects = new Map<string, Subject<Sample>>();
  private readonly connectionSubject = new Subject<ConnectionEvent>();
  readonly connection$: Observable<ConnectionEvent> = this.connectionSubject.asObservable();

  constructor(
    readonly name = 'memory',
    readonly online = false,
  ) {}

  define(channel: string, value: ChannelValue, options: MemoryChannelOptions = {}): this {
    this.values.set(channel, makeSample(value));
    this.options.set(channel, options);
    return this;
  }

  has(channel: string): boolean {
    return this.values.has(channel);
  }

  /** Sets a value as the server would (emits to monitors); no write is recorded. `timestamp`: seconds since the epoch (default now). */
  inject(channel: string, value: ChannelValue, timestamp?: number): void {
    if (!this.values.has(channel)) throw new DisconnectedError(channel, 'no such channel');
    const s = makeSample(value, timestamp);
    this.values.set(channel, s);
    this.subjects.get(channel)?.next(s);
  }

  value(channel: string): ChannelValue {
    const s = this.values.get(channel);
    if (!s) throw new DisconnectedError(channel, 'no such channel');
    return s.value;
  }

  async read(channels: readonly string[], options: ReadOptions = {}): Promise<Sample[]> {
    options.signal?.throwIfAborted();
    return channels.map((c) => {
      const s = this.values.get(c);
      if (!s) throw new TimeoutError(c, options.timeout ?? 1000, 'read');
      return s;
    });
  }

  async write(writes: readonly ChannelWrite[], options: WriteOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    for (const w of writes) {
      if (!this.values.has(w.channel)) throw new DisconnectedError(w.channel, 'no such channel');
      const lim = this.options.get(w.channel)?.limits;
      if (lim && typeof w.value === 'number' && (w.value < lim[0] || w.value > lim[1])) {
        throw new WriteRejectedError(w.channel, `value ${w.value} outside the server limits [${lim[0]}, ${lim[1]}]`);
      }
    }
    for (const w of writes) {
      this.beforeWrite?.(w);
      this.writes.push({ ...w, wait: options.wait ?? false, time: Date.now() });
      this.inject(w.channel, w.value);
      for (const rb of this.options.get(w.channel)?.readbacks ?? []) this.inject(rb, w.value);
    }
    if (options.wait && this.writeDelayMs > 0) await new Promise((r) => setTimeout(r, this.writeDelayMs));
  }

  monitor(channel: string): Observable<Sample> {
    return new Observable<Sample>((subscriber) => {
      const s = this.values.get(channel);
      if (!s) {
        subscriber.error(new DisconnectedError(channel, 'no such channel'));
        return undefined;
      }
      this.monitorSubscriptions.set(channel, (this.monitorSubscriptions.get(channel) ?? 0) + 1);
      let subject = this.subjects.get(channel);
      if (!subject) {
        subject = new Subject<Sample>();
        this.subjects.set(channel, subject);
      }
      subscriber.next(s);
      const sub = subject.subscribe(subscriber);
      return () => {
        sub.unsubscribe();
        this.monitorSubscriptions.set(channel, (this.monitorSubscriptions.get(channel) ?? 1) - 1);
      };
    });
  }

  async close(): Promise<void> {
    for (const s of this.subjects.values()) s.complete();
    this.subjects.clear();
    this.connectionSubject.complete();
  }
}

const memorySettings = z
  .object({
    online: z.boolean().default(false),
    /** Initial value of every channel the facility names (0 unless given in `values`). */
    values: z.record(z.string(), z.number()).default({}),
  })
  .strict();

/**
 * Registers the 'memory' control-system type: every channel the facility names for
 * it starts at 0 (or `settings.values[channel]`), and a write to a device's setpoint
 * also sets its readback. `extras.facility` must hold the LoadedFacility.
 * Returns the list that receives every instance created (tests inspect it).
 */
export function registerMemory(registry: ControlSystemRegistry): MemoryControlSystem[] {
  const created: MemoryControlSystem[] = [];
  const factory: ControlSystemFactory<z.infer<typeof memorySettings>> = {
    type: 'memory',
    description: 'in-memory channels for tests and examples',
    online: false,
    settingsSchema: memorySettings,
    create(settings, context) {
      const facility = context.extras.facility as LoadedFacility | undefined;
      if (!facility) throw new Error("the memory control system needs extras.facility");
      const cs = new MemoryControlSystem(context.name, settings.online);
      const channels = facilityChannels(facility, context.name);
      const readbackOf = new Map<string, string[]>();
      for (const c of channels) {
        if (c.field !== 'setpoint') continue;
        const rb = facility.channel(c.family, c.deviceIndex, 'readback', context.name);
        if (rb !== undefined && rb !== c.channel) readbackOf.set(c.channel, [...(readbackOf.get(c.channel) ?? []), rb]);
      }
      for (const { channel } of channels) {
        if (!cs.has(channel)) cs.define(channel, settings.values[channel] ?? 0, { readbacks: readbackOf.get(channel) });
      }
      created.push(cs);
      return cs;
    },
  };
  registry.register(factory);
  return created;
}
