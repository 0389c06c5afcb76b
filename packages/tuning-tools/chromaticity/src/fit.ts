/**
 * Least-squares polynomial fit y = c0 + c1 x + ... + cp x^p with the covariance
 * of the coefficients: weights 1/σ² where the points' standard errors are known;
 * the covariance is scaled by the reduced χ² when the scatter exceeds them
 * (and built from the scatter alone when they are not known).
 */
import { ChromaticityError } from './errors.js';

export interface PolyFit {
  readonly coefficients: Float64Array;
  /** Standard errors of the coefficients. */
  readonly errors: Float64Array;
  /** Rms of the residuals. */
  readonly residualRms: number;
}

/** Solves the symmetric positive definite system A x = b (small, Gauss–Jordan with pivoting); returns A⁻¹ as well. */
function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (!(Math.abs(m[p][c]) > 0)) throw new ChromaticityError('fit: the points do not determine the polynomial (too few distinct abscissae)');
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

export function polyfit(x: ArrayLike<number>, y: ArrayLike<number>, order: number, sigma?: ArrayLike<number>): PolyFit {
  const n = x.length;
  const p = order + 1;
  if (y.length !== n) throw new ChromaticityError(`fit: ${n} abscissae and ${y.length} values`);
  if (n < p) throw new ChromaticityError(`fit: a polynomial of order ${order} needs at least ${p} points (got ${n})`);
  const known = sigma !== undefined && Array.from(sigma).every((s) => s > 0);
  const w = Float64Array.from({ length: n }, (_, i) => (known ? 1 / sigma![i] ** 2 : 1));
  const ata = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const aty = new Array<number>(p).fill(0);
  for (let i = 0; i < n; i++) {
    const pw = Array.from({ length: p }, (_, k) => x[i] ** k);
    for (let r = 0; r < p; r++) {
      aty[r] += w[i] * pw[r] * y[i];
      for (let c = 0; c < p; c++) ata[r][c] += w[i] * pw[r] * pw[c];
    }
  }
  const inv = invert(ata);
  const coefficients = Float64Array.from(inv, (row) => row.reduce((s, v, k) => s + v * aty[k], 0));
  let chi2 = 0;
  let rss = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i] - coefficients.reduce((s, c, k) => s + c * x[i] ** k, 0);
    rss += r * r;
    chi2 += w[i] * r * r;
  }
  const dof = n - p;
  const scale = dof > 0 ? (known ? Math.max(1, chi2 / dof) : chi2 / dof) : known ? 1 : Number.NaN;
  const errors = Float64Array.from(inv, (row, k) => Math.sqrt(row[k] * scale));
  return { coefficients, errors, residualRms: Math.sqrt(rss / n) };
}
