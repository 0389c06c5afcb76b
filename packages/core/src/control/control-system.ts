import type { Observable } from 'rxjs';
import type { ChannelValue, Sample } from './sample.js';

export interface ReadOptions {
  /** Milliseconds; adapters apply a finite default (never infinite). */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
}

export interface WriteOptions extends ReadOptions {
  /** Wait until the server confirmed completion (EPICS put-callback, TANGO synchronous write). */
  readonly wait?: boolean;
}

export interface ChannelWrite {
  readonly channel: string;
  readonly value: ChannelValue;
}

export interface ConnectionEvent {
  readonly channel: string;
  readonly connected: boolean;
  readonly timestamp: number;
}

/**
 * The port every control-system adapter implements (EPICS, TANGO, the twin, the
 * in-memory test system). It knows channels only, never devices or families.
 */
export interface ControlSystem {
  /** Name of the control system in the facility config (e.g. 'twin', 'epics'). */
  readonly name: string;
  /** True for a real machine: writes then need the explicit allowWrites opt-in. */
  readonly online: boolean;
  /**
   * True when a write with wait has taken its full effect when it resolves and every
   * read that starts afterwards reflects it (the digital twin computes its readings on
   * request; the in-memory test system): measurements then skip settle times and the
   * wait for fresh data. Absent or false for a real (or served) control system.
   */
  readonly immediate?: boolean;
  /**
   * Set by a control system that serves a recording (a replay) of a digital twin: the
   * twin's error seed then (undefined: none applied), which measurement files name as the
   * recorded run's did. Absent otherwise.
   */
  readonly recordedTwin?: { readonly errorSeed: number | undefined };
  /** Batched read; resolves with one sample per channel, in order. */
  read(channels: readonly string[], options?: ReadOptions): Promise<Sample[]>;
  /** Batched write; with `wait` it resolves when the server confirmed completion. */
  write(writes: readonly ChannelWrite[], options?: WriteOptions): Promise<void>;
  /** Change stream of one channel; hot, may emit a disconnected sample and resume. */
  monitor(channel: string): Observable<Sample>;
  /** Connection changes of every channel this control system has opened. */
  readonly connection$: Observable<ConnectionEvent>;
  /** Release every channel and subscription. */
  close(): Promise<void>;
}
