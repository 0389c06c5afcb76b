/**
 * The recording file: JSON lines. The first line is the header (RecordingHeader), each
 * further line one event (RecordingEvent). JSON lines rather than HDF5: a recording is
 * appended to event by event while the command runs (a crash leaves every event before
 * it readable), it is read back in order, line by line, and it needs no native or wasm
 * library on either side; numbers stay exact (a finite double round-trips through
 * JavaScript's shortest decimal form; NaN, infinities and -0, which JSON cannot hold,
 * and Float64Array waveforms, as base64 of their bytes, are written as small objects).
 */
import { type AlarmSeverity, type ChannelValue, DisconnectedError, MlayerError, type Sample, TimeoutError, WriteRejectedError } from '@mlayer/core';

export const RECORDING_FORMAT = 'mlayer-recording';
export const RECORDING_VERSION = 1;

/** The first line of a recording. */
export interface RecordingHeader {
  readonly format: typeof RECORDING_FORMAT;
  readonly version: number;
  /** ISO time the recording started. */
  readonly date: string;
  /** The facility (name, its file, the SHA-256 of its configuration). */
  readonly facility?: { readonly name: string; readonly file?: string; readonly sha256: string };
  /** The lattice file and its SHA-256. */
  readonly lattice?: { readonly file: string; readonly sha256: string };
  /** The facility's mode (control-system name) the recording was made in, and its type. */
  readonly mode?: string;
  /** The recorded control system: name, online, immediate (replayed as recorded). */
  readonly controlSystem: { readonly name: string; readonly type?: string; readonly online: boolean; readonly immediate: boolean };
  /** A digital twin's error seed when one was applied (measurement files name it). */
  readonly twin?: { readonly errorSeed?: number };
  /** Software versions (mlayer packages, Node). */
  readonly software: Readonly<Record<string, string>>;
  /** What was recorded (the command line), for people. */
  readonly command?: readonly string[];
}

/** A value as written: a JSON number or string, or one of the forms JSON cannot hold. */
export type EncodedValue = number | string | { readonly num: 'NaN' | 'Infinity' | '-Infinity' | '-0' } | { readonly f64: string };

export interface EncodedSample {
  readonly v: EncodedValue;
  /** Timestamp, seconds since the epoch (NaN or an infinity as `v` writes them). */
  readonly ts: number | { readonly num: 'NaN' | 'Infinity' | '-Infinity' | '-0' };
  readonly sev: number;
  readonly st: string;
  /** Present (false) on a disconnected sample only. */
  readonly c?: false;
}

/**
 * Times `t` (call or update) and `d` (completion) are milliseconds since the recording
 * started; `n` numbers the calls (reads and writes) in the order they were made; `after`
 * is the number of calls completed when a monitor update came.
 */
export type RecordingEvent =
  | ({ readonly k: 'read'; readonly n: number; readonly t: number; readonly d: number; readonly ch: readonly string[]; readonly s?: readonly EncodedSample[] } & EncodedError)
  | ({ readonly k: 'write'; readonly n: number; readonly t: number; readonly d: number; readonly w: readonly (readonly [string, EncodedValue])[]; readonly wait: boolean } & EncodedError)
  | { readonly k: 'subscribe'; readonly id: number; readonly ch: string; readonly t: number; readonly after: number }
  | { readonly k: 'update'; readonly id: number; readonly t: number; readonly after: number; readonly s: EncodedSample }
  | { readonly k: 'unsubscribe'; readonly id: number; readonly t: number }
  /** A reading of the client's clock (the accelerator's Clock: ms since the epoch), replayed in order. */
  | { readonly k: 'clock'; readonly v: number };

/**
 * A call's error: its message (`e`), and for core's control-system errors, which tools tell
 * apart (a timeout or a disconnection is retried, a rejected write is not), the kind and fields.
 */
export interface EncodedError {
  readonly e?: string;
  readonly ek?: 'timeout' | 'disconnected' | 'rejected';
  readonly ech?: string;
  readonly ems?: number;
  readonly ereason?: string;
}

export function encodeError(err: unknown): EncodedError {
  const e = err instanceof Error ? err.message : String(err);
  if (err instanceof TimeoutError) return { e, ek: 'timeout', ech: err.channel, ems: err.timeoutMs };
  if (err instanceof DisconnectedError) return { e, ek: 'disconnected', ech: err.channel };
  if (err instanceof WriteRejectedError) return { e, ek: 'rejected', ech: err.channel, ereason: err.reason };
  return { e };
}

/** The recorded error again: core's class for the kinds it names (with the recorded message), else `other` with the message. */
export function decodeError(r: EncodedError, other: new (message: string) => MlayerError): MlayerError {
  const message = r.e ?? 'error';
  let err: MlayerError;
  if (r.ek === 'timeout') err = new TimeoutError(r.ech ?? '', r.ems ?? 0);
  else if (r.ek === 'disconnected') err = new DisconnectedError(r.ech ?? '');
  else if (r.ek === 'rejected') err = new WriteRejectedError(r.ech ?? '', r.ereason ?? '');
  else return new other(message);
  Object.defineProperty(err, 'message', { value: message, configurable: true, writable: true });
  return err;
}

export function encodeValue(v: ChannelValue): EncodedValue {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { num: 'NaN' };
    if (v === Infinity) return { num: 'Infinity' };
    if (v === -Infinity) return { num: '-Infinity' };
    if (Object.is(v, -0)) return { num: '-0' };
    return v;
  }
  return { f64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
}

const NUMS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

export function decodeValue(e: EncodedValue): ChannelValue {
  if (typeof e === 'number' || typeof e === 'string') return e;
  if ('num' in e) return NUMS[e.num];
  const bytes = Buffer.from(e.f64, 'base64');
  // A copy on an aligned buffer of its own.
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function encodeSample(s: Sample): EncodedSample {
  const t = s.timestamp;
  const e = { v: encodeValue(s.value), ts: Number.isFinite(t) ? t : (encodeValue(t) as EncodedSample['ts']), sev: s.severity, st: s.status };
  return s.connected === false ? { ...e, c: false } : e;
}

export function decodeSample(e: EncodedSample): Sample {
  return { value: decodeValue(e.v), timestamp: typeof e.ts === 'number' ? e.ts : NUMS[e.ts.num], severity: e.sev as AlarmSeverity, status: e.st, connected: e.c !== false };
}

/** Bit-for-bit equality of two channel values (NaN equals NaN, -0 differs from 0). */
export function sameValue(a: ChannelValue, b: ChannelValue): boolean {
  if (typeof a === 'number' || typeof a === 'string') return Object.is(a, b);
  if (!(b instanceof Float64Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A value for messages: numbers as JavaScript prints them, arrays by length and first elements, strings quoted. */
export function showValue(v: ChannelValue): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  const head = Array.from(v.subarray(0, 4), String).join(', ');
  return `[${head}${v.length > 4 ? ', ...' : ''}] (${v.length} values)`;
}
