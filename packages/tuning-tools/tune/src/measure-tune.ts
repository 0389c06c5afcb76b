/**
 * Tune measurement (MML gettune): from the tune monitors when the facility has
 * them, otherwise from turn-by-turn BPM data after a kick.
 */
import { type Accelerator, type Family, measure } from '@mlayer/core';
import { readTuneMonitors } from '@mlayer/tuning-common';
import { TuneError } from './errors.js';
import { type HalfSide, type PlaneTune, analysePlane } from './tbt-analysis.js';
import { PLANES, type PlaneName, kickers as findKickers, tuneMonitors, turnByTurnFamilies } from './tune-sources.js';

export type TuneMethod = 'auto' | 'monitor' | 'tbt';

export interface MeasureTuneOptions {
  /** 'auto' (default): the tune monitors when the facility has one per plane, else turn-by-turn data. */
  readonly method?: TuneMethod;
  /** Tune monitors: readings averaged (default 5) and the time between them in ms (default 0). */
  readonly samples?: number;
  readonly interval?: number;
  /** Turn-by-turn: kick per plane in the kicker's physics units (rad); default: `amplitude` at the BPMs from the model optics. */
  readonly kick?: Partial<Record<PlaneName, number>>;
  /** Turn-by-turn: betatron amplitude (m) the default kick aims at, at the BPM of largest beta (default 0.1 mm: small enough that the amplitude-dependent tune shift stays below the resolution). */
  readonly amplitude?: number;
  /** Turn-by-turn: side of the half integer of each fractional tune (default: the side of the model tune). */
  readonly side?: Partial<Record<PlaneName, HalfSide>>;
  /** Turn-by-turn: search band in folded tune units [0, 0.5] per plane. */
  readonly band?: Partial<Record<PlaneName, readonly [number, number]>>;
  /** Turn-by-turn: kicker family per plane (default: the facility's Kicker families). */
  readonly kickers?: Partial<Record<PlaneName, string>>;
  readonly signal?: AbortSignal;
}

export interface TuneMeasurement {
  /** Fractional tunes [qx, qy] in [0, 1). */
  readonly tunes: readonly [number, number];
  /** Resolution of each tune: three standard errors. */
  readonly resolution: readonly [number, number];
  readonly method: 'monitor' | 'tbt';
  /** Tune monitors: the readings averaged. */
  readonly samples?: number;
  /** Turn-by-turn: the analysis of each plane (per-BPM tunes, spectrum). */
  readonly planes?: Readonly<Record<PlaneName, PlaneTune>>;
  /** Turn-by-turn: the kick of each plane (rad). */
  readonly kicks?: Readonly<Record<PlaneName, number>>;
}

const frac = (q: number) => q - Math.floor(q);

/** Which method 'auto' picks for this facility. */
export function tuneMethod(acc: Accelerator, method: TuneMethod = 'auto'): 'monitor' | 'tbt' {
  if (method !== 'auto') return method;
  const mon = tuneMonitors(acc);
  if (mon.x && mon.y) return 'monitor';
  const tbt = turnByTurnFamilies(acc);
  const k = findKickers(acc);
  if (tbt.x && tbt.y && k.x && k.y) return 'tbt';
  throw new TuneError(`${acc.facility.file}: no way to measure the tunes: the facility needs a tune monitor per plane (element class Tune), or turn-by-turn BPM families (BPM with an array monitor) and a kicker per plane (element class Kicker)`);
}

/** Measures the fractional tunes (MML gettune). */
export async function measureTunes(acc: Accelerator, options: MeasureTuneOptions = {}): Promise<TuneMeasurement> {
  return tuneMethod(acc, options.method) === 'monitor' ? fromMonitors(acc, options) : fromTurnByTurn(acc, options);
}

async function fromMonitors(acc: Accelerator, options: MeasureTuneOptions): Promise<TuneMeasurement> {
  const mon = tuneMonitors(acc);
  const n = options.samples ?? 5;
  if (!Number.isInteger(n) || n < 1) throw new TuneError(`samples must be a positive integer (got ${n})`);
  const fams = PLANES.map((p) => {
    const f = mon[p];
    if (!f) throw new TuneError(`${acc.facility.file}: no tune monitor for plane ${p}`);
    return f;
  });
  const r = await readTuneMonitors(acc, [fams[0], fams[1]], { samples: n, interval: options.interval, signal: options.signal, error: TuneError });
  return { ...r, method: 'monitor' as const, samples: n };
}

/** Model fractional tunes (sides of the half integer, default kicks). */
function modelTunes(acc: Accelerator): [number, number] | undefined {
  const m = acc.model;
  if (!m) return undefined;
  const t = m.tunes();
  return [frac(t.qx), frac(t.qy)];
}

function defaultKick(acc: Accelerator, kicker: Family, bpms: readonly Family[], plane: PlaneName, amplitude: number): number {
  const model = acc.model;
  if (!model) throw new TuneError(`no model to compute the default kick of ${kicker.name}: give options.kick.${plane} (rad)`);
  const p = plane === 'x' ? 0 : 1;
  const [k] = kicker.latticeElements(model);
  const betaK = model.optics([k])[0].beta[p];
  const elements = bpms.flatMap((f) => f.latticeElements(model));
  const betaB = Math.max(...model.optics(elements).map((o) => o.beta[p]));
  return amplitude / Math.sqrt(betaK * betaB);
}

async function fromTurnByTurn(acc: Accelerator, options: MeasureTuneOptions): Promise<TuneMeasurement> {
  const tbt = turnByTurnFamilies(acc);
  const found = findKickers(acc);
  const kickerOf = (p: PlaneName): Family => {
    const name = options.kickers?.[p];
    if (name) return acc.family(name);
    const k = found[p];
    if (!k) throw new TuneError(`${acc.facility.file}: no kicker for plane ${p} (a family of element class Kicker with plane ${p})`);
    return k;
  };
  const kick = PLANES.map((p) => kickerOf(p));
  const bpms = PLANES.map((p) => {
    const b = tbt[p];
    if (!b || b.length === 0) throw new TuneError(`${acc.facility.file}: no turn-by-turn BPM family for plane ${p} (element class BPM, monitor with dataType array)`);
    return b;
  });
  const model = modelTunes(acc);
  const side = (p: PlaneName, k: number): HalfSide => {
    const s = options.side?.[p];
    if (s) return s;
    if (!model) throw new TuneError(`no model to tell on which side of the half integer the ${p} tune lies: give options.side.${p} ('below' or 'above')`);
    return model[k] > 0.5 ? 'above' : 'below';
  };
  const kicks = PLANES.map((p, k) => options.kick?.[p] ?? defaultKick(acc, kick[k], bpms[k], p, options.amplitude ?? 1e-4));
  return measure(acc, { name: 'tune (turn-by-turn)', drives: kick, signal: options.signal, restoreOnSuccess: true }, async (ctx) => {
    const planes = {} as Record<PlaneName, PlaneTune>;
    for (const [k, p] of PLANES.entries()) {
      ctx.progress(k, `kick ${p}`);
      // The other plane's kicker off, this one on: one shot per plane.
      await ctx.set(kick[1 - k], 0, { units: 'physics' });
      await ctx.set(kick[k], kicks[k], { units: 'physics' });
      const buffers: Float64Array[] = [];
      for (const fam of bpms[k]) {
        const samples = await fam.read({ field: 'monitor', signal: ctx.signal });
        samples.forEach((s, i) => {
          if (!(s.value instanceof Float64Array)) throw new TuneError(`${fam.name} ${fam.names[i]}: the turn-by-turn monitor did not return an array`);
          buffers.push(s.value);
        });
      }
      planes[p] = analysePlane(buffers, { side: side(p, k), band: options.band?.[p] });
      ctx.note(`${p}: tune ${planes[p].tune} ± ${planes[p].resolution} from ${planes[p].used} BPMs, ${planes[p].turns} turns`);
    }
    return {
      tunes: [planes.x.tune, planes.y.tune] as const,
      resolution: [planes.x.resolution, planes.y.resolution] as const,
      method: 'tbt' as const,
      planes,
      kicks: { x: kicks[0], y: kicks[1] },
    };
  });
}
