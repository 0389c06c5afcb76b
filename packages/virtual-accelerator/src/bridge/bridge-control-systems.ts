import { Subject, type Subscription } from 'rxjs';
import type { ChannelWrite, ControlSystem } from '@mlayer/core';
import type { ChannelValue, Sample } from '@mlayer/core';
import { DisconnectedError, MlayerError, TimeoutError } from '@mlayer/core';
import type { BridgeFailure, BridgeOptions, BridgePair, BridgeStats, ControlSystemBridge, ReconnectPolicy } from './bridge-types.js';
import { sameChannelValue } from './values-equal.js';

/** A bridge could not start (a channel missing on either side, a duplicate pair). */
export class BridgeError extends MlayerError {}

interface Entry {
  readonly pair: BridgePair;
  readonly phase: number;
  /** The value both sides are known (or being made) to hold; samples equal to it are not forwarded. */
  synced: ChannelValue | undefined;
  /** The sink monitor of this pair reported a disconnection and has not sent a value since. */
  reconnecting: boolean;
}

interface Pending {
  readonly entry: Entry;
  readonly value: ChannelValue;
  /** A retry of a write that failed (its success means the other side is back). */
  readonly retry?: boolean;
}

type Side = 'source' | 'sink';

const towardsSink = (p: BridgePair): boolean => p.direction !== 'to-source';
const towardsSource = (p: BridgePair): boolean => p.direction !== 'to-sink';

/** Disconnections and timeouts are retried; anything else (limits, refusals, types) is reported and dropped. */
function retryable(e: unknown): boolean {
  return e instanceof DisconnectedError || e instanceof TimeoutError;
}

/**
 * Bridges two control systems through the ControlSystem port only, e.g. the digital
 * twin (source) and a served TANGO or EPICS system (sink). At start every pair's
 * source value is copied to the sink; then `to-source` pairs forward the sink's
 * changes (client writes to served set points) and `to-sink` pairs the source's
 * (readbacks, monitors). Values arriving in the same turn are coalesced (latest
 * wins) into one batched write per side (per phase on the sink). A sample equal
 * to the value both sides already hold is dropped, so an echo of a value the
 * bridge wrote never bounces back. Failed writes of disconnected channels are
 * retried with backoff; when the sink comes back, every value is copied again.
 */
export async function bridgeControlSystems(options: BridgeOptions): Promise<ControlSystemBridge> {
  const bridge = new Bridge(options);
  try {
    await bridge.start();
  } catch (e) {
    await bridge.close();
    throw e;
  }
  return bridge;
}

class Bridge implements ControlSystemBridge {
  readonly pairs: readonly BridgePair[];
  private readonly entries: Entry[];
  private readonly counters = { toSink: 0, toSource: 0, unchanged: 0, failures: 0, resyncs: 0 };
  private readonly failureSubject = new Subject<BridgeFailure>();
  readonly failures$ = this.failureSubject.asObservable();
  private readonly pendingSink = new Map<string, Pending>();
  private readonly pendingSource = new Map<string, Pending>();
  private readonly retrySink = new Map<string, Pending>();
  private readonly retrySource = new Map<string, Pending>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelay: number;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly inFlightSink = new Set<string>();
  private loop: Promise<void> | undefined;
  private readonly subscriptions: Subscription[] = [];
  private sinkTrouble = false;
  private resyncing: Promise<void> | undefined;
  private closed = false;
  private readonly timeout: number;
  private readonly policy: ReconnectPolicy;
  private readonly onAbort = (): void => void this.close();

  constructor(private readonly options: BridgeOptions) {
    this.pairs = options.pairs;
    this.timeout = options.timeout ?? 3000;
    this.retryDelay = options.retryDelay ?? 100;
    this.policy = options.onSinkReconnect ?? 'source';
    const sinks = new Map<string, number>();
    const sources = new Map<string, number>();
    this.entries = options.pairs.map((pair, i) => {
      if (!pair.source || !pair.sink) throw new BridgeError(`bridge pair ${i}: source and sink channels must be non-empty (got '${pair.source}', '${pair.sink}')`);
      if (pair.direction !== 'to-source' && pair.direction !== 'to-sink' && pair.direction !== 'both') {
        throw new BridgeError(`bridge pair ${i} (${pair.source} -> ${pair.sink}): direction must be to-source, to-sink or both (got '${String(pair.direction)}')`);
      }
      const dupSink = sinks.get(pair.sink);
      if (dupSink !== undefined) throw new BridgeError(`bridge pairs ${dupSink} and ${i} both write the sink channel '${pair.sink}'`);
      sinks.set(pair.sink, i);
      if (towardsSource(pair)) {
        const dup = sources.get(pair.source);
        if (dup !== undefined) throw new BridgeError(`bridge pairs ${dup} and ${i} both write the source channel '${pair.source}'`);
        sources.set(pair.source, i);
      }
      if (pair.everySample && pair.direction !== 'to-sink') throw new BridgeError(`bridge pair ${i} (${pair.sink}): everySample applies to to-sink pairs only`);
      const phase = pair.phase ?? 0;
      if (!Number.isFinite(phase)) throw new BridgeError(`bridge pair ${i} (${pair.sink}): phase must be a finite number (got ${phase})`);
      return { pair, phase, synced: undefined, reconnecting: false };
    });
  }

  get stats(): Readonly<BridgeStats> {
    return { ...this.counters };
  }

  async start(): Promise<void> {
    const { source, sink, signal } = this.options;
    if (signal?.aborted) throw new BridgeError('bridge: aborted before start');
    // Initial copy: every source value to the sink.
    const values = await this.readSource(this.entries).catch((e: unknown) => {
      throw new BridgeError(`bridge: reading the initial values from '${source.name}' failed: ${(e as Error).message}`, { cause: e });
    });
    this.entries.forEach((entry, i) => {
      entry.synced = values[i];
      this.pendingSink.set(entry.pair.sink, { entry, value: values[i] });
    });
    const failed = await this.writeSink(this.take(this.pendingSink));
    if (failed.length > 0) {
      throw new BridgeError(`bridge: copying the initial values to '${sink.name}' failed: ${failed.map((f) => `${f.entry.pair.sink}: ${(f.error as Error).message}`).join('; ')}`);
    }
    for (const entry of this.entries) {
      if (towardsSource(entry.pair)) {
        this.subscriptions.push(sink.monitor(entry.pair.sink).subscribe({ next: (s) => this.onSink(entry, s), error: (e: unknown) => this.report({ side: 'sink', channel: entry.pair.sink, error: e, retrying: false }) }));
      }
      if (towardsSink(entry.pair)) {
        this.subscriptions.push(source.monitor(entry.pair.source).subscribe({ next: (s) => this.onSource(entry, s), error: (e: unknown) => this.report({ side: 'source', channel: entry.pair.source, error: e, retrying: false }) }));
      }
    }
    this.subscriptions.push(
      sink.connection$.subscribe((ev) => {
        if (!ev.connected) this.sinkTrouble = true;
        else if (this.sinkTrouble) this.requestResync();
      }),
    );
    const refresh = this.options.refreshInterval ?? 5000;
    if (refresh > 0) {
      this.refreshTimer = setInterval(() => this.refresh(), refresh);
      this.refreshTimer.unref?.();
    }
    const poll = this.options.pollInterval ?? 0;
    if (poll > 0 && this.entries.some((e) => towardsSource(e.pair))) {
      this.pollTimer = setInterval(() => void this.poll(), poll);
      this.pollTimer.unref?.();
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  async settled(): Promise<void> {
    for (;;) {
      if (this.loop) await this.loop;
      else if (this.resyncing) await this.resyncing;
      else if (this.pendingSink.size > 0 || this.pendingSource.size > 0) await new Promise((r) => setImmediate(r));
      else return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.loop?.catch(() => undefined);
    await this.resyncing?.catch(() => undefined);
    this.failureSubject.complete();
  }

  // ---- incoming samples ----------------------------------------------------

  private onSink(entry: Entry, s: Sample): void {
    if (this.closed) return;
    if (s.connected === false) {
      entry.reconnecting = true;
      this.sinkTrouble = true;
      return;
    }
    if (entry.reconnecting) {
      entry.reconnecting = false;
      if (this.sinkTrouble) this.requestResync();
      if (this.policy === 'source') {
        // The server came back with its own initial value: the source's set point wins.
        if (entry.synced !== undefined && !sameChannelValue(s.value, entry.synced)) this.queue(this.pendingSink, entry, entry.synced);
        return;
      }
    }
    if (sameChannelValue(s.value, entry.synced)) {
      this.counters.unchanged++;
      return;
    }
    entry.synced = s.value;
    this.queue(this.pendingSource, entry, s.value);
  }

  private onSource(entry: Entry, s: Sample): void {
    if (this.closed || s.connected === false) return;
    if (!entry.pair.everySample && sameChannelValue(s.value, entry.synced)) {
      this.counters.unchanged++;
      return;
    }
    entry.synced = s.value;
    this.queue(this.pendingSink, entry, s.value);
  }

  private queue(map: Map<string, Pending>, entry: Entry, value: ChannelValue): void {
    const toSink = map === this.pendingSink;
    const channel = toSink ? entry.pair.sink : entry.pair.source;
    map.set(channel, { entry, value });
    (toSink ? this.retrySink : this.retrySource).delete(channel);
    this.kick();
  }

  // ---- writing ---------------------------------------------------------------

  private kick(): void {
    if (this.loop || this.closed) return;
    this.loop = this.drain().finally(() => {
      this.loop = undefined;
      if (this.pendingSink.size > 0 || this.pendingSource.size > 0) this.kick();
    });
  }

  /** Writes what is pending, coalescing what arrived in the same turn, until nothing is left. */
  private async drain(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (!this.closed && (this.pendingSink.size > 0 || this.pendingSource.size > 0)) {
      const toSource = this.take(this.pendingSource);
      const toSink = this.take(this.pendingSink);
      const [a, b] = await Promise.all([this.writeSource(toSource), this.writeSink(toSink)]);
      this.scheduleRetries(this.retrySource, a);
      this.scheduleRetries(this.retrySink, b);
    }
  }

  private take(map: Map<string, Pending>): Pending[] {
    const items = [...map.values()];
    map.clear();
    return items;
  }

  private async writeSource(items: readonly Pending[]): Promise<(Pending & { error: unknown })[]> {
    if (items.length === 0) return [];
    const failed = await this.write('source', items, (p) => p.entry.pair.source);
    this.counters.toSource += items.length - failed.length;
    return failed;
  }

  /** Sink writes, one batch per phase in ascending order. */
  private async writeSink(items: readonly Pending[]): Promise<(Pending & { error: unknown })[]> {
    if (items.length === 0) return [];
    const phases = [...new Set(items.map((p) => p.entry.phase))].sort((a, b) => a - b);
    const failed: (Pending & { error: unknown })[] = [];
    for (const p of items) this.inFlightSink.add(p.entry.pair.sink);
    try {
      for (const phase of phases) {
        const batch = items.filter((p) => p.entry.phase === phase);
        const f = await this.write('sink', batch, (p) => p.entry.pair.sink);
        this.counters.toSink += batch.length - f.length;
        failed.push(...f);
      }
    } finally {
      for (const p of items) this.inFlightSink.delete(p.entry.pair.sink);
    }
    // A retried write went through: the sink is back, and may have lost what it had.
    if (items.some((p) => p.retry && !failed.some((f) => f.entry === p.entry))) this.requestResync();
    return failed;
  }

  /** One batched write; when it fails, each value alone, to find the ones that fail. */
  private async write(side: Side, items: readonly Pending[], channelOf: (p: Pending) => string): Promise<(Pending & { error: unknown })[]> {
    const cs = side === 'sink' ? this.options.sink : this.options.source;
    const writes: ChannelWrite[] = items.map((p) => ({ channel: channelOf(p), value: p.value }));
    try {
      await cs.write(writes, { timeout: this.timeout });
      return [];
    } catch {
      const results = await Promise.allSettled(writes.map((w) => cs.write([w], { timeout: this.timeout })));
      const failed: (Pending & { error: unknown })[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') return;
        const retrying = retryable(r.reason) && !this.closed;
        this.report({ side, channel: writes[i].channel, value: writes[i].value, error: r.reason, retrying });
        if (retrying) failed.push({ ...items[i], error: r.reason });
      });
      return failed;
    }
  }

  private scheduleRetries(retry: Map<string, Pending>, failed: readonly (Pending & { error: unknown })[]): void {
    const base = this.options.retryDelay ?? 100;
    if (failed.length === 0) {
      if (this.retrySink.size === 0 && this.retrySource.size === 0) this.retryDelay = base;
      return;
    }
    const pending = retry === this.retrySink ? this.pendingSink : this.pendingSource;
    for (const f of failed) {
      const channel = retry === this.retrySink ? f.entry.pair.sink : f.entry.pair.source;
      if (!pending.has(channel)) retry.set(channel, { entry: f.entry, value: f.value, retry: true });
    }
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const [c, p] of this.retrySink) if (!this.pendingSink.has(c)) this.pendingSink.set(c, p);
      for (const [c, p] of this.retrySource) if (!this.pendingSource.has(c)) this.pendingSource.set(c, p);
      this.retrySink.clear();
      this.retrySource.clear();
      this.kick();
    }, this.retryDelay);
    this.retryTimer.unref?.();
    this.retryDelay = Math.min(this.retryDelay * 2, base * 16);
  }

  // ---- resynchronisation -------------------------------------------------------

  /** Schedules one resync for the recoveries reported within 200 ms. */
  private requestResync(): void {
    if (this.resyncTimer || this.closed) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      void this.resync();
    }, 200);
    this.resyncTimer.unref?.();
  }

  /** The sink is back: copy every source value to it again (set points too with policy 'source'). */
  private resync(): Promise<void> {
    if (this.resyncing || this.closed) return this.resyncing ?? Promise.resolve();
    this.sinkTrouble = false;
    this.counters.resyncs++;
    const entries = this.entries.filter((e) => towardsSink(e.pair) || this.policy === 'source');
    this.resyncing = this.readSource(entries)
      .then((values) => {
        entries.forEach((entry, i) => {
          if (this.pendingSource.has(entry.pair.source)) return; // a client write on its way to the source wins
          entry.synced = values[i];
          this.queue(this.pendingSink, entry, values[i]);
        });
      })
      .catch((e: unknown) => {
        this.sinkTrouble = true;
        this.report({ side: 'source', channel: entries[0]?.pair.source ?? '', error: e, retrying: true });
      })
      .finally(() => {
        this.resyncing = undefined;
      });
    return this.resyncing;
  }

  /** Writes every source-to-sink value again (a restarted server that lost its readbacks). */
  private refresh(): void {
    if (this.closed) return;
    for (const entry of this.entries) {
      if (!towardsSink(entry.pair) || entry.pair.everySample || entry.synced === undefined || this.pendingSink.has(entry.pair.sink)) continue;
      this.pendingSink.set(entry.pair.sink, { entry, value: entry.synced });
    }
    this.kick();
  }

  /** Reads the sink channels of the pairs towards the source and handles them as monitor samples. */
  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const entries = this.entries.filter((e) => towardsSource(e.pair) && !this.pendingSink.has(e.pair.sink) && !this.inFlightSink.has(e.pair.sink));
      // One read per entry group that succeeds: a server that is down must not hide the others.
      const samples = await Promise.allSettled(entries.map((e) => this.options.sink.read([e.pair.sink], { timeout: this.timeout })));
      samples.forEach((r, i) => {
        const entry = entries[i];
        // A write of the bridge may have started meanwhile: its value, not the one read before it, is the truth.
        if (r.status === 'fulfilled' && !this.pendingSink.has(entry.pair.sink) && !this.inFlightSink.has(entry.pair.sink)) this.onSink(entry, r.value[0]);
      });
    } finally {
      this.polling = false;
    }
  }

  private async readSource(entries: readonly Entry[]): Promise<ChannelValue[]> {
    if (entries.length === 0) return [];
    const samples = await this.options.source.read(
      entries.map((e) => e.pair.source),
      { timeout: this.timeout },
    );
    return samples.map((s) => s.value);
  }

  private report(f: BridgeFailure): void {
    this.counters.failures++;
    if (!this.closed) this.failureSubject.next(f);
  }
}
