/**
 * 6D linear optics (pyAT linopt6 on a 6D lattice): normal modes of the 6x6 one-turn matrix M
 * around the 6D closed orbit.
 *
 *   A0: columns (Re v_k, Im v_k) of the eigenvectors of M, k = x, y, z modes (as ringParameters6),
 *       each v_k taken with n_k = -i/2 v^H S' v > 0 and divided by sqrt(n_k) (S' the symplectic
 *       form with the longitudinal block transposed)
 *   at position s: A_s = M(0->s) A0 (M(0->s) by central differences, XYStep / DPStep),
 *   mode matrices (Wolski; pyAT get_mode_matrices, valid with damping):
 *       R_k = [A_s T]_k [A_s^-1 S^T]_k,  T = blockdiag(J, J, J^T), S = blockdiag(J, J, J)
 *   beta = (R1[0,0], R2[2,2]), alpha = (-R1[1,0], -R2[3,2]),
 *   dispersion = R3[0:4, 4] / R3[4, 4] (normal-mode dispersion of the longitudinal mode).
 */
import { MlayerError } from '@mlayer/core';
import { DP_STEP, XY_STEP } from './constants.js';
import { eigenvector6 } from './eig6.js';
import { trackRange, type CompiledLattice } from './tracking-api.js';

export interface Optics6Point {
  readonly index: number;
  readonly beta: readonly [number, number];
  readonly alpha: readonly [number, number];
  readonly dispersion: readonly [number, number, number, number];
  readonly closedOrbit: Float64Array;
}

function inverse6(m: Float64Array): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(36);
  for (let k = 0; k < 6; k++) inv[7 * k] = 1;
  for (let c = 0; c < 6; c++) {
    let p = c;
    for (let r = c + 1; r < 6; r++) if (Math.abs(a[6 * r + c]) > Math.abs(a[6 * p + c])) p = r;
    if (a[6 * p + c] === 0) throw new MlayerError('6D optics: singular A matrix');
    for (let k = 0; k < 6; k++) {
      let t = a[6 * c + k]; a[6 * c + k] = a[6 * p + k]; a[6 * p + k] = t;
      t = inv[6 * c + k]; inv[6 * c + k] = inv[6 * p + k]; inv[6 * p + k] = t;
    }
    const d = a[7 * c];
    for (let k = 0; k < 6; k++) { a[6 * c + k] /= d; inv[6 * c + k] /= d; }
    for (let r = 0; r < 6; r++) {
      if (r === c) continue;
      const f = a[6 * r + c];
      if (f === 0) continue;
      for (let k = 0; k < 6; k++) { a[6 * r + k] -= f * a[6 * c + k]; inv[6 * r + k] -= f * inv[6 * c + k]; }
    }
  }
  return inv;
}

function mul6(a: Float64Array, b: Float64Array): Float64Array {
  const o = new Float64Array(36);
  for (let i = 0; i < 6; i++) for (let k = 0; k < 6; k++) {
    const v = a[6 * i + k];
    if (v === 0) continue;
    for (let j = 0; j < 6; j++) o[6 * i + j] += v * b[6 * k + j];
  }
  return o;
}

/** The A matrix of pyAT's a_matrix for the modes' eigenvalues (x, y, z order). */
export function aMatrix6(M: Float64Array, eig: readonly (readonly [number, number])[]): Float64Array {
  const A = new Float64Array(36);
  eig.forEach(([lr, li], k) => {
    let [vr, vi] = eigenvector6(M, lr, li);
    // n = -i/2 v^H S' v ; for real a, b (v = a + i b): v^H S' v = 2 i a^T S' b -> n = a^T S' b
    const Sb = (x: Float64Array) => {
      const o = new Float64Array(6);
      for (let m = 0; m < 3; m++) {
        const sgn = m === 2 ? -1 : 1;
        o[2 * m] = sgn * x[2 * m + 1];
        o[2 * m + 1] = -sgn * x[2 * m];
      }
      return o;
    };
    const sb = Sb(vi);
    let n = 0;
    for (let j = 0; j < 6; j++) n += vr[j] * sb[j];
    if (n < 0) { vi = vi.map((x) => -x); n = -n; }
    const s = Math.sqrt(n);
    for (let j = 0; j < 6; j++) {
      A[6 * j + 2 * k] = vr[j] / s;
      A[6 * j + 2 * k + 1] = vi[j] / s;
    }
  });
  return A;
}

/** Mode matrices R_1..3 of an A matrix (pyAT get_mode_matrices). */
export function modeMatrices(A: Float64Array): Float64Array[] {
  // S^T = blockdiag(J^T, J^T, J^T); inva = A^-1 S^T
  const ST = new Float64Array(36);
  for (let m = 0; m < 3; m++) { ST[6 * (2 * m) + 2 * m + 1] = -1; ST[6 * (2 * m + 1) + 2 * m] = 1; }
  const inva = mul6(inverse6(A), ST);
  // a_s = A T, T = blockdiag(J, J, J^T)
  const T = new Float64Array(36);
  for (let m = 0; m < 3; m++) {
    const sgn = m === 2 ? -1 : 1;
    T[6 * (2 * m) + 2 * m + 1] = sgn;
    T[6 * (2 * m + 1) + 2 * m] = -sgn;
  }
  const as = mul6(A, T);
  return [0, 1, 2].map((k) => {
    const R = new Float64Array(36);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
      R[6 * i + j] = as[6 * i + 2 * k] * inva[6 * (2 * k) + j] + as[6 * i + 2 * k + 1] * inva[6 * (2 * k + 1) + j];
    }
    return R;
  });
}

/** Transfer matrices M(0 -> p) (central differences) and the orbit at the positions p (sorted 0..N). */
function transferMatrices(compiled: CompiledLattice, orbit0: ArrayLike<number>, refpts: readonly number[]): { m: Float64Array; orbit: Float64Array }[] {
  const steps = [XY_STEP, XY_STEP, XY_STEP, XY_STEP, DP_STEP, DP_STEP];
  const n = 13;
  const c = new Float64Array(6 * n);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < 6; k++) c[k * n + j] = orbit0[k];
    if (j < 12) c[(j % 6) * n + j] += ((j < 6 ? 1 : -1) * steps[j % 6]) / 2;
  }
  const alive = new Uint8Array(n).fill(1);
  const sorted = [...new Set(refpts)].sort((a, b) => a - b);
  const out = new Map<number, { m: Float64Array; orbit: Float64Array }>();
  let at = 0;
  for (const p of sorted) {
    if (p > at) { trackRange(compiled, c, n, at, p, alive); at = p; }
    const m = new Float64Array(36);
    for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) m[6 * a + b] = (c[a * n + b] - c[a * n + b + 6]) / steps[b];
    const orbit = new Float64Array(6);
    for (let k = 0; k < 6; k++) orbit[k] = c[k * n + 12];
    out.set(p, { m, orbit });
  }
  return refpts.map((p) => out.get(p)!);
}

/** 6D optics at the refpts (entrance of the elements; N = end). */
export function optics6(
  compiled: CompiledLattice,
  orbit0: ArrayLike<number>,
  m66: Float64Array,
  modeEigenvalues: readonly (readonly [number, number])[],
  refpts: readonly number[],
): Optics6Point[] {
  const A0 = aMatrix6(m66, modeEigenvalues);
  return transferMatrices(compiled, orbit0, refpts).map(({ m, orbit }, i) => {
    const [R1, R2, R3] = modeMatrices(mul6(m, A0));
    return {
      index: refpts[i],
      beta: [R1[0], R2[14]],
      alpha: [-R1[6], -R2[20]],
      dispersion: [R3[4] / R3[28], R3[10] / R3[28], R3[16] / R3[28], R3[22] / R3[28]],
      closedOrbit: orbit,
    };
  });
}
