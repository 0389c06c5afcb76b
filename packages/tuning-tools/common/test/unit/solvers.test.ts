import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDataDir } from '@mlayer/core/testing';
import { cachedSvd, micado, solveSystem, svd, zeros, type Matrix } from '../../src/index.js';
import { gauss, randomMatrix, rng } from '../linear-fixtures.js';

const thomxOrm = () => JSON.parse(readFileSync(join(sharedDataDir(), 'lattices/thomx/thomx_orm.json'), 'utf8'));

/** (AᵀA + α² I) x = Aᵀ b. */
function normalEquations(a: Matrix, b: ArrayLike<number>, alpha: number): number[] {
  const n = a[0].length;
  const AtA = Array.from({ length: n }, (_r, i) => Array.from({ length: n }, (_c, j) => a.reduce((s, row) => s + row[i] * row[j], 0) + (i === j ? alpha * alpha : 0)));
  const Atb = Array.from({ length: n }, (_r, i) => a.reduce((s, row, k) => s + row[i] * b[k], 0));
  return gauss(AtA, Atb);
}

describe('linear algebra', () => {
  it('the SVD reconstructs the matrix and has orthonormal vectors (tall, wide, rank-deficient, the ThomX ORM)', () => {
    const orm: number[][] = thomxOrm()['Rxx_h1e-7'];
    const thomx = orm.map((r) => Float64Array.from(r));
    const deficient = randomMatrix(10, 6, 3);
    for (const row of deficient) row[5] = row[0] + 2 * row[1]; // rank 5
    for (const a of [randomMatrix(9, 4, 1), randomMatrix(4, 9, 2), deficient, thomx]) {
      const d = svd(a);
      const scale = d.s[0];
      a.forEach((row, i) =>
        row.forEach((v, j) => {
          let s = 0;
          for (let k = 0; k < d.s.length; k++) s += d.u[k][i] * d.s[k] * d.v[k][j];
          expect(Math.abs(s - v)).toBeLessThan(1e-13 * scale);
        }),
      );
      for (let k = 1; k < d.s.length; k++) expect(d.s[k]).toBeLessThanOrEqual(d.s[k - 1]);
      for (let k = 0; k < d.s.length; k++) {
        const vv = d.v[k].reduce((s, x) => s + x * x, 0);
        expect(vv).toBeCloseTo(1, 12);
        if (k > 0) expect(Math.abs(d.v[k].reduce((s, x, i) => s + x * d.v[0][i], 0))).toBeLessThan(1e-12);
      }
    }
    // ThomX: the 12 pairs of adjacent correctors leave 12 numerically zero singular values.
    const s = svd(thomx).s;
    expect(s.filter((x) => x > 1e-10 * s[0])).toHaveLength(12);
    // The rank-deficient matrix has one zero singular value.
    expect(svd(deficient).s[5]).toBeLessThan(1e-14);
  });

  it('truncated SVD and Tikhonov agree with the normal equations; MICADO finds the correctors that made the orbit', () => {
    const a = randomMatrix(12, 6, 7);
    const b = Float64Array.from({ length: 12 }, rng(9));
    // Full SVD = least squares = normal equations with α = 0.
    const ls = normalEquations(a, b, 0);
    const full = solveSystem(a, b, { type: 'svd' });
    full.x.forEach((v, j) => expect(v).toBeCloseTo(ls[j], 12));
    expect(full.used).toBe(6);
    for (const alpha of [0.05, 0.3, 2]) {
      const ref = normalEquations(a, b, alpha);
      solveSystem(a, b, { type: 'tikhonov', alpha }).x.forEach((v, j) => expect(v).toBeCloseTo(ref[j], 12));
    }
    // A cut keeps the largest singular values only: by count or by threshold.
    const d = svd(a);
    expect(solveSystem(a, b, { type: 'svd', singularValues: 3 }).used).toBe(3);
    expect(solveSystem(a, b, { type: 'svd', threshold: (d.s[2] + d.s[3]) / 2 / d.s[0] }).used).toBe(3);
    expect(() => solveSystem(a, b, { type: 'svd', singularValues: 0 })).toThrow(/positive integer/);
    // MICADO: an orbit made by columns 1 and 4 is found with two correctors, exactly.
    const made = a.map((row) => 0.7 * row[1] - 1.3 * row[4]);
    const m = micado(a, made, 2);
    expect([...m.selected!].sort()).toEqual([1, 4]);
    expect(m.x[1]).toBeCloseTo(0.7, 12);
    expect(m.x[4]).toBeCloseTo(-1.3, 12);
    expect(m.x.filter((v) => v !== 0)).toHaveLength(2);
  });
});

describe('SVD cache', () => {
  it('decomposes once per owner and key, and the cached SVD solves as a fresh one', () => {
    const a = randomMatrix(7, 4, 41);
    const owner = {};
    const first = cachedSvd(owner, 'k', a)();
    expect(cachedSvd(owner, 'k', a)()).toBe(first);
    expect(cachedSvd(owner, 'other', a)()).not.toBe(first);
    expect(cachedSvd({}, 'k', a)()).not.toBe(first);
    const b = Float64Array.from({ length: 7 }, rng(42));
    const cached = solveSystem(a, b, { type: 'tikhonov', alpha: 0.1 }, cachedSvd(owner, 'k', a));
    const fresh = solveSystem(a, b, { type: 'tikhonov', alpha: 0.1 });
    cached.x.forEach((v, j) => expect(v).toBe(fresh.x[j]));
  });
});
