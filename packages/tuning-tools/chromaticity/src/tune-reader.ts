/**
 * How the chromaticity tool reads the tunes: a function given by the caller
 * (e.g. @mlayer/tune's measureTunes for turn-by-turn data), or by default the
 * tune monitors of the facility (element class Tune, one device per plane),
 * averaged over a few readings.
 */
import type { Accelerator, Family } from '@mlayer/core';
import { readTuneMonitors } from '@mlayer/tuning-common';
import { ChromaticityError } from './errors.js';

export interface TuneReading {
  /** Fractional tunes [qx, qy]. */
  readonly tunes: readonly [number, number];
  /** Resolution of each tune (three standard errors; 0 when unknown). */
  readonly resolution: readonly [number, number];
}

export type TuneReader = (acc: Accelerator, signal: AbortSignal) => Promise<TuneReading>;

function monitorOf(acc: Accelerator, plane: 'x' | 'y'): Family {
  const found: Family[] = [];
  for (const name of acc.familyNames()) {
    const fam = acc.family(name);
    if (fam.elementClass.toLowerCase() !== 'tune') continue;
    const cfg = acc.facility.config.families[name];
    fam.deviceList.forEach(([s, i], k) => {
      const d = cfg.devices.find((x) => x.device[0] === s && x.device[1] === i);
      if ((d?.plane ?? cfg.plane) === plane) found.push(fam.devices([fam.deviceList[k]]));
    });
  }
  if (found.length !== 1) {
    throw new ChromaticityError(`${acc.facility.file}: ${found.length === 0 ? 'no' : 'more than one'} tune monitor for plane ${plane} (element class Tune with plane ${plane}); pass a tune reader (e.g. @mlayer/tune's measureTunes)`);
  }
  return found[0];
}

/** The default reader: the tune monitors, `samples` readings averaged. */
export function tuneMonitorReader(samples = 5): TuneReader {
  if (!Number.isInteger(samples) || samples < 1) throw new ChromaticityError(`samples must be a positive integer (got ${samples})`);
  return async (acc, signal) => {
    const fams = [monitorOf(acc, 'x'), monitorOf(acc, 'y')];
    return readTuneMonitors(acc, [fams[0], fams[1]], { samples, signal, error: ChromaticityError });
  };
}
