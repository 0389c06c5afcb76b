import type { ServedHardware } from './served-hardware.js';
import type { ServedTiming } from './served-timing.js';

/** Options of `mlayer serve` common to every protocol. */
export interface ServeOptions {
  /** Facility file, or facility package directory or name (see core's resolveFacilityPath). */
  readonly facility: string;
  /** Twin control system of the facility (default: the first of type twin). */
  readonly twin?: string;
  /** Error set applied to the twin at start, with `seed`. */
  readonly errors?: string;
  readonly faults?: string;
  readonly seed: number;
  /** Where to write the facility overlay (default: next to the facility file, else the temp dir). */
  readonly overlay?: string;
  /** Served control system name in the overlay (default: the facility's of that protocol, else the protocol name). */
  readonly controlSystem?: string;
  /** Realistic timing (BPM rate and averaging, ramps, latency, put-callback delay). */
  readonly timing: ServedTiming;
  /** Serve only these families (default every family). */
  readonly families?: readonly string[];
  /** Protocol-specific options (e.g. tangoHost). */
  readonly protocolOptions: Readonly<Record<string, unknown>>;
  readonly json: boolean;
}

/** A running virtual accelerator. */
export interface Served {
  /** Lines printed once it is up (address, overlay, channel names). */
  readonly summary: Readonly<Record<string, unknown>>;
  /** The served hardware (SIGUSR1 stops and resumes its BPM publication). */
  readonly hardware?: ServedHardware;
  stop(): Promise<void>;
}

/** One protocol of `mlayer serve`: a module exporting `serve(options)`. */
export type ServeProtocol = (options: ServeOptions, log: (line: string) => void) => Promise<Served>;
