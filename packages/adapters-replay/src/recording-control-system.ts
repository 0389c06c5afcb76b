/**
 * The recorder: wraps any ControlSystem and writes every read (the samples: value,
 * timestamp, severity, status), every write (the values asked for, when it completed)
 * and every monitor update to a RecordingSink, passing everything through unchanged.
 * It is a proxy of the control system it wraps: what that one offers beyond the port
 * (a digital twin's models and error sets, ...) stays reachable, so that tools behave
 * with the recorder as without it.
 */
import { Observable } from 'rxjs';
import { type ChannelWrite, type ControlSystem, isDigitalTwin, type ReadOptions, type Sample, type WriteOptions } from '@mlayer/core';
import { encodeError, encodeSample, encodeValue, RECORDING_FORMAT, RECORDING_VERSION, type RecordingEvent, type RecordingHeader } from './recording-format.js';
import type { RecordingSink } from './recording-file.js';

/** The decimals of k / 1000 as JavaScript prints that number: '' for 0, '.001', ..., '.1', ..., '.999'. */
const THOUSANDTHS = Array.from({ length: 1000 }, (_, i) => (i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`));

/**
 * An update's line, built directly (the hot path of a recording: one per monitor update);
 * the same JSON as JSON.stringify of the event, which other values than finite numbers take.
 * `us`: the time in whole microseconds; the line's `t` (milliseconds) is printed from its
 * integer parts, which is cheaper than printing the double us / 1000, and the same text.
 */
function updateLine(id: number, us: number, after: number, s: Sample): string {
  const v = s.value;
  if (typeof v !== 'number' || !Number.isFinite(v) || Object.is(v, -0) || s.connected === false || !Number.isFinite(s.timestamp)) {
    return JSON.stringify({ k: 'update', id, t: us / 1000, after, s: encodeSample(s) } satisfies RecordingEvent);
  }
  return `{"k":"update","id":${id},"t":${Math.floor(us / 1000)}${THOUSANDTHS[us % 1000]},"after":${after},"s":{"v":${v},"ts":${s.timestamp},"sev":${s.severity},"st":${JSON.stringify(s.status)}}}`;
}

/** What the caller knows for the header (the facility, lattice, mode, software, command). */
export type RecordingHeaderInput = Omit<RecordingHeader, 'format' | 'version' | 'date' | 'controlSystem' | 'twin'> & { readonly controlSystemType?: string };

/** What the recorder counted. */
export interface RecordingCounts {
  reads: number;
  writes: number;
  updates: number;
}

/** A control system wrapped by the recorder: the same object, plus what it counted and `stopRecording`. */
export type RecordedControlSystem<C extends ControlSystem> = C & {
  readonly recordingCounts: RecordingCounts;
  /** Ends the recording (the file is complete) without closing the control system. */
  stopRecording(): void;
  /**
   * Records a reading of the client's clock (the accelerator's Clock, ms since the epoch):
   * a replay gives the same readings back in order, so that what a tool compares with it
   * (the fresh-data wait after a change, on a control system that is not immediate) goes as recorded.
   */
  recordClockReading(ms: number): void;
};

/**
 * Wraps `inner`: the header is written now; each call and update as it happens; the
 * sink is closed when the control system is closed (or stopRecording is called).
 */
export function recordControlSystem<C extends ControlSystem>(inner: C, sink: RecordingSink, header: RecordingHeaderInput): RecordedControlSystem<C> {
  const t0 = performance.now();
  // Milliseconds to the microsecond: shorter lines, and cheaper to print, than the timer's full double.
  const micros = (): number => Math.round((performance.now() - t0) * 1000);
  const now = (): number => micros() / 1000;
  let calls = 0;
  let completed = 0;
  let subscriptions = 0;
  let open = true;
  const counts: RecordingCounts = { reads: 0, writes: 0, updates: 0 };
  const log = (e: RecordingEvent): void => {
    if (open) sink.append(JSON.stringify(e));
  };
  const stop = (): void => {
    if (!open) return;
    open = false;
    sink.close();
  };
  const { controlSystemType, ...rest } = header;
  const full: RecordingHeader = {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    date: new Date().toISOString(),
    ...rest,
    controlSystem: { name: inner.name, ...(controlSystemType ? { type: controlSystemType } : {}), online: inner.online, immediate: inner.immediate === true },
    ...(isDigitalTwin(inner) && inner.errorSeed !== undefined ? { twin: { errorSeed: inner.errorSeed } } : {}),
  };
  sink.append(JSON.stringify(full));

  const read = async (channels: readonly string[], options?: ReadOptions): Promise<Sample[]> => {
    const n = calls++;
    const t = now();
    const ch = [...channels];
    try {
      const samples = await inner.read(channels, options);
      counts.reads++;
      log({ k: 'read', n, t, d: now(), ch, s: samples.map(encodeSample) });
      return samples;
    } catch (e) {
      log({ k: 'read', n, t, d: now(), ch, ...encodeError(e) });
      throw e;
    } finally {
      completed++;
    }
  };

  const write = async (writes: readonly ChannelWrite[], options?: WriteOptions): Promise<void> => {
    const n = calls++;
    const t = now();
    const w = writes.map((x) => [x.channel, encodeValue(x.value)] as const);
    const wait = options?.wait === true;
    try {
      await inner.write(writes, options);
      counts.writes++;
      log({ k: 'write', n, t, d: now(), w, wait });
    } catch (e) {
      log({ k: 'write', n, t, d: now(), w, wait, ...encodeError(e) });
      throw e;
    } finally {
      completed++;
    }
  };

  const monitor = (channel: string): Observable<Sample> =>
    new Observable<Sample>((subscriber) => {
      const id = subscriptions++;
      log({ k: 'subscribe', id, ch: channel, t: now(), after: completed });
      const sub = inner.monitor(channel).subscribe({
        next: (s) => {
          counts.updates++;
          if (open) sink.append(updateLine(id, micros(), completed, s));
          subscriber.next(s);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        sub.unsubscribe();
        log({ k: 'unsubscribe', id, t: now() });
      };
    });

  const close = async (): Promise<void> => {
    try {
      await inner.close();
    } finally {
      stop();
    }
  };

  const recordClockReading = (ms: number): void => log({ k: 'clock', v: ms });
  const overrides: Record<PropertyKey, unknown> = { read, write, monitor, close, recordingCounts: counts, stopRecording: stop, recordClockReading };
  return new Proxy(inner, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop];
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    has(target, prop) {
      return Object.prototype.hasOwnProperty.call(overrides, prop) || Reflect.has(target, prop);
    },
  }) as RecordedControlSystem<C>;
}
