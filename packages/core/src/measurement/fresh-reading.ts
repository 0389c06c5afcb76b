/**
 * Fresh data after a change (MML's BPM delay): a reading that follows a write must
 * come from samples produced after the write completed and its settle time
 * elapsed. Sample timestamps decide (the server's time: EPICS record time, TANGO
 * attribute time), compared with the client's clock at the change:
 *
 * - update period P known (the facility states it, or it was learned): every device's
 *   sample must be stamped at least P after the change, so that its averaging
 *   window (a 10 Hz BPM average covers the 0.1 s before its stamp) lies wholly after it;
 * - P not known: every device must show two distinct new timestamps after the change
 *   (the second one was produced after the first arrived); the intervals seen on the
 *   way give P for the next time.
 *
 * A reading that cannot be fresh within the timeout is an error naming the family,
 * never old data. Control systems that are `immediate` (the twin) skip all of this.
 */
import type { Family } from '../accelerator/family.js';
import { sleep } from '../accelerator/family.js';
import type { FieldName } from '../config/schema.js';
import type { Sample } from '../control/sample.js';
import { MlayerError } from '../errors.js';

/** A reading could not be fresh (no sample produced after the change) within the timeout. */
export class StaleReadingError extends MlayerError {
  constructor(
    /** The family whose readings stayed old. */
    readonly family: string,
    /** Common names of the devices without a fresh sample. */
    readonly devices: readonly string[],
    readonly timeoutMs: number,
    detail: string,
  ) {
    super(
      `${family}: no fresh reading within ${timeoutMs} ms: ${devices.length} device${devices.length === 1 ? '' : 's'} (${devices.slice(0, 4).join(', ')}${devices.length > 4 ? ', ...' : ''}) gave no sample produced after the change; ${detail}`,
    );
  }
}

export interface FreshReadRequest {
  readonly family: Family;
  readonly field: FieldName;
  /** Client time of the change (seconds since the epoch); undefined: no change to wait for. */
  readonly since?: number;
  /** Timestamp of the previous sample of each device: every new sample must be newer (distinct updates). */
  readonly after?: ArrayLike<number>;
  /** Update period in seconds when known; undefined: two new updates per device are awaited. */
  readonly period?: number;
  /** Polling interval while waiting, ms (default: a quarter of the period, 2..50 ms; 20 ms when unknown). */
  readonly pollMs?: number;
  readonly timeoutMs: number;
  /**
   * With no change to wait for (`since` undefined), how long to wait for newer samples
   * (`after`) before the ones there are taken again (default: the timeout). A publisher
   * that posts only changes repeats its samples; that is no stale data, only no new one.
   */
  readonly repeatAfterMs?: number;
  readonly signal?: AbortSignal;
}

export interface FreshReadResult {
  readonly samples: Sample[];
  /** Update period seen in the timestamps while waiting (median interval), when enough were seen. */
  readonly learnedPeriod?: number;
  /** Number of reads it took. */
  readonly reads: number;
  /** True when samples were taken again because no newer one came within `repeatAfterMs`. */
  readonly repeated?: boolean;
}

/** Reads a family until every connected device's sample is fresh (see the module comment). */
export async function readFresh(req: FreshReadRequest): Promise<FreshReadResult> {
  const { family, field, since, after, period } = req;
  const start = Date.now();
  const deadline = start + req.timeoutMs;
  const need = since !== undefined && period !== undefined ? since + period : undefined;
  const n = family.size;
  const seen: number[][] = Array.from({ length: n }, () => []);
  const poll = req.pollMs ?? (period !== undefined && period > 0 ? Math.min(50, Math.max(2, (period * 1000) / 4)) : 20);
  let reads = 0;
  // Nothing can be fresh before the change plus one period: sleep until then.
  if (need !== undefined && need * 1000 > start) await sleep(Math.min(need * 1000 - start + 1, req.timeoutMs), req.signal);
  for (;;) {
    req.signal?.throwIfAborted();
    const samples = await family.read({ field, signal: req.signal });
    reads++;
    const stale: number[] = [];
    samples.forEach((s, i) => {
      const list = seen[i];
      if (list.length === 0 || list[list.length - 1] !== s.timestamp) list.push(s.timestamp);
      // A disconnected device reads NaN and is left out by the averages; it cannot be fresh.
      if (s.connected === false) return;
      let ok = after === undefined || s.timestamp > after[i];
      if (ok && since !== undefined) {
        ok = need !== undefined ? s.timestamp >= need : list.filter((t) => t > since).length >= 2;
      }
      if (!ok) stale.push(i);
    });
    if (stale.length === 0) return { samples, learnedPeriod: learned(seen), reads };
    const now = Date.now();
    if (since === undefined && req.repeatAfterMs !== undefined && now - start >= req.repeatAfterMs) return { samples, learnedPeriod: learned(seen), reads, repeated: true };
    if (now >= deadline) {
      const newest = Math.max(...stale.map((i) => samples[i].timestamp));
      const age = since !== undefined ? `the newest of their samples is ${(since - newest).toFixed(3)} s older than the change` : `their newest sample is ${(now / 1000 - newest).toFixed(3)} s old`;
      throw new StaleReadingError(
        family.name,
        stale.map((i) => family.names[i]),
        req.timeoutMs,
        `${age} (${field}, ${period !== undefined ? `update period ${period} s` : 'update period not known: two new updates awaited'}); is the publication of ${family.name} running?`,
      );
    }
    await sleep(Math.min(poll, deadline - now), req.signal);
  }
}

/** Median interval between consecutive distinct timestamps, when at least 3 intervals were seen. */
function learned(seen: readonly number[][]): number | undefined {
  const d: number[] = [];
  for (const list of seen) for (let k = 1; k < list.length; k++) if (list[k] > list[k - 1]) d.push(list[k] - list[k - 1]);
  if (d.length < 3) return undefined;
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)];
}
