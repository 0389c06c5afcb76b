/**
 * Chromaticity measurement (MML measchro): the RF frequency is scanned, the
 * tunes measured at each point, the frequency converted to the momentum offset
 * δ = -(f - f0)/(f0·αc) with the momentum compaction of the model, and the tunes
 * fitted with a polynomial in δ; the chromaticity is the linear coefficient.
 * The RF frequency is restored afterwards, also on failure or abort. With a
 * directory, the scan is saved as an openPMD line scan (core data module).
 */
import { existsSync, readdirSync } from 'node:fs';
import { type Accelerator, type Family, measure, sleep } from '@mlayer/core';
import { type Provenance, type ScanDefinition, addAnalysis, runScan } from '@mlayer/data';
import { acceleratorProvenance, measurementAuthor } from '@mlayer/tuning-common';
import { ChromaticityError } from './errors.js';
import { type PolyFit, polyfit } from './fit.js';
import { type TuneReader, tuneMonitorReader } from './tune-reader.js';

export interface MeasureChromaticityOptions {
  /** RF family (default: the family of element class RF, or bound to the model field Frequency). */
  readonly rf?: string;
  /** Range of momentum offsets scanned (default [-2e-3, 2e-3]). */
  readonly dpRange?: readonly [number, number];
  /** Points of the scan (default 7). */
  readonly points?: number;
  /** Explicit RF frequency offsets from the present frequency (Hz), instead of dpRange/points. */
  readonly frequencyOffsets?: readonly number[];
  /** Order of the fit of the tunes in δ: 1 (linear, default) or 2 (quadratic). */
  readonly order?: 1 | 2;
  /** Momentum compaction (default: the model's). */
  readonly momentumCompaction?: number;
  /** How the tunes are read (default: the tune monitors, 5 readings averaged). */
  readonly readTunes?: TuneReader;
  /** Save the scan into this directory (new or empty) as an openPMD line scan. */
  readonly dir?: string;
  /** "Name <email>" of the scan (default: $MLAYER_AUTHOR, else the login name). */
  readonly author?: string;
  /** Extra wait after each RF step, ms, on top of the RF family's settle time (default 0). */
  readonly settle?: number;
  readonly signal?: AbortSignal;
  /** Called after each point. */
  readonly onPoint?: (index: number, total: number) => void;
}

export interface ChromaticityMeasurement {
  /** [ξx, ξy] = dQ/dδ at δ = 0. */
  readonly chromaticity: readonly [number, number];
  /** Standard errors of the chromaticities from the fit. */
  readonly uncertainty: readonly [number, number];
  readonly order: 1 | 2;
  /** Fit of each tune: coefficients of 1, δ, δ² (fractional tune, ξ, ξ2). */
  readonly fits: { readonly x: PolyFit; readonly y: PolyFit };
  /** RF frequency before the scan (restored), Hz. */
  readonly f0: number;
  readonly momentumCompaction: number;
  readonly frequencies: Float64Array;
  readonly dp: Float64Array;
  /** Tunes at each point, unwrapped around the first point. */
  readonly tunes: { readonly x: Float64Array; readonly y: Float64Array };
  readonly resolution: { readonly x: Float64Array; readonly y: Float64Array };
  /** The scan directory when the scan was saved. */
  readonly dir?: string;
}

/** The RF family of the facility. */
export function rfFamily(acc: Accelerator, name?: string): Family {
  if (name) return acc.family(name);
  const found = acc.familyNames().filter((n) => {
    const cfg = acc.facility.config.families[n];
    return ['rf', 'rfcavity'].includes(cfg.elementClass.toLowerCase()) || cfg.model?.field === 'Frequency';
  });
  if (found.length !== 1) throw new ChromaticityError(`${acc.facility.file}: ${found.length === 0 ? 'no RF family' : `several RF families (${found.join(', ')})`}; name one with options.rf`);
  const fam = acc.family(found[0]);
  if (fam.size !== 1) throw new ChromaticityError(`${fam.name}: the RF family has ${fam.size} devices; select the master oscillator (options.rf with one device)`);
  return fam;
}

/** Provenance of a scan on this accelerator (facility, lattice, mode, error seed, setpoints). */
async function provenance(acc: Accelerator): Promise<Provenance> {
  const { errorsApplied: _applied, ...p } = await acceleratorProvenance(acc, { what: 'scan', missingLattice: 'a saved scan needs its SHA-256', error: ChromaticityError });
  return p;
}

const wrap = (d: number) => d - Math.round(d);

/** Measures the chromaticities by an RF-frequency scan (MML measchro). */
export async function measureChromaticity(acc: Accelerator, options: MeasureChromaticityOptions = {}): Promise<ChromaticityMeasurement> {
  const rf = rfFamily(acc, options.rf);
  const order = options.order ?? 1;
  if (order !== 1 && order !== 2) throw new ChromaticityError(`order must be 1 or 2 (got ${order})`);
  const alpha = options.momentumCompaction ?? acc.model?.momentumCompaction();
  if (alpha === undefined) throw new ChromaticityError(`${acc.name}: no model for the momentum compaction; give options.momentumCompaction`);
  if (!Number.isFinite(alpha) || alpha === 0) throw new ChromaticityError(`momentum compaction ${alpha} cannot convert a frequency into a momentum offset`);
  const f0 = (await rf.get({ field: 'setpoint', units: 'physics', signal: options.signal }))[0];
  let offsets: number[];
  if (options.frequencyOffsets) {
    offsets = [...options.frequencyOffsets];
  } else {
    const [lo, hi] = options.dpRange ?? [-2e-3, 2e-3];
    const n = options.points ?? 7;
    if (!Number.isInteger(n) || n < 2) throw new ChromaticityError(`points must be an integer >= 2 (got ${n})`);
    if (!(lo < hi)) throw new ChromaticityError(`dpRange [${lo}, ${hi}] must be increasing`);
    offsets = Array.from({ length: n }, (_, k) => -(lo + ((hi - lo) * k) / (n - 1)) * f0 * alpha);
  }
  if (offsets.length < order + 2) throw new ChromaticityError(`a fit of order ${order} with an uncertainty needs at least ${order + 2} points (got ${offsets.length})`);
  if (offsets.some((d) => !Number.isFinite(d))) throw new ChromaticityError(`frequency offsets must be finite (got ${offsets.join(', ')})`);
  const frequencies = Float64Array.from(offsets, (d) => f0 + d);
  const dp = Float64Array.from(offsets, (d) => -d / (f0 * alpha));
  const readTunes = options.readTunes ?? tuneMonitorReader();
  const n = frequencies.length;
  const qx = new Float64Array(n).fill(Number.NaN);
  const qy = new Float64Array(n).fill(Number.NaN);
  const rx = new Float64Array(n).fill(Number.NaN);
  const ry = new Float64Array(n).fill(Number.NaN);
  if (options.dir && existsSync(options.dir) && readdirSync(options.dir).length > 0) {
    throw new ChromaticityError(`${options.dir}: the scan directory exists and is not empty; a chromaticity scan needs a new directory`);
  }
  const prov = options.dir ? await provenance(acc) : undefined;

  await measure(acc, { name: 'chromaticity (RF scan)', drives: [rf], signal: options.signal, total: n, restoreOnSuccess: true }, async (ctx) => {
    const point = async (k: number): Promise<void> => {
      ctx.progress(k, `f = ${frequencies[k]} Hz`);
      await ctx.set(rf, frequencies[k], { units: 'physics' });
      await ctx.settle(rf);
      if ((options.settle ?? 0) > 0) await sleep(options.settle!, ctx.signal);
      const t = await readTunes(acc, ctx.signal);
      qx[k] = t.tunes[0];
      qy[k] = t.tunes[1];
      rx[k] = t.resolution[0];
      ry[k] = t.resolution[1];
      options.onPoint?.(k, n);
    };
    if (!options.dir) {
      for (let k = 0; k < n; k++) {
        ctx.signal.throwIfAborted();
        await point(k);
      }
      return;
    }
    const definition: ScanDefinition = {
      name: 'chromaticity',
      type: 'line',
      purpose: `chromaticity of ${acc.name} by an RF-frequency scan (${rf.name})`,
      author: measurementAuthor(options.author),
      parameters: [
        { name: 'rf_frequency', symbol: 'f_RF', unit: 'Hz', values: Array.from(frequencies), description: `${rf.name} ${rf.names[0]} setpoint` },
        { name: 'momentum_offset', symbol: 'delta', unit: '', values: Array.from(dp), description: 'momentum offset -(f - f0)/(f0 alpha_c)' },
      ],
      metrics: [
        { name: 'tune_x', unit: '', description: 'fractional horizontal tune' },
        { name: 'tune_y', unit: '', description: 'fractional vertical tune' },
        { name: 'tune_x_resolution', unit: '', description: 'resolution of tune_x (three standard errors)' },
        { name: 'tune_y_resolution', unit: '', description: 'resolution of tune_y (three standard errors)' },
      ],
      config: { fixedParameters: { rf_family: rf.name, rf_frequency_0: f0, momentum_compaction: alpha, fit_order: order } },
      provenance: prov,
    };
    await runScan(
      options.dir,
      definition,
      async (p) => {
        await point(p.index);
        return { tune_x: qx[p.index], tune_y: qy[p.index], tune_x_resolution: rx[p.index], tune_y_resolution: ry[p.index] };
      },
      { signal: ctx.signal, manifestIntervalMs: 60000 },
    );
    const failed = [...qx].findIndex((q) => !Number.isFinite(q));
    if (failed >= 0) throw new ChromaticityError(`chromaticity scan: point ${failed} (f = ${frequencies[failed]} Hz) failed; see ${options.dir}/scan_journal.jsonl`);
  });

  // Tunes unwrapped around the first point (a scan never moves a tune by half an integer).
  for (const q of [qx, qy]) for (let k = 1; k < n; k++) q[k] = q[0] + wrap(q[k] - q[0]);
  const sigma = (r: Float64Array) => Float64Array.from(r, (v) => v / 3);
  const fx = polyfit(dp, qx, order, sigma(rx));
  const fy = polyfit(dp, qy, order, sigma(ry));
  const result: ChromaticityMeasurement = {
    chromaticity: [fx.coefficients[1], fy.coefficients[1]],
    uncertainty: [fx.errors[1], fy.errors[1]],
    order,
    fits: { x: fx, y: fy },
    f0,
    momentumCompaction: alpha,
    frequencies,
    dp,
    tunes: { x: qx, y: qy },
    resolution: { x: rx, y: ry },
    ...(options.dir ? { dir: options.dir } : {}),
  };
  if (options.dir) {
    const method = `${order === 1 ? 'linear' : 'quadratic'} least-squares fit of the tune against the momentum offset`;
    await addAnalysis(options.dir, (['x', 'y'] as const).map((p, k) => ({
      name: `chromaticity_${p}`,
      method,
      value: result.chromaticity[k],
      uncertainty: result.uncertainty[k],
      unit: '',
      attributes: { independent_parameter: 'momentum_offset', dependent_metric: `tune_${p}`, fit_coefficients: Array.from(result.fits[p].coefficients), momentum_compaction: alpha },
    })));
  }
  return result;
}
