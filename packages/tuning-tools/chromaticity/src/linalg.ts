/**
 * Minimum-norm solution of a 2 x n system R·x = b (two tunes or two
 * chromaticities, n >= 2 families): x = Rᵀ (R Rᵀ)⁺ b, with the pseudo-inverse
 * of the 2 x 2 matrix from its eigen-decomposition (singular values below
 * rcond times the largest are dropped).
 */
import { ChromaticityError } from './errors.js';

export interface TwoRowSolution {
  readonly x: Float64Array;
  /** Singular values of R. */
  readonly singularValues: readonly [number, number];
  /** Singular values kept. */
  readonly rank: number;
}

export function solveTwoRows(r: readonly [ArrayLike<number>, ArrayLike<number>], b: readonly [number, number], rcond = 1e-6): TwoRowSolution {
  const n = r[0].length;
  if (r[1].length !== n) throw new ChromaticityError(`response rows differ in length (${n}, ${r[1].length})`);
  if (n < 1) throw new ChromaticityError('the response has no columns (no families)');
  let a = 0, c = 0, d = 0;
  for (let j = 0; j < n; j++) {
    a += r[0][j] * r[0][j];
    c += r[0][j] * r[1][j];
    d += r[1][j] * r[1][j];
  }
  // Eigen-decomposition of the symmetric [[a, c], [c, d]].
  const tr = (a + d) / 2;
  const disc = Math.sqrt(((a - d) / 2) ** 2 + c * c);
  const l1 = tr + disc;
  const l2 = Math.max(0, tr - disc);
  let v1: [number, number];
  if (Math.abs(c) > 1e-300) v1 = [l1 - d, c];
  else v1 = a >= d ? [1, 0] : [0, 1];
  const norm = Math.hypot(v1[0], v1[1]);
  v1 = [v1[0] / norm, v1[1] / norm];
  const v2: [number, number] = [-v1[1], v1[0]];
  const s1 = Math.sqrt(l1);
  const s2 = Math.sqrt(l2);
  if (!(s1 > 0)) throw new ChromaticityError('the response matrix is zero: the families do not act on the quantity');
  let rank = 0;
  const y = [0, 0];
  for (const [l, s, v] of [[l1, s1, v1], [l2, s2, v2]] as const) {
    if (s <= rcond * s1) continue;
    rank++;
    const p = (v[0] * b[0] + v[1] * b[1]) / l;
    y[0] += p * v[0];
    y[1] += p * v[1];
  }
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) x[j] = r[0][j] * y[0] + r[1][j] * y[1];
  return { x, singularValues: [s1, s2], rank };
}
