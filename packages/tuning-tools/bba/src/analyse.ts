/**
 * BBA analysis (issue 21 item 3): for each BPM the induced orbit change
 * D = orbit(+Δk) − orbit(−Δk) against the paired BPM's reading x, a straight
 * line D = a + b x; BPMs whose slope is small against the largest, and outliers
 * of the per-BPM centres −a/b, are rejected. The centre is the slope-weighted
 * combination of the kept BPMs: y = Σ b_j D_j / Σ b_j² per step (each BPM weighted
 * by its slope, as the weighted mean of −a_j/b_j with weights b_j² is), fitted
 * against x; its 1σ is propagated from that fit's residuals, so the noise of the
 * paired BPM's own reading, common to every BPM, is counted once and not averaged away.
 */
import type { Plane } from './configure.js';
import type { BbaData, PairData } from './measure.js';

export interface LineFit {
  readonly a: number;
  readonly b: number;
  readonly varA: number;
  readonly varB: number;
  readonly covAB: number;
  /** Residual rms. */
  readonly rms: number;
  /** Points fitted. */
  readonly n: number;
}

/** Least-squares line y = a + b x with the covariance from the residual scatter (n − 2 degrees of freedom). */
export function fitLine(x: readonly number[], y: readonly number[]): LineFit {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
  }
  const b = sxy / sxx;
  const a = my - b * mx;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i] - a - b * x[i]) ** 2;
  const s2 = n > 2 ? ss / (n - 2) : Number.NaN;
  const varB = s2 / sxx;
  return { a, b, varB, varA: s2 * (1 / n + (mx * mx) / sxx), covAB: (-mx * s2) / sxx, rms: Math.sqrt(ss / n), n };
}

/**
 * The factor that makes a standard error estimated with ν degrees of freedom a 68.27 %
 * interval: Student's t quantile at 0.8413 (Cornish-Fisher about z = 1; ν = 1 exact).
 */
export function studentFactor(nu: number): number {
  if (!(nu >= 1)) return Number.NaN;
  if (nu < 2) return 1.8373;
  return 1 + 0.5 / nu + 0.25 / (nu * nu);
}

/** The zero crossing −a/b of a line and its propagated 1σ (a 68 % interval: the residual scatter's few degrees of freedom counted). */
export function zeroCrossing(f: LineFit): { centre: number; sigma: number } {
  const c = -f.a / f.b;
  const v = (f.varA + c * c * f.varB + 2 * c * f.covAB) / (f.b * f.b);
  return { centre: c, sigma: Math.sqrt(Math.max(v, 0)) * studentFactor(f.n - 2) };
}

export interface AnalyseOptions {
  /** BPMs with |slope| below this fraction of the largest are not used (default 0.2). */
  readonly minSlope?: number;
  /** Per-BPM centres farther than this many robust sigmas (1.4826 MAD) from their median are outliers (default 5). */
  readonly outlier?: number;
}

export interface BpmCentre {
  readonly name: string;
  readonly slope: number;
  readonly centre: number;
  readonly sigma: number;
  readonly used: boolean;
  readonly reason?: string;
}

export interface PairResult {
  readonly plane: Plane;
  readonly bpmFamily: string;
  readonly bpm: string;
  readonly quad: string;
  readonly corrector: string;
  /** The BPM reading (physics units, m) when the beam passes through the quadrupole's centre. */
  readonly offset: number;
  /** 1σ of the offset. */
  readonly sigma: number;
  readonly used: number;
  /** Every BPM's own fit (for plots and the file). */
  readonly bpms: readonly BpmCentre[];
  /** The paired BPM's reading per step and the combined induced change, and the combined line. */
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly fit: LineFit;
  /** An extra pair of PlanOptions.everyQuad (the BPM's offset for a quadrupole other than its nearest). */
  readonly extra?: boolean;
}

export interface BbaResult {
  readonly pairs: readonly PairResult[];
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The orbit each step's modulation induced, D = orbit(+Δk) − orbit(−Δk) per BPM; with keepTunes, less the compensating
 * families' own induced orbit (measured at the first and last steps, linear in the step index between them).
 */
export function inducedOrbits(d: PairData): number[][] {
  const c = d.compensationOrbits;
  const last = d.plus.length - 1;
  return d.plus.map((p, i) => {
    const f = !c || last === 0 ? 0 : (i - c.at[0]) / (c.at[1] - c.at[0]);
    return p.map((v, j) => {
      const comp = c ? (1 - f) * (c.plus[0][j] - c.minus[0][j]) + f * (c.plus[1][j] - c.minus[1][j]) : 0;
      return v - d.minus[i][j] - comp;
    });
  });
}

export function analysePair(d: PairData, options: AnalyseOptions = {}): PairResult {
  const minSlope = options.minSlope ?? 0.2;
  const outlier = options.outlier ?? 5;
  const steps = d.corrector.length;
  const x = d.plus.map((p, i) => (p[d.bpmIndex] + d.minus[i][d.bpmIndex]) / 2);
  const D = inducedOrbits(d);
  const nb = d.bpmNames.length;
  const fits = Array.from({ length: nb }, (_v, j) => {
    const col = D.map((row) => row[j]);
    if (col.some((v) => !Number.isFinite(v))) return undefined;
    return fitLine(x, col);
  });
  const maxSlope = Math.max(...fits.map((f) => (f ? Math.abs(f.b) : 0)));
  const bpms: BpmCentre[] = fits.map((f, j) => {
    const name = d.bpmNames[j];
    if (!f) return { name, slope: Number.NaN, centre: Number.NaN, sigma: Number.NaN, used: false, reason: 'missing readings' };
    const z = zeroCrossing(f);
    if (!(Math.abs(f.b) >= minSlope * maxSlope)) return { name, slope: f.b, ...z, used: false, reason: 'small slope' };
    return { name, slope: f.b, ...z, used: true };
  });
  const kept = bpms.filter((b) => b.used);
  if (kept.length >= 3) {
    const med = median(kept.map((b) => b.centre));
    const mad = 1.4826 * median(kept.map((b) => Math.abs(b.centre - med)));
    bpms.forEach((b, j) => {
      if (b.used && mad > 0 && Math.abs(b.centre - med) > outlier * Math.max(mad, b.sigma)) bpms[j] = { ...b, used: false, reason: 'outlier' };
    });
  }
  const use = bpms.map((b) => b.used);
  let norm = 0;
  bpms.forEach((b, j) => (norm += use[j] ? b.slope * b.slope : 0));
  const y = D.map((row) => row.reduce((s, v, j) => s + (use[j] ? bpms[j].slope * v : 0), 0) / norm);
  const fit = steps >= 2 && norm > 0 ? fitLine(x, y) : { a: Number.NaN, b: Number.NaN, varA: Number.NaN, varB: Number.NaN, covAB: Number.NaN, rms: Number.NaN, n: 0 };
  const z = zeroCrossing(fit);
  const p = d.pair;
  return { plane: p.plane, bpmFamily: p.bpm.family, bpm: p.bpm.name, quad: p.quad.name, corrector: p.corrector.name, offset: z.centre, sigma: z.sigma, used: use.filter(Boolean).length, bpms, x, y, fit, ...(p.extra ? { extra: true } : {}) };
}

export function analyseBba(data: BbaData, options: AnalyseOptions = {}): BbaResult {
  return { pairs: data.pairs.map((d) => analysePair(d, options)) };
}
