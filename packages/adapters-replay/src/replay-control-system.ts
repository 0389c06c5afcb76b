/**
 * A ControlSystem that serves a recording (recording-control-system.ts): the calls a
 * command makes must be the recorded ones, in the recorded order. A read of the same
 * channels returns the recorded samples; a write of the same values (bit for bit)
 * completes; anything else (a write of another value, an extra write, a read where a
 * write was recorded, a call after the last one) fails with a ReplayMismatchError whose
 * message is the difference: the call, the channel, the expected and the actual value.
 * After a mismatch every further call fails with the same error (the session has left
 * the recording). Monitors: the n-th subscription of a channel gets the updates of the
 * channel's n-th recorded subscription, each once the calls that preceded it in the
 * recording are done.
 *
 * Speed: 1 replays in the recorded time (a call completes when it completed in the
 * recording, an update comes when it came), N in 1/N of it, 'max' as fast as possible
 * (no waits: calls complete at once, updates come as soon as the calls before them are
 * done).
 */
import { Observable, Subject, type Subscriber } from 'rxjs';
import { type ChannelValue, type ChannelWrite, type ConnectionEvent, type ControlSystem, MlayerError, type ReadOptions, type Sample, type WriteOptions } from '@mlayer/core';
import { decodeError, decodeSample, decodeValue, type EncodedSample, type RecordingEvent, sameValue, showValue } from './recording-format.js';
import { type Recording, readRecording } from './recording-file.js';

/** A call of the replayed command that is not the recorded one. */
export class ReplayMismatchError extends MlayerError {}
/** An error the recorded control system gave for this call, given again (core's timeout, disconnection and rejected-write errors come back as those classes). */
export class ReplayedError extends MlayerError {}

export type ReplaySpeed = number | 'max';

export interface ReplayOptions {
  /** 1 (default: the recorded pace), N (N times faster) or 'max' (no waits). */
  readonly speed?: ReplaySpeed;
  /** Name of the control system (default 'replay'). */
  readonly name?: string;
}

type Call = Extract<RecordingEvent, { k: 'read' } | { k: 'write' }>;
type Update = Extract<RecordingEvent, { k: 'update' }>;

interface Active {
  readonly channel: string;
  readonly updates: Update[];
  readonly subscriber: Subscriber<Sample>;
}

/** How many of a list are shown in a message. */
const SHOWN = 8;

function describeCall(c: Call): string {
  if (c.k === 'read') return `a read of ${c.ch.length} channel${c.ch.length === 1 ? '' : 's'} (${list(c.ch)})`;
  return `a write of ${c.w.map(([ch, v]) => `${ch} = ${showValue(decodeValue(v))}`).slice(0, SHOWN).join(', ')}${c.w.length > SHOWN ? `, ... (${c.w.length} channels)` : ''}`;
}

function list(items: readonly string[]): string {
  return items.length <= SHOWN ? items.join(', ') : `${items.slice(0, SHOWN).join(', ')}, ... (${items.length})`;
}

export class ReplayControlSystem implements ControlSystem {
  readonly name: string;
  /** A replay drives nothing: never online. */
  readonly online = false;
  /** As the recorded control system (a twin's immediate readings are replayed as such). */
  readonly immediate: boolean;
  /** The recorded twin's error seed (measurement files name it as the recorded run did). */
  readonly recordedTwin: { readonly errorSeed: number | undefined } | undefined;
  readonly speed: ReplaySpeed;
  private readonly calls: Call[];
  private readonly subscriptions = new Map<string, { id: number; t: number; after: number }[]>();
  private readonly updates = new Map<number, Update[]>();
  private readonly subscribed = new Map<string, number>();
  private readonly active = new Set<Active>();
  private readonly connection = new Subject<ConnectionEvent>();
  readonly connection$ = this.connection.asObservable();
  private readonly start = performance.now();
  private next = 0;
  private completed = 0;
  private failure: ReplayMismatchError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly clockReadings: number[];
  private clockNext = 0;
  private clockLast: { v: number; at: number } | undefined;
  /**
   * The client's clock as recorded (the accelerator's Clock): each reading is the recorded
   * one, in order; after the last, the last one plus the time since; a recording without
   * clock readings: the host's clock.
   */
  readonly clock = { now: (): number => this.clockReading() };

  constructor(
    readonly recording: Recording,
    options: ReplayOptions = {},
  ) {
    const speed = options.speed ?? 1;
    if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new MlayerError(`replay of ${recording.source}: speed ${String(speed)} is not a positive number or 'max'`);
    this.speed = speed;
    this.name = options.name ?? 'replay';
    const h = recording.header;
    this.immediate = h.controlSystem?.immediate === true;
    this.recordedTwin = h.twin ? { errorSeed: h.twin.errorSeed } : undefined;
    this.clockReadings = recording.events.flatMap((e) => (e.k === 'clock' ? [e.v] : []));
    this.calls = recording.events.filter((e): e is Call => e.k === 'read' || e.k === 'write').sort((a, b) => a.n - b.n);
    for (const e of recording.events) {
      if (e.k === 'subscribe') {
        const l = this.subscriptions.get(e.ch) ?? [];
        l.push({ id: e.id, t: e.t, after: e.after });
        this.subscriptions.set(e.ch, l);
      } else if (e.k === 'update') {
        const l = this.updates.get(e.id) ?? [];
        l.push(e);
        this.updates.set(e.id, l);
      }
    }
  }

  /** Reads a recording file and serves it. */
  static fromFile(path: string, options: ReplayOptions = {}): ReplayControlSystem {
    return new ReplayControlSystem(readRecording(path), options);
  }

  private clockReading(): number {
    if (this.clockNext < this.clockReadings.length) {
      const v = this.clockReadings[this.clockNext++];
      this.clockLast = { v, at: performance.now() };
      return v;
    }
    return this.clockLast ? this.clockLast.v + (performance.now() - this.clockLast.at) : Date.now();
  }

  /** Calls of the recording not made (yet). */
  get remaining(): number {
    return this.calls.length - this.next;
  }

  /** The first mismatch, when the session has left the recording. */
  get mismatch(): ReplayMismatchError | undefined {
    return this.failure;
  }

  async read(channels: readonly string[], options: ReadOptions = {}): Promise<Sample[]> {
    const call = this.take(`a read of ${channels.length} channel${channels.length === 1 ? '' : 's'} (${list(channels)})`, 'read', (c) => {
      if (c.k !== 'read') return undefined;
      if (c.ch.length !== channels.length) return `${channels.length} channels instead of ${c.ch.length}: ${this.channelDiff(c.ch, channels)}`;
      const i = c.ch.findIndex((ch, j) => ch !== channels[j]);
      return i < 0 ? '' : this.channelDiff(c.ch, channels);
    });
    await this.complete(call, options.signal);
    return call.k === 'read' ? (call.s ?? []).map((s: EncodedSample) => decodeSample(s)) : [];
  }

  async write(writes: readonly ChannelWrite[], options: WriteOptions = {}): Promise<void> {
    const call = this.take(`a write of ${writes.map((w) => `${w.channel} = ${showValue(w.value)}`).slice(0, SHOWN).join(', ')}${writes.length > SHOWN ? `, ... (${writes.length} channels)` : ''}`, 'write', (c) => {
      if (c.k !== 'write') return undefined;
      return this.writeDiff(c.w.map(([ch, v]) => [ch, decodeValue(v)] as const), writes);
    });
    await this.complete(call, options.signal);
  }

  monitor(channel: string): Observable<Sample> {
    return new Observable<Sample>((subscriber) => {
      if (this.failure) {
        subscriber.error(this.failure);
        return undefined;
      }
      const k = this.subscribed.get(channel) ?? 0;
      this.subscribed.set(channel, k + 1);
      const recorded = this.subscriptions.get(channel) ?? [];
      const sub = recorded[k];
      if (!sub) {
        subscriber.error(new ReplayMismatchError(`replay of ${this.recording.source}: monitor of ${channel}: subscription ${k + 1} is not in the recording (${recorded.length} recorded)`));
        return undefined;
      }
      const a: Active = { channel, updates: [...(this.updates.get(sub.id) ?? [])], subscriber };
      this.active.add(a);
      this.pump();
      return () => {
        this.active.delete(a);
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.active.clear();
    this.connection.complete();
  }

  /**
   * Takes the next recorded call if `check` finds it the same ('' : the same; a text: the
   * difference; undefined: another kind of call); else fails the replay with the difference.
   */
  private take(actual: string, kind: 'read' | 'write', check: (c: Call) => string | undefined): Call {
    if (this.failure) throw this.failure;
    const n = this.next;
    const c = this.calls[n];
    const where = `replay of ${this.recording.source}: call ${n + 1}`;
    let diff: string | undefined;
    if (!c) diff = `${where}: ${actual}, after the end of the recording (${this.calls.length} calls recorded)`;
    else {
      const d = check(c);
      if (d === undefined) diff = `${where}: expected ${describeCall(c)}, actual ${actual}`;
      else if (d !== '') diff = `${where}: the ${kind} differs from the recording: ${d}`;
    }
    if (diff !== undefined) {
      this.failure = new ReplayMismatchError(diff);
      throw this.failure;
    }
    this.next++;
    return c;
  }

  /**
   * Waits until the call's recorded completion time (scaled by the speed), then gives its
   * recorded error, if any. An abort (Ctrl-C) ends the wait with the signal's reason.
   */
  private async complete(c: Call, signal: AbortSignal | undefined): Promise<void> {
    if (this.speed === 'max') await Promise.resolve();
    else {
      const wait = this.start + c.d / this.speed - performance.now();
      if (wait > 0) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = (): void => {
            clearTimeout(timer);
            reject(signal!.reason instanceof Error ? signal!.reason : new MlayerError('aborted'));
          };
          const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }, wait);
          if (signal?.aborted) onAbort();
          else signal?.addEventListener('abort', onAbort, { once: true });
        });
      }
    }
    this.completed++;
    this.pump();
    if (c.e !== undefined) throw decodeError(c, ReplayedError);
  }

  private channelDiff(expected: readonly string[], actual: readonly string[]): string {
    const i = expected.findIndex((ch, j) => ch !== actual[j]);
    const at = i < 0 ? Math.min(expected.length, actual.length) : i;
    return `channel ${at + 1}: expected ${expected[at] ?? '(none)'}, actual ${actual[at] ?? '(none)'}`;
  }

  private writeDiff(expected: readonly (readonly [string, ChannelValue])[], actual: readonly ChannelWrite[]): string {
    const exp = new Map(expected);
    const act = new Map(actual.map((w) => [w.channel, w.value]));
    const lines: string[] = [];
    for (const [ch, v] of act) {
      const e = exp.get(ch);
      if (!exp.has(ch)) lines.push(`${ch}: not in the recorded write, actual ${showValue(v)}`);
      else if (!sameValue(e!, v)) lines.push(`${ch}: expected ${showValue(e!)}, actual ${showValue(v)}`);
    }
    for (const [ch, e] of exp) if (!act.has(ch)) lines.push(`${ch}: expected ${showValue(e)}, not written`);
    if (lines.length === 0 && expected.some(([ch], i) => actual[i]?.channel !== ch)) lines.push(`the same values in another order (recorded: ${list(expected.map(([ch]) => ch))})`);
    return lines.length <= SHOWN ? lines.join('; ') : `${lines.slice(0, SHOWN).join('; ')}; ... and ${lines.length - SHOWN} more`;
  }

  /** Emits every update that is due (its preceding calls done and, unless 'max', its time come); sets a timer for the next. */
  private pump(): void {
    if (this.closed) return;
    const elapsed = performance.now() - this.start;
    let nextDue = Infinity;
    for (const a of this.active) {
      while (a.updates.length > 0 && this.active.has(a)) {
        const u = a.updates[0];
        if (u.after > this.completed) break;
        const due = this.speed === 'max' ? 0 : u.t / this.speed;
        if (due > elapsed) {
          nextDue = Math.min(nextDue, due);
          break;
        }
        a.updates.shift();
        a.subscriber.next(decodeSample(u.s));
      }
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (nextDue < Infinity) {
      this.timer = setTimeout(() => this.pump(), Math.max(0, nextDue - elapsed));
      this.timer.unref?.();
    }
  }
}
