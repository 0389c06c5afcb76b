/** The symmetric eigen-solver: A = Σ λ v vᵀ with orthonormal v, against ml-matrix's eigenvalues, on full-rank, rank-deficient and small matrices. */
import { describe, expect, it } from 'vitest';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { symmetricEigen } from '../../src/symmetric-eigen.js';
import { normals } from '../fixture.js';

/** Bᵀ B for an m×n B with normal entries: symmetric, rank min(m, n). */
function gram(m: number, n: number, seed: number): Float64Array[] {
  const normal = normals(seed);
  const b = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => normal()));
  return Array.from({ length: n }, (_v, i) => Float64Array.from({ length: n }, (_w, j) => b.reduce((s, row) => s + row[i] * row[j], 0)));
}

describe('symmetricEigen', () => {
  it.each([
    ['full rank 60', 80, 60],
    ['rank 20 of 50', 20, 50],
    ['1 x 1', 3, 1],
    ['2 x 2', 4, 2],
    ['3 x 3', 5, 3],
  ])('%s: reconstructs A, orthonormal vectors, ml-matrix eigenvalues', (_name, m, n) => {
    const a = gram(m, n, m * 100 + n);
    const { values, vectors } = symmetricEigen(a);
    const scale = Math.max(...values.map(Math.abs));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += values[k] * vectors[k][i] * vectors[k][j];
        expect(Math.abs(s - a[i][j])).toBeLessThan(1e-12 * scale);
        let o = 0;
        for (let t = 0; t < n; t++) o += vectors[i][t] * vectors[j][t];
        expect(Math.abs(o - (i === j ? 1 : 0))).toBeLessThan(1e-12);
      }
    }
    const ref = new EigenvalueDecomposition(new Matrix(a.map((r) => Array.from(r))), { assumeSymmetric: true }).realEigenvalues.sort((x, y) => x - y);
    const ours = Array.from(values).sort((x, y) => x - y);
    ours.forEach((v, k) => expect(Math.abs(v - ref[k])).toBeLessThan(1e-12 * scale));
  });

  it('a zero matrix and a diagonal one', () => {
    expect(Array.from(symmetricEigen([new Float64Array(2), new Float64Array(2)]).values)).toEqual([0, 0]);
    const r = symmetricEigen([Float64Array.of(3, 0, 0), Float64Array.of(0, 1, 0), Float64Array.of(0, 0, 2)]);
    expect(Array.from(r.values).sort()).toEqual([1, 2, 3]);
  });
});
