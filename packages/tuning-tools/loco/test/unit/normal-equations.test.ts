/**
 * The structured normal equations equal the dense Jᵀ W² J and Jᵀ W² e built
 * from the explicit Jacobian (random data, entries left out, NaN where left out).
 */
import { describe, expect, it } from 'vitest';
import { buildNormalEquations, type ColumnParameter, type RowParameter } from '../../src/index.js';
import { normals } from '../fixture.js';

describe('buildNormalEquations', () => {
  it.each([
    [7, 5, 3],
    [60, 50, 4],
  ])('equals the dense product of the explicit Jacobian (%i rows, %i columns, %i dense parameters)', (R, C, pd) => {
    const normal = normals(3);
    const N = R * C;
    const weights = Float64Array.from({ length: N }, (_v, i) => (i % 6 === 2 ? 0 : 0.5 + Math.abs(normal())));
    const residual = Float64Array.from({ length: N }, (_v, i) => (weights[i] === 0 ? Number.NaN : normal()));
    const dense = Array.from({ length: pd }, () => Float64Array.from({ length: N }, () => normal()));
    const rows: RowParameter[] = [0, 3, 3, 6].map((row) => ({ row, a: Float64Array.from({ length: C }, () => normal()) }));
    const columns: ColumnParameter[] = [1, 1, 4, 0].map((column) => ({ column, b: Float64Array.from({ length: R }, () => normal()) }));
    const ne = buildNormalEquations({ rows: R, columns: C, weights, residual, dense, rowParameters: rows, columnParameters: columns });
    // Explicit Jacobian: one row per datum (r, j), at index j·R + r.
    const P = dense.length + rows.length + columns.length;
    const J = Array.from({ length: N }, () => new Float64Array(P));
    for (let j = 0; j < C; j++) {
      for (let r = 0; r < R; r++) {
        const i = j * R + r;
        dense.forEach((d, k) => (J[i][k] = d[i]));
        rows.forEach((p, k) => (J[i][dense.length + k] = p.row === r ? p.a[j] : 0));
        columns.forEach((q, k) => (J[i][dense.length + rows.length + k] = q.column === j ? q.b[r] : 0));
      }
    }
    let scale = 0;
    for (let k = 0; k < P; k++) {
      for (let l = 0; l < P; l++) {
        let s = 0;
        for (let i = 0; i < N; i++) if (weights[i] !== 0) s += weights[i] ** 2 * J[i][k] * J[i][l];
        expect(ne.a[k][l]).toBeCloseTo(s, 10);
        scale = Math.max(scale, Math.abs(s));
      }
      let g = 0;
      for (let i = 0; i < N; i++) if (weights[i] !== 0) g += weights[i] ** 2 * J[i][k] * residual[i];
      expect(ne.g[k]).toBeCloseTo(g, 10);
    }
    expect(scale).toBeGreaterThan(1);
    // Two parameters on different rows do not couple.
    expect(ne.a[pd][pd + 3]).toBe(0);
  });
});
