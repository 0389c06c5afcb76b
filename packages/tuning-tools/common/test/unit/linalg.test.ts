import { describe, expect, it } from 'vitest';
import { TuningError, lstsq, matVec, pseudoInverse, solveTwoRows, svd, svdSolve, transpose, zeros, type Matrix } from '../../src/index.js';
import { gauss, randomMatrix, rng } from '../linear-fixtures.js';


describe('least squares and minimum norm from the SVD', () => {
  it('a wide system: lstsq gives the minimum-norm exact solution x = Aᵀ (A Aᵀ)⁻¹ b', () => {
    const a = randomMatrix(5, 9, 11);
    const b = Float64Array.from({ length: 5 }, rng(12));
    const x = lstsq(a, b);
    matVec(a, x).forEach((v, i) => expect(v).toBeCloseTo(b[i], 13));
    const aat = a.map((ri) => a.map((rj) => ri.reduce((s, v, k) => s + v * rj[k], 0)));
    const y = gauss(aat, Array.from(b));
    matVec(transpose(a), y).forEach((v, j) => expect(x[j]).toBeCloseTo(v, 12));
  });

  it('svdSolve applies the filter factor of each singular value; a dropped one adds nothing', () => {
    const a = randomMatrix(8, 4, 21);
    const d = svd(a);
    // b along the second left singular vector: only the second singular value acts.
    const b = d.u[1].map((v) => 3 * v);
    const x = svdSolve(d, b, () => 1);
    x.forEach((v, j) => expect(v).toBeCloseTo((3 / d.s[1]) * d.v[1][j], 12));
    expect(Math.max(...Array.from(svdSolve(d, b, (_s, i) => (i === 1 ? 0 : 1)), Math.abs))).toBeLessThan(1e-12);
    expect(() => svdSolve(d, new Float64Array(7), () => 1)).toThrow(/right-hand side has 7 entries for 8 rows/);
  });

  it('the SVD names a non-finite entry and rows of different lengths; a matrix without rows has no singular values', () => {
    const a = randomMatrix(3, 3, 5);
    a[1][2] = Number.NaN;
    expect(() => svd(a)).toThrow(TuningError);
    expect(() => svd(a)).toThrow(/svd: entry \[1\]\[2\] is NaN/);
    expect(() => svd([new Float64Array(3), new Float64Array(2)])).toThrow(/rows of different lengths \(3 and 2\)/);
    const e = svd(zeros(0, 4));
    expect(e.s).toHaveLength(0);
    expect(e.m).toBe(0);
  });
});

describe('two-row systems (tunes, chromaticities)', () => {
  it('solveTwoRows gives the minimum-norm solution the general SVD gives', () => {
    const r = randomMatrix(2, 5, 31);
    const b: [number, number] = [0.013, -0.021];
    const s = solveTwoRows([r[0], r[1]], b);
    expect(s.rank).toBe(2);
    const ref = lstsq(r, b);
    s.x.forEach((v, j) => expect(v).toBeCloseTo(ref[j], 13));
    const d = svd(r);
    expect(s.singularValues[0]).toBeCloseTo(d.s[0], 13);
    expect(s.singularValues[1]).toBeCloseTo(d.s[1], 13);
  });

  it('proportional rows keep one singular value; a zero response is refused', () => {
    const row = Float64Array.of(1, -2, 0.5);
    const s = solveTwoRows([row, row.map((v) => 2 * v)], [1, 2]);
    expect(s.rank).toBe(1);
    // The consistent right-hand side is reached exactly.
    const reached = row.reduce((acc, v, j) => acc + v * s.x[j], 0);
    expect(reached).toBeCloseTo(1, 13);
    expect(() => solveTwoRows([new Float64Array(3), new Float64Array(3)], [1, 1])).toThrow(/response matrix is zero/);
    expect(() => solveTwoRows([new Float64Array(3), new Float64Array(2)], [1, 1])).toThrow(/differ in length \(3, 2\)/);
  });
});

describe('pseudo-inverse', () => {
  it('meets the Moore–Penrose conditions on a rank-deficient matrix and solves as least squares of minimum norm', () => {
    const a = randomMatrix(9, 6, 51);
    for (const row of a) row[4] = row[1] - 3 * row[2]; // rank 5
    const p = pseudoInverse(a);
    expect([p.length, p[0].length]).toEqual([6, 9]);
    const mul = (x: Matrix, y: Matrix): Matrix => x.map((row) => Float64Array.from(y[0], (_v, j) => row.reduce((s, v, k) => s + v * y[k][j], 0)));
    const close = (x: Matrix, y: Matrix) => x.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - y[i][j])).toBeLessThan(1e-12)));
    close(mul(mul(a, p), a), a);
    close(mul(mul(p, a), p), p);
    // A A⁺ and A⁺ A are symmetric.
    const ap = mul(a, p);
    close(ap, transpose(ap));
    const pa = mul(p, a);
    close(pa, transpose(pa));
    const b = Float64Array.from({ length: 9 }, rng(52));
    const x = matVec(p, b);
    lstsq(a, b).forEach((v, j) => expect(x[j]).toBeCloseTo(v, 12));
  });

  it('rcond drops the small singular values; an empty matrix gives the empty transpose; a NaN is named', () => {
    const a = [Float64Array.of(1, 0), Float64Array.of(0, 1e-8)];
    expect(pseudoInverse(a)[1][1]).toBeCloseTo(1e8, 0);
    expect(pseudoInverse(a, 1e-6)[1][1]).toBe(0);
    expect(pseudoInverse(a, 1e-6)[0][0]).toBeCloseTo(1, 15);
    expect(pseudoInverse(zeros(0, 3))).toHaveLength(0);
    expect(() => pseudoInverse([Float64Array.of(1, Number.POSITIVE_INFINITY)])).toThrow(/pseudoInverse: entry \[0\]\[1\] is Infinity/);
    expect(() => pseudoInverse(a, -1)).toThrow(/rcond must be a finite number >= 0/);
  });
});
