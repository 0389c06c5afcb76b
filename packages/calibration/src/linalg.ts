/**
 * Small dense linear solves for combined-function magnets (a few rows and
 * columns), by ml-matrix's Householder QR: exact (square), least squares
 * (more rows than columns, min |A x − b|) and minimum norm (more columns than
 * rows: with Aᵀ = Q R, x = Q (Rᵀ)⁻¹ b is the solution of A x = b of least |x|).
 */
import { createRequire } from 'node:module';
import type { LuDecomposition, Matrix, QrDecomposition } from 'ml-matrix';

// ml-matrix is required when the first solver is built (its CommonJS build): a facility
// without combined-function magnets, or a command that does not build conversions, never loads it.
const require = createRequire(import.meta.url);
let mlMatrix: typeof import('ml-matrix') | undefined;
const ml = (): typeof import('ml-matrix') => (mlMatrix ??= require('ml-matrix') as typeof import('ml-matrix'));

/** Solver of A x = b for a fixed r×c matrix A: exact (square), least squares (r > c) or minimum norm (r < c). */
export class LinearSolver {
  readonly rows: number;
  readonly cols: number;
  private readonly qr: QrDecomposition;
  /** Minimum norm: Q of Aᵀ = Q R, and the LU of Rᵀ (lower triangular, square). */
  private readonly minNorm?: { readonly q: Matrix; readonly rt: LuDecomposition };

  /** Throws a RangeError when A does not have full rank (relative tolerance 1e-12 on R's diagonal). */
  constructor(a: readonly (readonly number[])[]) {
    this.rows = a.length;
    this.cols = a[0].length;
    const { LuDecomposition, Matrix, QrDecomposition } = ml();
    const m = new Matrix(a.map((row) => [...row]));
    const transposed = this.rows < this.cols;
    this.qr = new QrDecomposition(transposed ? m.transpose() : m);
    const r = this.qr.upperTriangularMatrix;
    const d = r.diag().map(Math.abs);
    const hi = Math.max(...d);
    if (hi === 0 || Math.min(...d) / hi < 1e-12) throw new RangeError('the matrix does not have full rank');
    if (transposed) this.minNorm = { q: this.qr.orthogonalMatrix, rt: new LuDecomposition(r.transpose()) };
  }

  solve(b: ArrayLike<number>): Float64Array {
    const rhs = ml().Matrix.columnVector(Array.from(b));
    if (!this.minNorm) return Float64Array.from(this.qr.solve(rhs).getColumn(0));
    return Float64Array.from(this.minNorm.q.mmul(this.minNorm.rt.solve(rhs)).getColumn(0));
  }
}
