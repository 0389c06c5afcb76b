/**
 * Small dense linear algebra for response matrices: matrices are arrays of rows
 * (`Float64Array[]`), as the LatticeModel port returns them.
 */
import { TuningError } from './errors.js';

export type Matrix = Float64Array[];

export function zeros(rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, () => new Float64Array(cols));
}

export function shapeOf(a: Matrix): [number, number] {
  return [a.length, a.length > 0 ? a[0].length : 0];
}

export function transpose(a: Matrix): Matrix {
  const [m, n] = shapeOf(a);
  const t = zeros(n, m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j][i] = a[i][j];
  return t;
}

/** y = A x. */
export function matVec(a: Matrix, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const row = a[i];
    let s = 0;
    for (let j = 0; j < row.length; j++) s += row[j] * x[j];
    y[i] = s;
  }
  return y;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** Root mean square of the finite entries (NaN when there are none). */
export function rms(a: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isFinite(a[i])) {
      s += a[i] * a[i];
      n++;
    }
  }
  return n > 0 ? Math.sqrt(s / n) : Number.NaN;
}

/** A = U diag(s) Vᵀ with U (m×k), V (n×k), k = min(m, n), s descending. Columns of U and V are stored as rows of `u` and `v`. */
export interface Svd {
  readonly m: number;
  readonly n: number;
  /** Singular values, descending. */
  readonly s: Float64Array;
  /** Left singular vectors: u[i] is the i-th column of U (length m). */
  readonly u: Float64Array[];
  /** Right singular vectors: v[i] is the i-th column of V (length n). */
  readonly v: Float64Array[];
}

/**
 * Singular value decomposition by one-sided Jacobi rotations (Hestenes): accurate to
 * machine precision for the small relative singular values as well.
 */
export function svd(a: Matrix, options: { maxSweeps?: number } = {}): Svd {
  const [m, n] = shapeOf(a);
  for (const row of a) if (row.length !== n) throw new TuningError(`svd: rows of different lengths (${n} and ${row.length})`);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) if (!Number.isFinite(a[i][j])) throw new TuningError(`svd: entry [${i}][${j}] is ${a[i][j]}`);
  if (m < n) {
    const t = svd(transpose(a), options);
    return { m, n, s: t.s, u: t.v, v: t.u };
  }
  // Columns of A (length m) and of V (length n).
  const cols = Array.from({ length: n }, (_c, j) => Float64Array.from(a, (row) => row[j]));
  const vcols = Array.from({ length: n }, (_c, j) => {
    const e = new Float64Array(n);
    e[j] = 1;
    return e;
  });
  const eps = 2.220446049250313e-16;
  const maxSweeps = options.maxSweeps ?? 60;
  // Columns below this squared norm are numerically zero (rank deficiency): no rotation with them.
  let frob2 = 0;
  for (const c of cols) frob2 += dot(c, c);
  const tiny = eps * eps * frob2;
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const cp = cols[p];
        const cq = cols[q];
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += cp[i] * cp[i];
          beta += cq[i] * cq[i];
          gamma += cp[i] * cq[i];
        }
        if (gamma === 0 || alpha <= tiny || beta <= tiny || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = cp[i];
          const y = cq[i];
          cp[i] = c * x - s * y;
          cq[i] = s * x + c * y;
        }
        const vp = vcols[p];
        const vq = vcols[q];
        for (let i = 0; i < n; i++) {
          const x = vp[i];
          const y = vq[i];
          vp[i] = c * x - s * y;
          vq[i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  if (sweep === maxSweeps) throw new TuningError(`svd: no convergence after ${maxSweeps} sweeps (${m}×${n} matrix)`);
  const sv = cols.map((c) => norm(c));
  const order = sv.map((_s, j) => j).sort((i, j) => sv[j] - sv[i]);
  const s = Float64Array.from(order, (j) => sv[j]);
  const u = order.map((j) => (sv[j] > 0 ? cols[j].map((x) => x / sv[j]) : new Float64Array(m)));
  const v = order.map((j) => vcols[j]);
  return { m, n, s, u, v };
}

/**
 * Solves A x ≈ b in the least-squares sense from an SVD, with a filter factor per
 * singular value (1 keeps it, 0 drops it, s²/(s²+α²) for Tikhonov).
 */
export function svdSolve(d: Svd, b: ArrayLike<number>, filter: (s: number, i: number) => number): Float64Array {
  if (b.length !== d.m) throw new TuningError(`svdSolve: right-hand side has ${b.length} entries for ${d.m} rows`);
  const x = new Float64Array(d.n);
  for (let i = 0; i < d.s.length; i++) {
    const si = d.s[i];
    if (!(si > 0)) continue;
    const f = filter(si, i);
    if (f === 0) continue;
    const c = (f * dot(d.u[i], b)) / si;
    const vi = d.v[i];
    for (let j = 0; j < d.n; j++) x[j] += c * vi[j];
  }
  return x;
}

/** Minimum-norm least-squares solution of A x ≈ b (singular values below rcond·s_max dropped). */
export function lstsq(a: Matrix, b: ArrayLike<number>, rcond = 1e-12): Float64Array {
  const d = svd(a);
  const smax = d.s.length > 0 ? d.s[0] : 0;
  return svdSolve(d, b, (s) => (s > rcond * smax ? 1 : 0));
}
