/**
 * Tune of one plane from the turn-by-turn buffers of several BPMs: the main line
 * of each buffer (spectrum.ts), folded to the chosen side of the half integer,
 * combined over the BPMs with an uncertainty.
 */
import { TuneError } from './errors.js';
import { type Spectrum, findPeak, frequencyUncertainty, windowedAmplitude, hanning } from './spectrum.js';

/** Which side of the half integer the fractional tune lies on (the spectrum of real data only shows [0, 0.5]). */
export type HalfSide = 'below' | 'above';

export interface TbtAnalysisOptions {
  /** Side of the half integer of the fractional tune. */
  readonly side: HalfSide;
  /** Search band in folded tune units (within [0, 0.5]). */
  readonly band?: readonly [number, number];
  /** Leave out BPMs whose line amplitude is below this fraction of the largest (default 0.1). */
  readonly minRelativeAmplitude?: number;
}

export interface PlaneTune {
  /** Fractional tune in [0, 1). */
  readonly tune: number;
  /**
   * Resolution: three standard errors of the combined tune (the larger of the
   * spread over the BPMs and the noise bound of the line fits).
   */
  readonly resolution: number;
  /** Fractional tune per BPM (NaN where the BPM was left out). */
  readonly perBpm: Float64Array;
  /** Line amplitude per BPM (units of the buffers). */
  readonly amplitude: Float64Array;
  /** Spectrum of the BPM with the largest line (for plots). */
  readonly spectrum: Spectrum;
  readonly turns: number;
  /** BPMs used. */
  readonly used: number;
}

/** Rms of the signal left after removing the mean and the fitted line at frequency nu (windowed least squares, a noise estimate). */
function residualRms(signal: ArrayLike<number>, nu: number): number {
  const n = signal.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += signal[k];
  mean /= n;
  // Line fit over short blocks follows a decohering amplitude; the residual is mostly noise.
  const block = Math.min(n, 64);
  let ss = 0;
  let count = 0;
  for (let start = 0; start + block <= n; start += block) {
    let scc = 0, sss = 0, scs = 0, syc = 0, sys = 0;
    for (let k = start; k < start + block; k++) {
      const c = Math.cos(2 * Math.PI * nu * k);
      const s = Math.sin(2 * Math.PI * nu * k);
      const y = signal[k] - mean;
      scc += c * c; sss += s * s; scs += c * s; syc += y * c; sys += y * s;
    }
    const det = scc * sss - scs * scs;
    const a = (syc * sss - sys * scs) / det;
    const b = (sys * scc - syc * scs) / det;
    for (let k = start; k < start + block; k++) {
      const r = signal[k] - mean - a * Math.cos(2 * Math.PI * nu * k) - b * Math.sin(2 * Math.PI * nu * k);
      ss += r * r;
      count++;
    }
  }
  return Math.sqrt(ss / Math.max(1, count - 3 * Math.floor(n / block)));
}

/** The tune of one plane from the buffers of its BPMs (one buffer per BPM, same number of turns). */
export function analysePlane(buffers: readonly ArrayLike<number>[], options: TbtAnalysisOptions): PlaneTune {
  if (buffers.length === 0) throw new TuneError('turn-by-turn analysis: no BPM buffers');
  const turns = buffers[0].length;
  if (buffers.some((b) => b.length !== turns)) throw new TuneError(`turn-by-turn analysis: buffers of different lengths (${buffers.map((b) => b.length).join(', ')})`);
  const peaks = buffers.map((b, i) => {
    try {
      return findPeak(b, { band: options.band });
    } catch (e) {
      throw new TuneError(`turn-by-turn analysis: BPM ${i}: ${(e as Error).message}`, { cause: e });
    }
  });
  const amplitude = Float64Array.from(peaks, (p) => p.amplitude);
  const largest = Math.max(...amplitude);
  if (!(largest > 0)) throw new TuneError('turn-by-turn analysis: no oscillation in any BPM buffer (did the kicker fire?)');
  const minRel = options.minRelativeAmplitude ?? 0.1;
  const used = peaks.map((p) => p.amplitude >= minRel * largest);
  const folded = peaks.map((p) => p.frequency);
  const unfold = (f: number) => (options.side === 'above' ? 1 - f : f);
  const perBpm = Float64Array.from(folded, (f, i) => (used[i] ? unfold(f) : Number.NaN));
  // Weighted by the squared line amplitude (the inverse variance of each frequency for equal noise).
  let sw = 0;
  let sf = 0;
  let bound = 0;
  folded.forEach((f, i) => {
    if (!used[i]) return;
    const w = amplitude[i] ** 2;
    sw += w;
    sf += w * f;
  });
  const mean = sf / sw;
  const k = used.filter(Boolean).length;
  let spread = 0;
  folded.forEach((f, i) => {
    if (!used[i]) return;
    spread += (amplitude[i] ** 2 / sw) * (f - mean) ** 2;
    const sigma = frequencyUncertainty(amplitude[i], residualRms(buffers[i], f), turns);
    bound += (amplitude[i] ** 2 / sw) ** 2 * sigma ** 2;
  });
  // Standard error of a weighted mean from the scatter (effective number of BPMs).
  const neff = sw ** 2 / folded.reduce((s, _f, i) => s + (used[i] ? amplitude[i] ** 4 : 0), 0);
  const scatter = k > 1 ? Math.sqrt((spread * neff) / (neff - 1) / neff) : 0;
  const resolution = 3 * Math.max(scatter, Math.sqrt(bound));
  const best = amplitude.indexOf(largest);
  return { tune: unfold(mean), resolution, perBpm, amplitude, spectrum: peaks[best].spectrum, turns, used: k };
}

/** Re-exported for callers that want the amplitude of a given line. */
export function lineAmplitude(signal: ArrayLike<number>, nu: number): number {
  const n = signal.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += signal[k];
  mean /= n;
  const w = hanning(n);
  return windowedAmplitude(Float64Array.from({ length: n }, (_, k) => (signal[k] - mean) * w[k]), nu);
}
