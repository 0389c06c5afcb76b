/**
 * Families as knobs of a lattice model: the model's response of a pair of
 * quantities (tunes, chromaticities) to family steps, through each family's
 * model binding (core's Family.modelParameters), and the least-norm solution of
 * a two-row system for the steps that reach a target pair.
 */
import type { Family } from '@mlayer/core';
import { MlayerError } from '@mlayer/core';
import type { LatticeModel, ParameterRef } from '@mlayer/core';

/**
 * A quantity pair's response to the families from a model: for each family, the
 * derivative of the pair per unit physics step of every device of the selection.
 * `compute` gives the model's derivative per parameter group (e.g. model.tuneResponse).
 */
export function modelFamilyResponse(
  model: LatticeModel,
  families: readonly Family[],
  compute: (groups: readonly (readonly ParameterRef[])[]) => Float64Array[],
): [Float64Array, Float64Array] {
  const rows: [Float64Array, Float64Array] = [new Float64Array(families.length), new Float64Array(families.length)];
  const groups: ParameterRef[][] = [];
  const owner: { family: number; scale: number }[] = [];
  families.forEach((fam, j) => {
    // Parameters with the same scale change together: one group each.
    const byScale = new Map<number, ParameterRef[]>();
    for (const p of fam.modelParameters(model)) {
      const g = byScale.get(p.scale) ?? [];
      g.push(p.ref);
      byScale.set(p.scale, g);
    }
    for (const [scale, refs] of byScale) {
      groups.push(refs);
      owner.push({ family: j, scale });
    }
  });
  const r = compute(groups);
  r.forEach((d, g) => {
    rows[0][owner[g].family] += d[0] * owner[g].scale;
    rows[1][owner[g].family] += d[1] * owner[g].scale;
  });
  return rows;
}

export interface TwoRowSolution {
  readonly x: Float64Array;
  /** Singular values of R. */
  readonly singularValues: readonly [number, number];
  /** Singular values kept. */
  readonly rank: number;
}

/**
 * Minimum-norm solution of a 2 x n system R·x = b (two tunes or two
 * chromaticities, n >= 2 families): x = Rᵀ (R Rᵀ)⁺ b, with the pseudo-inverse
 * of the 2 x 2 matrix from its eigen-decomposition (singular values below
 * rcond times the largest are dropped).
 */
export function solveTwoRows(r: readonly [ArrayLike<number>, ArrayLike<number>], b: readonly [number, number], rcond = 1e-6): TwoRowSolution {
  const n = r[0].length;
  if (r[1].length !== n) throw new MlayerError(`response rows differ in length (${n}, ${r[1].length})`);
  if (n < 1) throw new MlayerError('the response has no columns (no families)');
  let a = 0;
  let c = 0;
  let d = 0;
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
  if (!(s1 > 0)) throw new MlayerError('the response matrix is zero: the families do not act on the quantity');
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
