import { rxStreaming, rxSubjects, type Observable } from '../rx.js';
import type { ChannelWrite, ControlSystem, ReadOptions, WriteOptions } from '../control/control-system.js';
import type { Sample } from '../control/sample.js';
import { WriteRejectedError, WritesNotAllowedError } from '../errors.js';
import { systemClock, type Clock } from './clock.js';

/**
 * The accelerator's single path to its control system: enforces the online-write
 * opt-in and finite values on every write, and shares one monitor per channel
 * among all subscribers.
 */
export class ChannelAccess {
  private readonly monitors = new Map<string, Observable<Sample>>();
  private changed: number | undefined;

  constructor(
    readonly controlSystem: ControlSystem,
    private readonly allowWrites: boolean,
    /** The client clock that stamps changes (lastChange). */
    readonly clock: Clock = systemClock,
  ) {}

  /**
   * Client time (seconds since the epoch) when the last change written through this
   * accelerator completed (settle time included); readings of a measurement must follow it.
   */
  get lastChange(): number | undefined {
    return this.changed;
  }

  /** Records that a change completed now (Family.set after its write and settle time). */
  noteChange(): void {
    this.changed = this.clock.now() / 1000;
  }

  get writesAllowed(): boolean {
    return !this.controlSystem.online || this.allowWrites;
  }

  read(channels: readonly string[], options?: ReadOptions): Promise<Sample[]> {
    return this.controlSystem.read(channels, options);
  }

  /** Checks every value before anything is written: a rejected batch writes nothing. */
  async write(writes: readonly ChannelWrite[], options?: WriteOptions): Promise<void> {
    if (!this.writesAllowed) throw new WritesNotAllowedError(this.controlSystem.name);
    for (const w of writes) {
      if (typeof w.value === 'number' && !Number.isFinite(w.value)) {
        throw new WriteRejectedError(w.channel, `value ${w.value} is not finite; nothing was written`);
      }
      if (w.value instanceof Float64Array && w.value.some((v) => !Number.isFinite(v))) {
        throw new WriteRejectedError(w.channel, 'array contains NaN or Inf; nothing was written');
      }
    }
    if (writes.length > 0) await this.controlSystem.write(writes, options);
  }

  /** One shared, replaying monitor per channel; the underlying subscription closes shortly after the last subscriber leaves. */
  monitor(channel: string): Observable<Sample> {
    let m = this.monitors.get(channel);
    if (!m) {
      const { share, timer } = rxStreaming();
      const { ReplaySubject } = rxSubjects();
      m = this.controlSystem.monitor(channel).pipe(
        share({ connector: () => new ReplaySubject<Sample>(1), resetOnRefCountZero: () => timer(100), resetOnError: true, resetOnComplete: true }),
      );
      this.monitors.set(channel, m);
    }
    return m;
  }
}
