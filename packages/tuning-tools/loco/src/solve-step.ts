/**
 * One step of the fit from the normal equations A Δp = g: column normalisation,
 * singular-value selection, and the damping of the method.
 *
 * With S = diag(1/√A_kk) (column normalisation: every column of W J scaled to
 * unit norm) the scaled system is A' = S A S, g' = S g. A' = V Λ Vᵀ (symmetric
 * eigen-decomposition); the singular values of the scaled W J are s_i = √λ_i.
 * Directions with s_i ≤ svThreshold · s_max are cut (degenerate: no data moves
 * them); in the kept subspace V_k the step solves
 *
 *   gauss-newton:                 Λ_k y = V_kᵀ g'
 *   levenberg-marquardt:          (Λ_k + μ λ_max I) y = V_kᵀ g'
 *   scaled-levenberg-marquardt:   (Λ_k + μ V_kᵀ diag(A') V_k) y = V_kᵀ g'
 *
 * and Δp = S V_k y. The covariance of the parameters is S V_k Λ_k⁻¹ V_kᵀ S
 * (1σ errors from its diagonal, not scaled by χ²/DOF). Cost: O(P³) for the
 * decomposition (symmetric-eigen.ts), O(P²·k) per damped solve.
 */
import { Matrix as MlMatrix, solve as mlSolve } from 'ml-matrix';
import type { FitMethod } from './fit-file.js';
import { symmetricEigen } from './symmetric-eigen.js';

export interface Decomposition {
  readonly p: number;
  /** S: 1/√A_kk (0 for a parameter no data moves). */
  readonly scale: Float64Array;
  /** Parameters no data moves (A_kk = 0). */
  readonly empty: readonly number[];
  /** Singular values of the scaled problem, descending. */
  readonly singularValues: Float64Array;
  /** Eigenvectors (columns of V) as rows, in the order of singularValues. */
  readonly vectors: readonly Float64Array[];
  /** Number kept. */
  readonly kept: number;
  /** Scaled gradient g'. */
  readonly g: Float64Array;
  /** diag(A') (1, or 0 for empty parameters, with normalisation; A_kk without). */
  readonly diag: Float64Array;
}

export function decompose(a: readonly Float64Array[], g: Float64Array, svThreshold: number, columnNormalisation: boolean): Decomposition {
  const P = g.length;
  const scale = new Float64Array(P);
  const empty: number[] = [];
  for (let k = 0; k < P; k++) {
    const d = a[k][k];
    if (!(d > 0)) {
      empty.push(k);
      scale[k] = 0;
    } else scale[k] = columnNormalisation ? 1 / Math.sqrt(d) : 1;
  }
  const m = Array.from({ length: P }, (_v, i) => Float64Array.from(a[i], (x, j) => scale[i] * x * scale[j]));
  const diag = Float64Array.from({ length: P }, (_v, k) => m[k][k]);
  const gs = Float64Array.from(g, (v, k) => v * scale[k]);
  if (P === 0) return { p: 0, scale, empty, singularValues: new Float64Array(0), vectors: [], kept: 0, g: gs, diag };
  const eig = symmetricEigen(m);
  const order = Array.from(eig.values, (_v, i) => i).sort((i, j) => eig.values[j] - eig.values[i]);
  const singularValues = Float64Array.from(order, (i) => Math.sqrt(Math.max(0, eig.values[i])));
  const vectors = order.map((i) => eig.vectors[i]);
  const smax = singularValues[0] ?? 0;
  let kept = 0;
  while (kept < P && singularValues[kept] > svThreshold * smax && singularValues[kept] > 0) kept++;
  return { p: P, scale, empty, singularValues, vectors, kept, g: gs, diag };
}

/** The step Δp for damping μ (ignored by gauss-newton). */
export function solveStep(d: Decomposition, method: FitMethod, mu: number): Float64Array {
  const k = d.kept;
  const gk = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const v = d.vectors[i];
    let s = 0;
    for (let j = 0; j < d.p; j++) s += v[j] * d.g[j];
    gk[i] = s;
  }
  let y: Float64Array;
  if (method === 'gauss-newton' || mu === 0) {
    y = Float64Array.from(gk, (v, i) => v / (d.singularValues[i] * d.singularValues[i]));
  } else if (method === 'levenberg-marquardt') {
    const lmax = d.singularValues[0] * d.singularValues[0];
    y = Float64Array.from(gk, (v, i) => v / (d.singularValues[i] * d.singularValues[i] + mu * lmax));
  } else {
    // (Λ_k + μ V_kᵀ diag(A') V_k) y = g_k.
    const m = new MlMatrix(k, k);
    for (let i = 0; i < k; i++) {
      const vi = d.vectors[i];
      for (let j = i; j < k; j++) {
        const vj = d.vectors[j];
        let s = 0;
        for (let t = 0; t < d.p; t++) s += vi[t] * d.diag[t] * vj[t];
        const value = mu * s + (i === j ? d.singularValues[i] * d.singularValues[i] : 0);
        m.set(i, j, value);
        m.set(j, i, value);
      }
    }
    y = Float64Array.from(mlSolve(m, MlMatrix.columnVector(Array.from(gk))).getColumn(0));
  }
  const dp = new Float64Array(d.p);
  for (let i = 0; i < k; i++) {
    const v = d.vectors[i];
    for (let j = 0; j < d.p; j++) dp[j] += v[j] * y[i];
  }
  for (let j = 0; j < d.p; j++) dp[j] *= d.scale[j];
  return dp;
}

/** 1σ errors: √diag(S V_k Λ_k⁻¹ V_kᵀ S). */
export function parameterErrors(d: Decomposition): Float64Array {
  const out = new Float64Array(d.p);
  for (let i = 0; i < d.kept; i++) {
    const v = d.vectors[i];
    const l = d.singularValues[i] * d.singularValues[i];
    for (let j = 0; j < d.p; j++) out[j] += (v[j] * v[j]) / l;
  }
  for (let j = 0; j < d.p; j++) out[j] = Math.sqrt(out[j]) * d.scale[j];
  return out;
}
