/**
 * Frequency analysis of turn-by-turn data: Hanning-windowed FFT for the coarse
 * peak, then NAFF-style refinement (the frequency that maximises the windowed
 * Fourier amplitude, found by golden-section search within one FFT bin).
 * Frequencies are in units of the revolution frequency (tune units), in [0, 0.5].
 */
import { TuneError } from './errors.js';

/** In-place radix-2 complex FFT (length a power of two). */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0 || n === 0) throw new TuneError(`fft: length ${n} is not a power of two (or re/im differ)`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** Periodic Hanning window of order 1 (NAFF's): w(n) = 1 - cos(2πn/N), mean 1. */
export function hanning(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => 1 - Math.cos((2 * Math.PI * k) / n));
}

/** The signal minus its mean, with the window applied. */
function prepared(signal: ArrayLike<number>, window: Float64Array): Float64Array {
  const n = signal.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += signal[k];
  mean /= n;
  return Float64Array.from({ length: n }, (_, k) => (signal[k] - mean) * window[k]);
}

/** |Σ y_k e^{-2πiνk}| / N · 2: the amplitude of a sinusoid of frequency ν in the windowed signal y. */
export function windowedAmplitude(y: Float64Array, nu: number): number {
  const w = 2 * Math.PI * nu;
  // Goertzel-like recurrence for the DFT at one (non-integer) frequency.
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let k = 0; k < y.length; k++) {
    const s0 = y[k] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.hypot(re, im)) / y.length;
}

export interface Spectrum {
  /** Frequencies (tune units, 0 to 0.5). */
  readonly frequency: Float64Array;
  /** Amplitude of the windowed signal (units of the signal). */
  readonly amplitude: Float64Array;
}

export interface PeakOptions {
  /** Search band [min, max] in tune units within [0, 0.5] (default [2/N, 0.5 - 1/N]: away from DC). */
  readonly band?: readonly [number, number];
  /** Zero-padding factor of the coarse FFT (default 4). */
  readonly padding?: number;
}

export interface Peak {
  /** Refined frequency in [0, 0.5]. */
  readonly frequency: number;
  /** Windowed Fourier amplitude at the refined frequency. */
  readonly amplitude: number;
  /** The coarse spectrum (for plots). */
  readonly spectrum: Spectrum;
}

/** The windowed amplitude spectrum of a signal (mean removed), zero-padded to a power of two. */
export function amplitudeSpectrum(signal: ArrayLike<number>, padding = 4): Spectrum {
  const n = signal.length;
  if (n < 8) throw new TuneError(`a spectrum needs at least 8 samples (got ${n})`);
  const y = prepared(signal, hanning(n));
  let m = 1;
  while (m < n * padding) m <<= 1;
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  re.set(y);
  fft(re, im);
  const half = m / 2 + 1;
  const frequency = new Float64Array(half);
  const amplitude = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    frequency[k] = k / m;
    amplitude[k] = (2 * Math.hypot(re[k], im[k])) / n;
  }
  return { frequency, amplitude };
}

/**
 * The main spectral line of a signal in a band: coarse FFT peak, then the
 * frequency maximising the windowed amplitude (golden section to 1e-12).
 */
export function findPeak(signal: ArrayLike<number>, options: PeakOptions = {}): Peak {
  const n = signal.length;
  for (let k = 0; k < n; k++) if (!Number.isFinite(signal[k])) throw new TuneError(`the signal has a non-finite sample at turn ${k} (beam lost or BPM fault)`);
  const spectrum = amplitudeSpectrum(signal, options.padding ?? 4);
  const [lo, hi] = options.band ?? [2 / n, 0.5 - 1 / n];
  if (!(lo >= 0 && hi <= 0.5 && lo < hi)) throw new TuneError(`peak search band [${lo}, ${hi}] is not within [0, 0.5]`);
  let best = -1;
  for (let k = 0; k < spectrum.frequency.length; k++) {
    const f = spectrum.frequency[k];
    if (f < lo || f > hi) continue;
    if (best < 0 || spectrum.amplitude[k] > spectrum.amplitude[best]) best = k;
  }
  if (best < 0) throw new TuneError(`no spectral line in the band [${lo}, ${hi}] (${n} turns)`);
  const y = prepared(signal, hanning(n));
  const step = spectrum.frequency[1];
  let a = Math.max(lo, spectrum.frequency[best] - step);
  let b = Math.min(hi, spectrum.frequency[best] + step);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = b - g * (b - a);
  let x2 = a + g * (b - a);
  let f1 = windowedAmplitude(y, x1);
  let f2 = windowedAmplitude(y, x2);
  while (b - a > 1e-12) {
    if (f1 < f2) {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      f2 = windowedAmplitude(y, x2);
    } else {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      f1 = windowedAmplitude(y, x1);
    }
  }
  const frequency = (a + b) / 2;
  return { frequency, amplitude: windowedAmplitude(y, frequency), spectrum };
}

/**
 * Standard uncertainty of the frequency of a sinusoid of amplitude A in white
 * noise σ over N turns (the Cramér–Rao bound, σ_ν = √6·σ / (π·A·N^{3/2}) for
 * a real signal), times 1.2 for the Hanning window's loss of efficiency.
 */
export function frequencyUncertainty(amplitude: number, noise: number, turns: number): number {
  return (1.2 * Math.sqrt(6) * noise) / (Math.PI * amplitude * turns ** 1.5);
}
