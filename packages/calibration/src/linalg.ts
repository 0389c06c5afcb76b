/**
 * Small dense linear solves for combined-function magnets (a few rows and
 * columns): Householder QR for exact, least-squares and minimum-norm solutions.
 */

/** Householder QR of an r×c matrix (r >= c), stored compactly. */
class HouseholderQR {
  readonly rows: number;
  readonly cols: number;
  private readonly qr: Float64Array[];
  private readonly rdiag: Float64Array;

  constructor(a: readonly (readonly number[])[]) {
    this.rows = a.length;
    this.cols = a[0].length;
    const m = this.rows;
    const n = this.cols;
    this.qr = a.map((row) => Float64Array.from(row));
    this.rdiag = new Float64Array(n);
    const qr = this.qr;
    for (let k = 0; k < n; k++) {
      let nrm = 0;
      for (let i = k; i < m; i++) nrm = Math.hypot(nrm, qr[i][k]);
      if (nrm !== 0) {
        if (qr[k][k] < 0) nrm = -nrm;
        for (let i = k; i < m; i++) qr[i][k] /= nrm;
        qr[k][k] += 1;
        for (let j = k + 1; j < n; j++) {
          let s = 0;
          for (let i = k; i < m; i++) s += qr[i][k] * qr[i][j];
          s = -s / qr[k][k];
          for (let i = k; i < m; i++) qr[i][j] += s * qr[i][k];
        }
      }
      this.rdiag[k] = -nrm;
    }
  }

  /** min |R_kk| / max |R_kk|: 0 for a rank-deficient matrix. */
  rankRatio(): number {
    let lo = Infinity;
    let hi = 0;
    for (const d of this.rdiag) {
      lo = Math.min(lo, Math.abs(d));
      hi = Math.max(hi, Math.abs(d));
    }
    return hi === 0 ? 0 : lo / hi;
  }

  /** Qᵀ b (length rows). */
  private applyQt(b: ArrayLike<number>): Float64Array {
    const x = Float64Array.from(b);
    const qr = this.qr;
    for (let k = 0; k < this.cols; k++) {
      if (qr[k][k] === 0) continue;
      let s = 0;
      for (let i = k; i < this.rows; i++) s += qr[i][k] * x[i];
      s = -s / qr[k][k];
      for (let i = k; i < this.rows; i++) x[i] += s * qr[i][k];
    }
    return x;
  }

  /** Q y for y of length cols (padded with zeros). */
  private applyQ(y: ArrayLike<number>): Float64Array {
    const x = new Float64Array(this.rows);
    for (let i = 0; i < y.length; i++) x[i] = y[i];
    const qr = this.qr;
    for (let k = this.cols - 1; k >= 0; k--) {
      if (qr[k][k] === 0) continue;
      let s = 0;
      for (let i = k; i < this.rows; i++) s += qr[i][k] * x[i];
      s = -s / qr[k][k];
      for (let i = k; i < this.rows; i++) x[i] += s * qr[i][k];
    }
    return x;
  }

  /** Least-squares solution of A x = b. */
  solveLeastSquares(b: ArrayLike<number>): Float64Array {
    const y = this.applyQt(b);
    const n = this.cols;
    const x = new Float64Array(n);
    for (let k = n - 1; k >= 0; k--) {
      let s = y[k];
      for (let j = k + 1; j < n; j++) s -= this.qr[k][j] * x[j];
      x[k] = s / this.rdiag[k];
    }
    return x;
  }

  /** Minimum-norm solution of Aᵀ x = b where this is the QR of A (A: rows×cols, rows >= cols). */
  solveTransposedMinNorm(b: ArrayLike<number>): Float64Array {
    // Aᵀ = Rᵀ Qᵀ  →  x = Q (Rᵀ)^-1 b
    const n = this.cols;
    const z = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let s = b[k];
      for (let j = 0; j < k; j++) s -= this.qr[j][k] * z[j];
      z[k] = s / this.rdiag[k];
    }
    return this.applyQ(z);
  }
}

/** Solver of A x = b for a fixed r×c matrix A: exact (square), least squares (r > c) or minimum norm (r < c). */
export class LinearSolver {
  readonly rows: number;
  readonly cols: number;
  private readonly qr: HouseholderQR;
  private readonly transposed: boolean;

  /** Throws a RangeError when A does not have full rank (relative tolerance 1e-12 on R's diagonal). */
  constructor(a: readonly (readonly number[])[]) {
    this.rows = a.length;
    this.cols = a[0].length;
    this.transposed = this.rows < this.cols;
    const m = this.transposed ? a[0].map((_, j) => a.map((row) => row[j])) : a;
    this.qr = new HouseholderQR(m);
    if (this.qr.rankRatio() < 1e-12) throw new RangeError('the matrix does not have full rank');
  }

  solve(b: ArrayLike<number>): Float64Array {
    return this.transposed ? this.qr.solveTransposedMinNorm(b) : this.qr.solveLeastSquares(b);
  }
}
