/**
 * Eigenvalues of a real 6x6 matrix (the one-turn matrix of a 6D ring).
 *
 * Aberth-Ehrlich iteration on f(l) = det(M - l I), with the Newton correction
 * f/f' = -1 / trace((M - l I)^-1) evaluated by a complex LU with partial pivoting
 * (backward stable: the eigenvalues are as accurate as the matrix allows, without
 * forming the characteristic polynomial). Update of root k:
 *   w = N_k / (1 - N_k sum_{j != k} 1/(l_k - l_j)),  l_k <- l_k - w.
 * Start: 6 points on a circle of radius 0.9 (the eigenvalues of a stable ring lie near |l| = 1).
 */
import { MlayerError } from '@mlayer/core';

export interface Eigen6 {
  readonly re: Float64Array;
  readonly im: Float64Array;
}

interface ComplexLu {
  readonly ar: Float64Array;
  readonly ai: Float64Array;
  readonly piv: Int32Array;
}

/** LU (partial pivoting) of M - l I for complex l; null when singular. */
function complexLu(M: ArrayLike<number>, lr: number, li: number): ComplexLu | null {
  const ar = new Float64Array(36), ai = new Float64Array(36);
  for (let k = 0; k < 36; k++) ar[k] = M[k];
  for (let k = 0; k < 6; k++) { ar[7 * k] -= lr; ai[7 * k] -= li; }
  const piv = new Int32Array(6);
  for (let c = 0; c < 6; c++) {
    let p = c, best = -1;
    for (let r = c; r < 6; r++) {
      const m = Math.hypot(ar[6 * r + c], ai[6 * r + c]);
      if (m > best) { best = m; p = r; }
    }
    if (best === 0) return null;
    piv[c] = p;
    if (p !== c) for (let k = 0; k < 6; k++) {
      let t = ar[6 * c + k]; ar[6 * c + k] = ar[6 * p + k]; ar[6 * p + k] = t;
      t = ai[6 * c + k]; ai[6 * c + k] = ai[6 * p + k]; ai[6 * p + k] = t;
    }
    const dr = ar[7 * c], di = ai[7 * c], dd = dr * dr + di * di;
    for (let r = c + 1; r < 6; r++) {
      const xr = ar[6 * r + c], xi = ai[6 * r + c];
      const fr = (xr * dr + xi * di) / dd, fi = (xi * dr - xr * di) / dd;
      ar[6 * r + c] = fr; ai[6 * r + c] = fi;
      for (let k = c + 1; k < 6; k++) {
        ar[6 * r + k] -= fr * ar[6 * c + k] - fi * ai[6 * c + k];
        ai[6 * r + k] -= fr * ai[6 * c + k] + fi * ar[6 * c + k];
      }
    }
  }
  return { ar, ai, piv };
}

/** Solves (M - l I) x = b in place (b = br + i bi) with the factors of complexLu. */
function complexSolve(f: ComplexLu, br: Float64Array, bi: Float64Array): void {
  const { ar, ai, piv } = f;
    for (let c = 0; c < 6; c++) {
      const p = piv[c];
      if (p !== c) {
        let t = br[c]; br[c] = br[p]; br[p] = t;
        t = bi[c]; bi[c] = bi[p]; bi[p] = t;
      }
    }
    for (let c = 0; c < 6; c++) {
      for (let r = c + 1; r < 6; r++) {
        const fr = ar[6 * r + c], fi = ai[6 * r + c];
        br[r] -= fr * br[c] - fi * bi[c];
        bi[r] -= fr * bi[c] + fi * br[c];
      }
    }
    for (let r = 5; r >= 0; r--) {
      let sr = br[r], si = bi[r];
      for (let k = r + 1; k < 6; k++) {
        sr -= ar[6 * r + k] * br[k] - ai[6 * r + k] * bi[k];
        si -= ar[6 * r + k] * bi[k] + ai[6 * r + k] * br[k];
      }
      const dr = ar[7 * r], di = ai[7 * r], dd = dr * dr + di * di;
      br[r] = (sr * dr + si * di) / dd;
      bi[r] = (si * dr - sr * di) / dd;
    }
}

/** trace((M - l I)^-1) for complex l; null when M - l I is singular. */
function traceInverse(M: ArrayLike<number>, lr: number, li: number): [number, number] | null {
  const f = complexLu(M, lr, li);
  if (!f) return null;
  let tr = 0, ti = 0;
  const br = new Float64Array(6), bi = new Float64Array(6);
  for (let e = 0; e < 6; e++) {
    br.fill(0); bi.fill(0); br[e] = 1;
    complexSolve(f, br, bi);
    tr += br[e]; ti += bi[e];
  }
  return [tr, ti];
}

/** Eigenvector of M for the eigenvalue l (inverse iteration, 3 steps), as [re, im]. */
export function eigenvector6(M: ArrayLike<number>, lr: number, li: number): [Float64Array, Float64Array] {
  const eps = 1e-11 * Math.hypot(lr, li);
  const f = complexLu(M, lr + eps, li + eps) ?? complexLu(M, lr + 2 * eps, li - eps);
  if (!f) throw new MlayerError('6x6 eigenvector: singular shifted matrix');
  const br = new Float64Array([1, 0.7, 0.4, 0.3, 0.2, 0.1]), bi = new Float64Array(6);
  for (let it = 0; it < 3; it++) {
    complexSolve(f, br, bi);
    let m = 0;
    for (let k = 0; k < 6; k++) m = Math.max(m, Math.hypot(br[k], bi[k]));
    for (let k = 0; k < 6; k++) { br[k] /= m; bi[k] /= m; }
  }
  return [br, bi];
}

/** Eigenvalues of a 6x6 row-major matrix. */
export function eigenvalues6(M: ArrayLike<number>): Eigen6 {
  const re = new Float64Array(6), im = new Float64Array(6);
  for (let k = 0; k < 6; k++) {
    const a = (2 * Math.PI * k) / 6 + 0.4;
    re[k] = 0.9 * Math.cos(a);
    im[k] = 0.9 * Math.sin(a);
  }
  for (let it = 0; it < 500; it++) {
    let moved = 0;
    for (let k = 0; k < 6; k++) {
      const t = traceInverse(M, re[k], im[k]);
      if (!t) continue; // exactly on an eigenvalue
      // N = -1/t
      const tt = t[0] * t[0] + t[1] * t[1];
      const nr = -t[0] / tt, ni = t[1] / tt;
      let sr = 0, si = 0;
      for (let j = 0; j < 6; j++) {
        if (j === k) continue;
        const dr = re[k] - re[j], di = im[k] - im[j], dd = dr * dr + di * di;
        sr += dr / dd; si -= di / dd;
      }
      // w = N / (1 - N s)
      const den_r = 1 - (nr * sr - ni * si), den_i = -(nr * si + ni * sr), dd = den_r * den_r + den_i * den_i;
      const wr = (nr * den_r + ni * den_i) / dd, wi = (ni * den_r - nr * den_i) / dd;
      re[k] -= wr; im[k] -= wi;
      moved = Math.max(moved, Math.hypot(wr, wi));
    }
    // Corrections at the rounding level of roots near |l| = 1 (they hover at ~1e-16 and never
    // reach 0; waiting for less ran all 500 iterations: 12 ms a matrix instead of 0.1 ms).
    if (moved < 1e-15) break;
  }
  // Newton polish of each root alone (Aberth can stall next to a converged neighbour),
  // until the step is below rounding or stops shrinking.
  for (let k = 0; k < 6; k++) {
    let last = Infinity;
    for (let it = 0; it < 60; it++) {
      const t = traceInverse(M, re[k], im[k]);
      if (!t) break;
      const tt = t[0] * t[0] + t[1] * t[1];
      const nr = -t[0] / tt, ni = t[1] / tt;
      const step = Math.hypot(nr, ni);
      if (step >= last && step < 1e-13) break;
      re[k] -= nr; im[k] -= ni;
      last = step;
      if (step < 1e-16) break;
    }
  }
  for (let k = 0; k < 6; k++) {
    if (!Number.isFinite(re[k]) || !Number.isFinite(im[k])) throw new MlayerError('6x6 eigenvalues: the iteration did not converge (non-finite matrix?)');
  }
  return { re, im };
}
