import { asyncScheduler, throttleTime, type Observable } from 'rxjs';
import type { ChannelWrite, ControlSystem, ReadOptions, Sample, WriteOptions } from '@mlayer/core';

/**
 * A control system whose monitors emit at most once per `periodMs(channel)`
 * milliseconds (the latest value of each period is kept, so the last change is
 * never lost); channels without a period pass through. Reads, writes and the
 * connection events are those of `inner`. The bridge's source in `mlayer serve`:
 * each device is published at its own update rate.
 */
export class ThrottledMonitors implements ControlSystem {
  readonly name: string;
  readonly online: boolean;
  readonly connection$: ControlSystem['connection$'];

  constructor(
    private readonly inner: ControlSystem,
    private readonly periodMs: (channel: string) => number | undefined,
  ) {
    this.name = inner.name;
    this.online = inner.online;
    this.connection$ = inner.connection$;
  }

  read(channels: readonly string[], options?: ReadOptions): Promise<Sample[]> {
    return this.inner.read(channels, options);
  }

  write(writes: readonly ChannelWrite[], options?: WriteOptions): Promise<void> {
    return this.inner.write(writes, options);
  }

  monitor(channel: string): Observable<Sample> {
    const period = this.periodMs(channel);
    const m = this.inner.monitor(channel);
    if (period === undefined || period <= 0) return m;
    return m.pipe(throttleTime(period, asyncScheduler, { leading: true, trailing: true }));
  }

  /** Does not close `inner` (the owner does). */
  async close(): Promise<void> {}
}
