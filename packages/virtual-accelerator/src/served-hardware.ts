import { Observable, Subject } from 'rxjs';
import { makeSample, type ChannelValue, type ChannelWrite, type ControlSystem, type ReadOptions, type Sample, type WriteOptions } from '@mlayer/core';

/** A twin channel as the served hardware treats it. */
export interface HardwareChannel {
  readonly channel: string;
  readonly family: string;
  /** BPM reading published at `bpmRate` Hz, averaged over the period. */
  readonly bpmRate?: number;
  /** Set point of a supply that ramps at this many hardware units per second. */
  readonly rampRate?: number;
  /** Set point (writes go through the latency queue). */
  readonly setpoint?: boolean;
}

export interface ServedHardwareOptions {
  /** Twin readings averaged into each published BPM value (default 5). */
  readonly bpmSamples?: number;
  /** Random delay [min, max] s between a write and the twin taking it (default none). */
  readonly latency?: readonly [number, number];
  /** Reports writes the twin refused after the latency (the bridge no longer sees them). */
  readonly onError?: (channel: string, error: unknown) => void;
  /** Random numbers in [0, 1) for the latency (default Math.random). */
  readonly random?: () => number;
}

interface Published {
  readonly subject: Subject<Sample>;
  sum: number;
  count: number;
  last: Sample | undefined;
}

interface Group {
  readonly rate: number;
  readonly channels: string[];
  /** ms of the next publication. */
  next: number;
}

interface Ramp {
  current: number;
  target: number;
  readonly rate: number;
}

/**
 * The twin seen through realistic hardware, the source of `mlayer serve`'s
 * bridge: BPM readings are published at their rate, each the mean of
 * `bpmSamples` twin readings spread over the period (a 10 Hz BPM average);
 * set points reach the twin after a random latency (in the order written) and
 * ramp there at their supply's rate, so readbacks and the orbit move while
 * ramping; publication can be stopped to show clients stale data. Other
 * channels are those of `inner`.
 */
export class ServedHardware implements ControlSystem {
  readonly name: string;
  readonly online: boolean;
  readonly connection$: ControlSystem['connection$'];
  private readonly byChannel = new Map<string, HardwareChannel>();
  private readonly published = new Map<string, Published>();
  private readonly groups: Group[] = [];
  private readonly ramps = new Map<string, Ramp>();
  private readonly paused = new Set<string>();
  private readonly samples: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private tickMs = 0;
  private lastTick = 0;
  private lastApply = 0;
  /** Latency waits in progress (timer and the function that ends the wait early, at close). */
  private readonly pendingWrites = new Map<ReturnType<typeof setTimeout>, () => void>();
  private chain: Promise<void> = Promise.resolve();
  private ticking: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly inner: ControlSystem,
    channels: readonly HardwareChannel[],
    private readonly options: ServedHardwareOptions = {},
  ) {
    this.name = inner.name;
    this.online = inner.online;
    this.connection$ = inner.connection$;
    this.samples = options.bpmSamples ?? 5;
    const byRate = new Map<number, Group>();
    for (const c of channels) {
      this.byChannel.set(c.channel, c);
      if (c.bpmRate !== undefined) {
        this.published.set(c.channel, { subject: new Subject<Sample>(), sum: 0, count: 0, last: undefined });
        let g = byRate.get(c.bpmRate);
        if (!g) byRate.set(c.bpmRate, (g = { rate: c.bpmRate, channels: [], next: 0 }));
        g.channels.push(c.channel);
      }
    }
    this.groups = [...byRate.values()];
  }

  /** First readings, then the clock: BPM sampling and supply ramps, `bpmSamples` ticks per (fastest) BPM period. */
  async start(): Promise<this> {
    const bpm = [...this.published.keys()];
    if (bpm.length > 0) {
      const first = await this.inner.read(bpm);
      bpm.forEach((c, i) => (this.published.get(c)!.last = first[i]));
    }
    const fastest = Math.max(0, ...this.groups.map((g) => g.rate));
    // Ramps without BPMs still move 50 times a second.
    this.tickMs = fastest > 0 ? 1000 / (fastest * this.samples) : 20;
    const now = Date.now();
    this.lastTick = now;
    for (const g of this.groups) g.next = now + 1000 / g.rate;
    this.schedule();
    return this;
  }

  /** Families whose BPM publication is stopped. */
  get stoppedFamilies(): readonly string[] {
    return [...this.paused];
  }

  /** Stops publishing the BPM readings of these families (default: every BPM family): clients see stale data. */
  stopPublication(families?: readonly string[]): void {
    for (const c of this.byChannel.values()) if (c.bpmRate !== undefined && (!families || families.includes(c.family))) this.paused.add(c.family);
  }

  /** Publishes again (default: every family). */
  resumePublication(families?: readonly string[]): void {
    if (!families) this.paused.clear();
    else for (const f of families) this.paused.delete(f);
  }

  // ---- ControlSystem --------------------------------------------------------

  async read(channels: readonly string[], options?: ReadOptions): Promise<Sample[]> {
    const direct = channels.filter((c) => !this.published.get(c)?.last);
    const read = direct.length > 0 ? await this.inner.read(direct, options) : [];
    const got = new Map(direct.map((c, i) => [c, read[i]]));
    return channels.map((c) => this.published.get(c)?.last ?? got.get(c)!);
  }

  /**
   * Set points go through the latency queue (resolving at once, as a server that
   * accepted them); refusals after the delay go to `onError`. Other writes, and
   * every write when there is no latency and no ramp, are the inner system's.
   */
  async write(writes: readonly ChannelWrite[], options?: WriteOptions): Promise<void> {
    const delayed = writes.filter((w) => this.delays(w.channel));
    const direct = writes.filter((w) => !this.delays(w.channel));
    if (delayed.length > 0) this.enqueue(delayed);
    if (direct.length > 0) await this.inner.write(direct, options);
  }

  monitor(channel: string): Observable<Sample> {
    const p = this.published.get(channel);
    if (!p) return this.inner.monitor(channel);
    return new Observable<Sample>((subscriber) => {
      if (p.last) subscriber.next(p.last);
      const sub = p.subject.subscribe(subscriber);
      return () => sub.unsubscribe();
    });
  }

  /** Stops the clock and the queued writes; does not close `inner`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const [t, end] of this.pendingWrites) {
      clearTimeout(t);
      end();
    }
    this.pendingWrites.clear();
    await this.ticking?.catch(() => undefined);
    await this.chain.catch(() => undefined);
    for (const p of this.published.values()) p.subject.complete();
  }

  // ---- internals ------------------------------------------------------------

  private delays(channel: string): boolean {
    const c = this.byChannel.get(channel);
    if (!c?.setpoint) return false;
    return c.rampRate !== undefined || (this.options.latency !== undefined && this.options.latency[1] > 0);
  }

  /** Applies the writes after a random latency, never before the writes queued earlier. */
  private enqueue(writes: readonly ChannelWrite[]): void {
    const [lo, hi] = this.options.latency ?? [0, 0];
    const random = this.options.random ?? Math.random;
    const due = Math.max(Date.now() + 1000 * (lo + (hi - lo) * random()), this.lastApply);
    this.lastApply = due;
    // The order is the chain's, not the timers': each write waits for its due time only after
    // the writes queued before it were applied (timers with equal or clamped due times may fire
    // in any order, and a busy event-loop turn shifts them).
    this.chain = this.chain
      .then(() => this.waitUntil(due))
      .then(() => this.apply(writes))
      .catch(() => undefined);
  }

  /** Resolves at `due` (ms since the epoch), or at once when closing. */
  private waitUntil(due: number): Promise<void> {
    const ms = due - Date.now();
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pendingWrites.delete(t);
        resolve();
      }, ms);
      this.pendingWrites.set(t, resolve);
    });
  }

  private async apply(writes: readonly ChannelWrite[]): Promise<void> {
    if (this.closed) return;
    const now: ChannelWrite[] = [];
    for (const w of writes) {
      const rate = this.byChannel.get(w.channel)?.rampRate;
      if (rate === undefined || typeof w.value !== 'number') {
        now.push(w);
        continue;
      }
      const ramp = this.ramps.get(w.channel);
      if (ramp) ramp.target = w.value;
      else {
        const [s] = await this.inner.read([w.channel]);
        const current = typeof s.value === 'number' ? s.value : w.value;
        if (current !== w.value) this.ramps.set(w.channel, { current, target: w.value, rate });
      }
    }
    // Each alone, so that one refusal (a limit) does not hide the others.
    await Promise.all(
      now.map((w) =>
        this.inner.write([w]).catch((e: unknown) => {
          this.options.onError?.(w.channel, e);
        }),
      ),
    );
  }

  private schedule(): void {
    if (this.closed) return;
    const next = Math.max(0, this.lastTick + this.tickMs - Date.now());
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((e: unknown) => this.options.onError?.('(clock)', e))
        .finally(() => {
          this.ticking = undefined;
          this.schedule();
        });
    }, next);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    await this.moveRamps(dt);
    if (this.closed) return;
    // Sample every BPM, then publish the groups whose period is over.
    const bpm = [...this.published.keys()];
    if (bpm.length === 0) return;
    const samples = await this.inner.read(bpm);
    if (this.closed) return;
    bpm.forEach((c, i) => {
      const v = samples[i].value;
      if (typeof v !== 'number' || !Number.isFinite(v)) return;
      const p = this.published.get(c)!;
      p.sum += v;
      p.count++;
    });
    const t = Date.now();
    for (const g of this.groups) {
      if (t < g.next) continue;
      // A late clock (a busy machine) publishes once and catches up with the period grid.
      g.next += 1000 / g.rate * Math.max(1, Math.ceil((t - g.next) / (1000 / g.rate)));
      for (const c of g.channels) {
        const p = this.published.get(c)!;
        const value: ChannelValue = p.count > 0 ? p.sum / p.count : Number.NaN;
        p.sum = 0;
        p.count = 0;
        if (this.paused.has(this.byChannel.get(c)!.family)) continue;
        p.last = makeSample(value, t / 1000);
        p.subject.next(p.last);
      }
    }
  }

  private async moveRamps(dt: number): Promise<void> {
    if (this.ramps.size === 0) return;
    const writes: ChannelWrite[] = [];
    for (const [channel, r] of this.ramps) {
      const step = r.rate * dt;
      const d = r.target - r.current;
      r.current = Math.abs(d) <= step ? r.target : r.current + Math.sign(d) * step;
      writes.push({ channel, value: r.current });
      if (r.current === r.target) this.ramps.delete(channel);
    }
    // One batch (one orbit computation); one by one when it fails, to find the refused ones.
    await this.inner.write(writes).catch(() =>
      Promise.all(
        writes.map((w) =>
          this.inner.write([w]).catch((e: unknown) => {
            this.ramps.delete(w.channel);
            this.options.onError?.(w.channel, e);
          }),
        ),
      ),
    );
  }
}
