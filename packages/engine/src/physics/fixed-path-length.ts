/**
 * The fixed-path-length orbit response (MML's ClosedOrbitType 'FixedPathLength').
 *
 * The 4D closed orbit at a fixed momentum deviation (fixed-momentum response)
 * is z_b = R_b v for a 4D kick v at position p. When the RF frequency is fixed
 * the path length C of the closed orbit is fixed instead, so the momentum
 * moves by the delta that brings C back:
 *
 *   Path length of a kicked orbit. With T the one-turn 4x4 matrix at p, d its
 *   dispersive column and r the ct row of the 6D one-turn map (ordering
 *   x, px, y, py, delta, ct with (delta, ct) a canonical pair as in AT's jmat),
 *   symplecticity of the 6D map gives r = T^T J d with J = diag(J2, J2),
 *   J2 = [[0, 1], [-1, 0]]. The periodic dispersion is eta = (I - T)^-1 d and
 *   the kicked orbit z = (I - T)^-1 v, so the lengthening of the orbit is
 *     dC = r^T z = -eta^T (I - T)^T J T (I - T)^-1 v = eta_p^T J v,
 *   using T^T J T = J, i.e. (I - T)^T J T = J (T - I). For a pure angle kick
 *   theta_x this is the textbook dC = D_x theta_x.
 *
 *   Momentum at fixed C. alpha_c L = dC/d(delta) (4D, one pass of the lattice
 *   as given: a cell closed on itself for a periodic lattice), so
 *     delta = -dC / (alpha_c L),
 *   and the orbit at BPM i gains eta_i delta:
 *     R^FPL_ij = R_ij - eta_i (eta_pj^T J v_j) / (alpha_c L)
 *   which for thin horizontal correctors is MML's R_ij - eta_i eta_j / (alpha_c L).
 *
 * Both blocks of a column get the term (x rows with D_x, y rows with D_y), and a
 * vertical corrector contributes through D_y at its position (zero in an
 * uncoupled flat ring).
 */
import { MlayerError } from '@mlayer/core';
import { matrixAt, type LinearState } from './linear-state.js';
import type { Vec4 } from './mat4.js';

/** A corrector's closed-orbit source as correctorSources returns it. */
export interface KickSource {
  /** Position of the kick (exit of the corrector). */
  readonly px: number;
  readonly sx: { readonly after: Vec4; readonly before: Vec4 };
  readonly sy: { readonly after: Vec4; readonly before: Vec4 };
}

/** eta^T J v for a 4D dispersion eta and a 4D kick v. */
export function pathLengthOfKick(eta: ArrayLike<number>, v: ArrayLike<number>): number {
  return eta[0] * v[1] - eta[1] * v[0] + eta[2] * v[3] - eta[3] * v[2];
}

/** The kick v = M_p (after - before) of a source (after - before = M_p^-1 v). */
function kickOf(state: LinearState, p: number, src: { readonly after: Vec4; readonly before: Vec4 }): Float64Array {
  const m = matrixAt(state, p);
  const u = [0, 1, 2, 3].map((k) => src.after[k] - src.before[k]);
  const v = new Float64Array(4);
  for (let i = 0; i < 4; i++) v[i] = m[4 * i] * u[0] + m[4 * i + 1] * u[1] + m[4 * i + 2] * u[2] + m[4 * i + 3] * u[3];
  return v;
}

/** Path lengthening per unit kick of each corrector, both planes: dC/dtheta (m/rad). */
export function kickPathLengths(state: LinearState, sources: readonly KickSource[]): { cx: Float64Array; cy: Float64Array } {
  const d = state.dispersion;
  if (!d) throw new MlayerError('fixed-path-length response: the linear state has no dispersion (compute it with dispersion: true)');
  const cx = new Float64Array(sources.length);
  const cy = new Float64Array(sources.length);
  sources.forEach((s, j) => {
    const eta = d.subarray(4 * s.px, 4 * s.px + 4);
    cx[j] = pathLengthOfKick(eta, kickOf(state, s.px, s.sx));
    cy[j] = pathLengthOfKick(eta, kickOf(state, s.px, s.sy));
  });
  return { cx, cy };
}

/** alpha_c L from the momentum compaction factor and the lattice length; checks it can be divided by. */
export function pathLengthSlope(mcf: number, length: number): number {
  const a = mcf * length;
  if (!Number.isFinite(a) || a === 0) {
    throw new MlayerError(`fixed-path-length response: the momentum compaction (${mcf}) times the length (${length} m) is ${a}; the path length does not fix the momentum`);
  }
  return a;
}

/**
 * Adds -eta_i c_j / A to every entry (in place): x rows with Dx at the BPMs, y
 * rows with Dy; columns of the horizontal blocks with cx, vertical with cy.
 */
export function addFixedPathLengthTerm(
  R: { readonly Rxx: Float64Array[]; readonly Rxy: Float64Array[]; readonly Ryx: Float64Array[]; readonly Ryy: Float64Array[] },
  Dx: ArrayLike<number>,
  Dy: ArrayLike<number>,
  cx: ArrayLike<number>,
  cy: ArrayLike<number>,
  A: number,
): void {
  const nb = R.Rxx.length;
  const nc = cx.length;
  for (let i = 0; i < nb; i++) {
    const fx = Dx[i] / A, fy = Dy[i] / A;
    const rxx = R.Rxx[i], rxy = R.Rxy[i], ryx = R.Ryx[i], ryy = R.Ryy[i];
    for (let j = 0; j < nc; j++) {
      rxx[j] -= fx * cx[j];
      ryx[j] -= fy * cx[j];
      rxy[j] -= fx * cy[j];
      ryy[j] -= fy * cy[j];
    }
  }
}
