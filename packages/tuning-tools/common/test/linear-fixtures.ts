import { zeros, type Matrix } from '../src/index.js';

/** Deterministic pseudo-random numbers in [-0.5, 0.5). */
export function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
}
export function randomMatrix(m: number, n: number, seed: number): Matrix {
  const r = rng(seed);
  const a = zeros(m, n);
  for (const row of a) for (let j = 0; j < n; j++) row[j] = r();
  return a;
}
/** Solves the square system by Gaussian elimination with partial pivoting (independent of the SVD). */
export function gauss(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}
