/**
 * Solvers of the weighted correction system A y ≈ b: truncated SVD, Tikhonov
 * regularisation and MICADO (best-corrector selection).
 */
import { TuningError } from './errors.js';
import { type Matrix, type Svd, dot, lstsq, norm, shapeOf, svd, svdSolve } from './linalg.js';

/** How the correction system is solved. */
export type CorrectionMethod =
  | {
      readonly type: 'svd';
      /** Keep at most this many singular values (largest first). */
      readonly singularValues?: number;
      /** Keep singular values s >= threshold * s_max (relative); default 1e-10 (numerical rank). */
      readonly threshold?: number;
    }
  | {
      readonly type: 'tikhonov';
      /** Regularisation parameter α (units of the singular values): filter s²/(s²+α²). */
      readonly alpha: number;
    }
  | {
      readonly type: 'micado';
      /** Number of correctors to select (MICADO iterations). */
      readonly correctors: number;
      /** Stop selecting when the next corrector lowers the residual norm by less than this fraction (default 0). */
      readonly tolerance?: number;
    };

export interface SolveResult {
  /** Solution of the (weighted) system. */
  readonly x: Float64Array;
  /** Singular values of the system (empty for MICADO). */
  readonly singularValues: Float64Array;
  /** Singular values kept (SVD), or correctors selected (MICADO), or all (Tikhonov). */
  readonly used: number;
  /** Columns chosen by MICADO, in the order they were selected. */
  readonly selected?: readonly number[];
}

/** Least-squares solution of A x ≈ b by the chosen method (`decomposition`: the SVD of A when known already). */
export function solveSystem(a: Matrix, b: ArrayLike<number>, method: CorrectionMethod, decomposition?: () => Svd): SolveResult {
  const [m, n] = shapeOf(a);
  if (b.length !== m) throw new TuningError(`correction system: ${b.length} orbit values for ${m} rows`);
  if (n === 0) throw new TuningError('correction system: no correctors to use');
  if (m === 0) throw new TuningError('correction system: no BPMs to use');
  switch (method.type) {
    case 'svd': {
      const d = decomposition ? decomposition() : svd(a);
      const smax = d.s[0] ?? 0;
      const thr = method.threshold ?? 1e-10;
      if (!(thr >= 0)) throw new TuningError(`svd threshold must be >= 0 (got ${method.threshold})`);
      const count = method.singularValues ?? d.s.length;
      if (!Number.isInteger(count) || count < 1) throw new TuningError(`number of singular values must be a positive integer (got ${method.singularValues})`);
      let used = 0;
      const x = svdSolve(d, b, (s, i) => {
        const keep = i < count && s >= thr * smax && s > 0;
        if (keep) used++;
        return keep ? 1 : 0;
      });
      return { x, singularValues: d.s, used };
    }
    case 'tikhonov': {
      if (!(method.alpha >= 0) || !Number.isFinite(method.alpha)) throw new TuningError(`Tikhonov alpha must be a finite number >= 0 (got ${method.alpha})`);
      const d = decomposition ? decomposition() : svd(a);
      const a2 = method.alpha * method.alpha;
      const x = svdSolve(d, b, (s) => (s * s) / (s * s + a2));
      return { x, singularValues: d.s, used: d.s.filter((s) => s > 0).length };
    }
    case 'micado':
      return micado(a, b, method.correctors, method.tolerance ?? 0);
    default:
      throw new TuningError(`unknown correction method ${JSON.stringify((method as { type?: unknown }).type)} (svd, tikhonov, micado)`);
  }
}

/**
 * MICADO: picks, one at a time, the column that lowers the least-squares residual
 * most given the columns already picked (Gram-Schmidt on the remaining columns),
 * then solves the least-squares problem on the picked columns.
 */
export function micado(a: Matrix, b: ArrayLike<number>, count: number, tolerance = 0): SolveResult {
  const [m, n] = shapeOf(a);
  if (!Number.isInteger(count) || count < 1) throw new TuningError(`MICADO needs a positive integer number of correctors (got ${count})`);
  const cols = Array.from({ length: n }, (_c, j) => Float64Array.from(a, (row) => row[j]));
  const r = Float64Array.from(b);
  const selected: number[] = [];
  const available = new Set(cols.map((_c, j) => j));
  // A column whose part orthogonal to the chosen ones is below 1e-3 of its norm (nearly a combination
  // of them, e.g. a corrector next to one already chosen) is not a candidate: it would need huge strengths.
  const original = cols.map((c) => dot(c, c));
  for (let k = 0; k < Math.min(count, n); k++) {
    let best = -1;
    let bestGain = 0;
    for (const j of available) {
      const c = cols[j];
      const cc = dot(c, c);
      if (!(cc > 1e-6 * original[j])) continue;
      const gain = dot(c, r) ** 2 / cc;
      if (gain > bestGain) {
        bestGain = gain;
        best = j;
      }
    }
    if (best < 0) break;
    const before = norm(r);
    if (selected.length > 0 && before > 0 && 1 - Math.sqrt(Math.max(0, before * before - bestGain)) / before < tolerance) break;
    selected.push(best);
    available.delete(best);
    // Orthonormalise the chosen column and remove it from the residual and the other columns.
    const q = cols[best];
    const qn = norm(q);
    for (let i = 0; i < m; i++) q[i] /= qn;
    const qr = dot(q, r);
    for (let i = 0; i < m; i++) r[i] -= qr * q[i];
    for (const j of available) {
      const c = cols[j];
      const qc = dot(q, c);
      for (let i = 0; i < m; i++) c[i] -= qc * q[i];
    }
  }
  if (selected.length === 0) throw new TuningError('MICADO: no corrector acts on the orbit');
  const sub = a.map((row) => Float64Array.from(selected, (j) => row[j]));
  const xs = lstsq(sub, b);
  const x = new Float64Array(n);
  selected.forEach((j, k) => (x[j] = xs[k]));
  return { x, singularValues: new Float64Array(0), used: selected.length, selected };
}
