/**
 * Dense linear algebra for response matrices: matrices are arrays of rows
 * (`Float64Array[]`), as the LatticeModel port returns them. The decompositions
 * come from ml-matrix; the small helpers (products, norms) stay here, on the
 * arrays the tools hold.
 */
import { Matrix as MlMatrix, SingularValueDecomposition, pseudoInverse as mlPseudoInverse } from 'ml-matrix';
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

/** Shape of a matrix whose rows have one length and whose entries are finite (else an error naming the entry). */
function checkEntries(a: Matrix, what: string): [number, number] {
  const [m, n] = shapeOf(a);
  for (const row of a) if (row.length !== n) throw new TuningError(`${what}: rows of different lengths (${n} and ${row.length})`);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) if (!Number.isFinite(a[i][j])) throw new TuningError(`${what}: entry [${i}][${j}] is ${a[i][j]}`);
  return [m, n];
}

/**
 * Singular value decomposition by ml-matrix (Golub–Kahan–Reinsch bidiagonalisation
 * with implicit-shift QR, as LAPACK's dgesvd and JAMA): singular values accurate to
 * machine precision relative to the largest; a wide matrix is decomposed through
 * its transpose.
 */
export function svd(a: Matrix): Svd {
  const [m, n] = checkEntries(a, 'svd');
  if (m === 0 || n === 0) return { m, n, s: new Float64Array(0), u: [], v: [] };
  const d = new SingularValueDecomposition(new MlMatrix(a), { autoTranspose: true });
  const k = Math.min(m, n);
  const s = Float64Array.from(d.diagonal.slice(0, k), (x) => Math.max(0, x));
  const columns = (x: MlMatrix): Float64Array[] => Array.from({ length: k }, (_c, j) => Float64Array.from(x.getColumn(j)));
  return { m, n, s, u: columns(d.leftSingularVectors), v: columns(d.rightSingularVectors) };
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

/**
 * Moore–Penrose pseudo-inverse A⁺ (n×m) by ml-matrix: singular values at or below
 * rcond·s_max are dropped (default rcond: max(m, n)·ε, as LAPACK and numpy).
 */
export function pseudoInverse(a: Matrix, rcond?: number): Matrix {
  const [m, n] = checkEntries(a, 'pseudoInverse');
  if (m === 0 || n === 0) return zeros(n, m);
  if (rcond !== undefined && !(rcond >= 0 && Number.isFinite(rcond))) throw new TuningError(`pseudoInverse: rcond must be a finite number >= 0 (got ${rcond})`);
  // ml-matrix drops s <= threshold · max(m, n) · s_max.
  const p = mlPseudoInverse(new MlMatrix(a), rcond === undefined ? Number.EPSILON : rcond / Math.max(m, n));
  return Array.from({ length: n }, (_r, i) => Float64Array.from(p.getRow(i)));
}
