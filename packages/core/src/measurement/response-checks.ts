/**
 * Sanity checks of measured response columns (orbit, dispersion, tunes,
 * chromaticities): the + and − steps of a bipolar measurement must agree within
 * the noise (bipolar symmetry), and a column must look like the model's
 * (correlation and ratio) when a model is at hand. A failing column is measured
 * again a stated number of times, then flagged; every check is recorded.
 */
import { MlayerError } from '../errors.js';

export interface ResponseCheckOptions {
  /** Times a failing column is measured again before it is flagged (default 2). */
  readonly retries?: number;
  /** Asymmetry allowed beyond the noise, as a fraction of the column's rms response (default 0.05: curvature of the response). */
  readonly symmetryTolerance?: number;
  /** Noise multiple allowed for the asymmetry (default 4 standard errors, rms over the readings). */
  readonly noiseFactor?: number;
  /** Smallest correlation with the model column (default 0.9; vectors of one or two values use the cosine). */
  readonly minCorrelation?: number;
  /** Allowed range of the measured/model ratio (least-squares gain; default [0.5, 2]). */
  readonly ratioRange?: readonly [number, number];
  /** Smallest expected signal-to-noise ratio of a step (default 3): weaker steps are refused before anything is written. */
  readonly minSnr?: number;
}

export const RESPONSE_CHECK_DEFAULTS = {
  retries: 2,
  symmetryTolerance: 0.05,
  noiseFactor: 4,
  minCorrelation: 0.9,
  ratioRange: [0.5, 2] as readonly [number, number],
  minSnr: 3,
} as const;

/** The outcome of checking one measurement of one column. */
export interface ColumnCheck {
  /** What was stepped ('HCM SR01A-PC-HSTR-01', 'RF', 'Q1D'). */
  readonly column: string;
  /** 1 for the first measurement, 2 for the first retry, ... */
  readonly attempt: number;
  /** rms of (plus + minus − 2 base) over the readings, reading units. */
  readonly asymmetry: number;
  /** What the asymmetry may reach: noise × factor + tolerance × response. */
  readonly asymmetryBound: number;
  /** Correlation (or cosine) with the model column; undefined without a model. */
  readonly correlation?: number;
  /** Least-squares ratio measured / model; undefined without a model. */
  readonly ratio?: number;
  readonly passed: boolean;
  /** Why it failed, in words. */
  readonly reason?: string;
}

/** Counts over a measurement's checks, for its summary. */
export interface CheckSummary {
  readonly columns: number;
  /** Columns measured more than once. */
  readonly retried: number;
  /** Columns that still failed after the retries (kept, and named here). */
  readonly flagged: number;
  readonly flaggedColumns: readonly string[];
  readonly checks: readonly ColumnCheck[];
}

/** Settled check options (defaults applied, values checked). */
export function responseCheckOptions(o: ResponseCheckOptions = {}): Required<ResponseCheckOptions> {
  const r = { ...RESPONSE_CHECK_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as Required<ResponseCheckOptions>;
  if (!Number.isInteger(r.retries) || r.retries < 0) throw new MlayerError(`checks.retries must be an integer >= 0 (got ${r.retries})`);
  for (const k of ['symmetryTolerance', 'noiseFactor', 'minSnr'] as const) {
    if (!(r[k] >= 0) || !Number.isFinite(r[k])) throw new MlayerError(`checks.${k} must be a finite number >= 0 (got ${r[k]})`);
  }
  if (!(r.minCorrelation >= -1 && r.minCorrelation <= 1)) throw new MlayerError(`checks.minCorrelation must lie in [-1, 1] (got ${r.minCorrelation})`);
  const [lo, hi] = r.ratioRange;
  if (!(lo >= 0 && hi > lo) || !Number.isFinite(hi)) throw new MlayerError(`checks.ratioRange must be [min, max] with 0 <= min < max (got [${lo}, ${hi}])`);
  return r;
}

const finitePairs = (a: ArrayLike<number>, b: ArrayLike<number>): [number[], number[]] => {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) {
      x.push(a[i]);
      y.push(b[i]);
    }
  }
  return [x, y];
};

const rmsOf = (v: readonly number[]): number => (v.length > 0 ? Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length) : 0);

/** Correlation (Pearson for 3 values or more, the cosine below) and least-squares ratio of `measured` to `model`. */
export function compareWithModel(measured: ArrayLike<number>, model: ArrayLike<number>): { correlation: number; ratio: number } {
  const [m, r] = finitePairs(measured, model);
  const rr = r.reduce((s, v) => s + v * v, 0);
  const ratio = rr > 0 ? m.reduce((s, v, i) => s + v * r[i], 0) / rr : Number.NaN;
  let correlation: number;
  if (m.length >= 3) {
    const mm = m.reduce((s, v) => s + v, 0) / m.length;
    const rm = r.reduce((s, v) => s + v, 0) / r.length;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    m.forEach((v, i) => {
      sxy += (v - mm) * (r[i] - rm);
      sxx += (v - mm) ** 2;
      syy += (r[i] - rm) ** 2;
    });
    correlation = sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
  } else {
    const nm = Math.sqrt(m.reduce((s, v) => s + v * v, 0));
    correlation = nm > 0 && rr > 0 ? m.reduce((s, v, i) => s + v * r[i], 0) / (nm * Math.sqrt(rr)) : Number.NaN;
  }
  return { correlation, ratio };
}

export interface ColumnData {
  readonly column: string;
  readonly attempt: number;
  /** Readings at +step, at −step and at the starting point (same layout). */
  readonly plus: ArrayLike<number>;
  readonly minus: ArrayLike<number>;
  readonly base: ArrayLike<number>;
  /** Standard error of (plus + minus − 2 base) per reading. */
  readonly asymmetryStd: ArrayLike<number>;
  /** The measured column (response per unit step) and the model's, same layout; model undefined: not compared. */
  readonly measured: ArrayLike<number>;
  readonly model?: ArrayLike<number>;
}

/** Checks one measured column: bipolar symmetry within the noise, agreement with the model. */
export function checkColumn(d: ColumnData, options: Required<ResponseCheckOptions>): ColumnCheck {
  const s: number[] = [];
  const e: number[] = [];
  const diff: number[] = [];
  for (let i = 0; i < d.plus.length; i++) {
    const v = d.plus[i] + d.minus[i] - 2 * d.base[i];
    if (!Number.isFinite(v)) continue;
    s.push(v);
    e.push(Number.isFinite(d.asymmetryStd[i]) ? d.asymmetryStd[i] : 0);
    diff.push((d.plus[i] - d.minus[i]) / 2);
  }
  const asymmetry = rmsOf(s);
  const asymmetryBound = options.noiseFactor * rmsOf(e) + options.symmetryTolerance * rmsOf(diff) + 1e-12 * Math.max(0, ...diff.map(Math.abs));
  const reasons: string[] = [];
  if (!(asymmetry <= asymmetryBound)) reasons.push(`+ and − steps disagree: asymmetry ${asymmetry.toExponential(2)} > ${asymmetryBound.toExponential(2)} (noise and ${options.symmetryTolerance * 100}% of the response)`);
  let correlation: number | undefined;
  let ratio: number | undefined;
  if (d.model) {
    ({ correlation, ratio } = compareWithModel(d.measured, d.model));
    const [lo, hi] = options.ratioRange;
    if (!(correlation >= options.minCorrelation)) reasons.push(`correlation with the model ${correlation.toFixed(3)} < ${options.minCorrelation}`);
    if (!(ratio >= lo && ratio <= hi)) reasons.push(`ratio to the model ${ratio.toPrecision(3)} outside [${lo}, ${hi}]`);
  }
  return { column: d.column, attempt: d.attempt, asymmetry, asymmetryBound, correlation, ratio, passed: reasons.length === 0, reason: reasons.length > 0 ? reasons.join('; ') : undefined };
}

/** Summary of a list of checks (several attempts per column). */
export function summariseChecks(checks: readonly ColumnCheck[]): CheckSummary {
  const byColumn = new Map<string, ColumnCheck[]>();
  for (const c of checks) byColumn.set(c.column, [...(byColumn.get(c.column) ?? []), c]);
  let retried = 0;
  const flaggedColumns: string[] = [];
  for (const [name, list] of byColumn) {
    if (list.length > 1) retried++;
    if (!list[list.length - 1].passed) flaggedColumns.push(name);
  }
  return { columns: byColumn.size, retried, flagged: flaggedColumns.length, flaggedColumns, checks };
}

/** 'checks: 344 columns, 3 retried, 1 flagged (HCM X)': one line for a result summary. */
export function describeChecks(s: CheckSummary): string {
  return `checks: ${s.columns} column${s.columns === 1 ? '' : 's'}, ${s.retried} retried, ${s.flagged} flagged${s.flagged > 0 ? ` (${s.flaggedColumns.slice(0, 6).join(', ')}${s.flagged > 6 ? ', ...' : ''})` : ''}`;
}

/** A step too small for the noise, refused before anything is written. */
export class WeakStepError extends MlayerError {
  constructor(
    readonly column: string,
    readonly snr: number,
    readonly minSnr: number,
    detail: string,
  ) {
    super(`${column}: the step is refused, its expected signal-to-noise ratio is ${snr.toPrecision(2)} (< ${minSnr}): ${detail}; nothing was written`);
  }
}
