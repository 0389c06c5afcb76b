import type { Observable } from 'rxjs';
import type { ControlSystem } from '@mlayer/core';
import type { ChannelValue } from '@mlayer/core';

/**
 * Which way values of a pair flow. `to-source`: the sink channel is monitored and
 * its changes are written to the source (set points: a client writes the served
 * channel, the simulation follows). `to-sink`: the source channel is monitored and
 * written to the sink (readbacks, monitors). `both`: either way, echoes suppressed.
 */
export type BridgeDirection = 'to-source' | 'to-sink' | 'both';

/** One bridged channel: a channel of the source (the simulation) and one of the sink (the served system). */
export interface BridgePair {
  readonly source: string;
  readonly sink: string;
  readonly direction: BridgeDirection;
  /**
   * Order of the writes to the sink within one flush: every write of a lower phase
   * is acknowledged before the next phase is written (default 0). Give a readback
   * a higher phase than the monitors it implies (BPMs), so that a client that sees
   * the readback reach its set point also sees the orbit that goes with it.
   */
  readonly phase?: number;
  /**
   * `to-sink` only: forward every source sample, even one equal to the last value, and
   * leave the pair out of the periodic refresh (a BPM that publishes at its own rate:
   * each publication is an update clients can count; a stopped one sends nothing).
   */
  readonly everySample?: boolean;
}

/** Which side wins for a `to-source` pair when the sink comes back after a disconnection. */
export type ReconnectPolicy = 'sink' | 'source';

export interface BridgeOptions {
  /** The simulation (the digital twin): the truth for readbacks and monitors. */
  readonly source: ControlSystem;
  /** The served control system (a TANGO or EPICS server the bridge feeds). */
  readonly sink: ControlSystem;
  readonly pairs: readonly BridgePair[];
  /** Aborting closes the bridge (same as close()). */
  readonly signal?: AbortSignal;
  /**
   * After the sink reconnects (a server restart): 'sink' forwards the sink's set points
   * to the source as usual (servers that restore their set points: TANGO memorized
   * attributes, EPICS autosave); 'source' (default) writes the source's set points back
   * to the sink instead (servers that restart with their initial values).
   */
  readonly onSinkReconnect?: ReconnectPolicy;
  /**
   * Every this many ms, every `to-sink`/`both` value is written to the sink again even
   * when unchanged (a restarted server gets its readbacks back); 0 disables (default 5000).
   */
  readonly refreshInterval?: number;
  /**
   * Every this many ms, the sink channels of `to-source`/`both` pairs are also read and
   * changes forwarded as if monitored: a client write is not lost while a monitor
   * subscription recovers from a server restart (default 0: monitors only).
   */
  readonly pollInterval?: number;
  /** Timeout of each read and write the bridge makes, ms (default 3000). */
  readonly timeout?: number;
  /** First delay before a failed write is retried, ms; doubles up to 16x (default 100). */
  readonly retryDelay?: number;
}

/** A write the bridge could not make (reported, never thrown from the bridge's loop). */
export interface BridgeFailure {
  readonly side: 'source' | 'sink';
  readonly channel: string;
  readonly value?: ChannelValue;
  readonly error: unknown;
  /** True when the bridge retries it (disconnections and timeouts); false when it was dropped. */
  readonly retrying: boolean;
}

export interface BridgeStats {
  /** Values written to the sink (initial copy, changes, refreshes, resyncs). */
  readonly toSink: number;
  /** Values written to the source. */
  readonly toSource: number;
  /** Samples dropped because they carried the value both sides already hold (echoes, unchanged values). */
  readonly unchanged: number;
  /** Writes that failed (each attempt). */
  readonly failures: number;
  /** Full resynchronisations after the sink came back. */
  readonly resyncs: number;
}

export interface ControlSystemBridge {
  readonly pairs: readonly BridgePair[];
  readonly stats: Readonly<BridgeStats>;
  /** Failed writes, as they happen. */
  readonly failures$: Observable<BridgeFailure>;
  /** Resolves when every value received so far has been written (or given up). */
  settled(): Promise<void>;
  /** Stops monitoring and waits for the writes in flight; the control systems stay open. */
  close(): Promise<void>;
}
