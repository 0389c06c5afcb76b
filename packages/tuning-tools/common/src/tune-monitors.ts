/**
 * Reading the fractional tunes from tune monitors (one device per plane, read in
 * physics units): `samples` readings averaged, each tune folded to [0, 1), its
 * resolution three standard errors of the mean, inside one measurement.
 */
import { type Accelerator, type Family, measure } from '@mlayer/core';
import type { ToolErrorClass } from './family-pair-response.js';

export interface TuneMonitorOptions {
  /** Readings averaged. */
  readonly samples: number;
  /** Time between readings, ms (default: the averaging's). */
  readonly interval?: number;
  readonly signal?: AbortSignal;
  /** The calling tool's error class (a monitor without a valid reading). */
  readonly error: ToolErrorClass;
}

export interface TuneMonitorReading {
  /** Fractional tunes [qx, qy] in [0, 1). */
  readonly tunes: readonly [number, number];
  /** Three standard errors of each averaged tune. */
  readonly resolution: readonly [number, number];
}

/** Averages the x and y tune monitors (one device each). */
export async function readTuneMonitors(acc: Accelerator, monitors: readonly [Family, Family], options: TuneMonitorOptions): Promise<TuneMonitorReading> {
  const n = options.samples;
  return measure(acc, { name: 'tune (tune monitors)', drives: [], signal: options.signal }, async (ctx) => {
    const res = await Promise.all(monitors.map((f) => ctx.average(f, n, { interval: options.interval, units: 'physics' })));
    const tunes = res.map((r, k) => {
      if (r.count[0] === 0) throw new options.error(`${monitors[k].name} ${monitors[k].names[0]}: no valid reading in ${n}`);
      return r.mean[0] - Math.floor(r.mean[0]);
    });
    const resolution = res.map((r) => (3 * r.std[0]) / Math.sqrt(r.count[0]));
    return { tunes: [tunes[0], tunes[1]] as const, resolution: [resolution[0], resolution[1]] as const };
  });
}
