/**
 * Normal-mode analysis of a 4x4 one-turn matrix (pyAT's amat/a_matrix and the
 * R-matrices of linopt6): the symplectic matrix A with A^-1 T A = diag(R(mu1),
 * R(mu2)), positive modes, mode 1 closest to x, standardised so that
 * A[0][1] = A[2][3] = 0.
 *
 * Eigenvectors are found without a general eigen-solver: for a symplectic T,
 * S = T + T^-1 has the double eigenvalues s_k = 2 cos(mu_k); the columns of
 * S - s_j I span the invariant plane of mode k, and (T - conj(lambda_k)) u is
 * the complex eigenvector of lambda_k for any u in that plane.
 */
import { UnstableLatticeError } from '@mlayer/core';
import { MlayerError } from '@mlayer/core';
import { inv4, mul4, type Mat4 } from './mat4.js';

export interface NormalModes {
  /** Standardised normal-mode matrix (row-major 4x4). */
  readonly A: Mat4;
  /** Fractional tunes of the two modes in [0, 1). */
  readonly tunes: readonly [number, number];
}

/** Traces of the two modes (2 cos mu_k) or null when the characteristic roots are complex. */
export function modeTraces(T: Mat4): [number, number] | null {
  const t = T[0] + T[5] + T[10] + T[15];
  let b = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) b += T[5 * i] * T[5 * j] - T[4 * i + j] * T[4 * j + i];
  }
  const q = b - 2;
  const disc = t * t - 4 * q;
  if (!(disc >= 0)) return null;
  const sq = Math.sqrt(disc);
  const s1 = (t + (t >= 0 ? sq : -sq)) / 2;
  const s2 = s1 !== 0 ? q / s1 : (t - sq) / 2;
  return [s1, s2];
}

/** Throws UnstableLatticeError when the 4x4 one-turn matrix has no stable normal modes. */
export function checkStable4(T: Mat4, where: string): [number, number] {
  const s = modeTraces(T);
  if (!s) throw new UnstableLatticeError(`${where}: unstable one-turn matrix (complex eigenvalue quartet, coupling resonance)`);
  for (const v of s) {
    if (!(Math.abs(v) < 2)) {
      throw new UnstableLatticeError(
        `${where}: unstable one-turn matrix (mode trace 2cos(mu) = ${v.toPrecision(8)}, |trace| must be < 2)`,
      );
    }
  }
  return s;
}

/** a^T J b with J = blockdiag([[0,1],[-1,0]], [[0,1],[-1,0]]). */
function symplecticProduct(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a[0] * b[1] - a[1] * b[0] + a[2] * b[3] - a[3] * b[2];
}

/** Normal modes of a 4x4 one-turn matrix; throws UnstableLatticeError when unstable. */
export function normalModes4(T: Mat4, where = 'one-turn matrix'): NormalModes {
  const s = checkStable4(T, where);
  if (Math.abs(s[0] - s[1]) < 1e-6) {
    // (Nearly) equal mode traces: the plane separation below would be
    // ill-conditioned; an uncoupled matrix is analysed plane by plane.
    const A = uncoupledModes(T);
    if (A) return { A, tunes: modeTunes(T, A) };
  }
  const Tinv = inv4(T);
  if (!Tinv) throw new UnstableLatticeError(`${where}: singular one-turn matrix`);
  const modes: { cols: [Float64Array, Float64Array]; xproj: number }[] = [];
  for (let k = 0; k < 2; k++) {
    const other = s[1 - k];
    // Columns of P = T + T^-1 - s_other I span the plane of mode k: take the largest.
    let best = -1;
    let bestNorm = 0;
    for (let j = 0; j < 4; j++) {
      let nrm = 0;
      for (let i = 0; i < 4; i++) {
        const v = T[4 * i + j] + Tinv[4 * i + j] - (i === j ? other : 0);
        nrm += v * v;
      }
      if (nrm > bestNorm) {
        bestNorm = nrm;
        best = j;
      }
    }
    let scale = 0;
    for (let m = 0; m < 16; m++) scale = Math.max(scale, Math.abs(T[m]));
    if (best < 0 || Math.sqrt(bestNorm) <= 1e-10 * Math.max(1, scale)) {
      // Equal mode traces: the planes cannot be told apart by S; an uncoupled
      // matrix is still analysed plane by plane.
      const A = uncoupledModes(T);
      if (A) return { A, tunes: modeTunes(T, A) };
      throw new MlayerError(`${where}: degenerate coupled normal modes (equal mode traces ${s[0]}, ${s[1]}); optics undefined`);
    }
    const u = new Float64Array(4);
    for (let i = 0; i < 4; i++) u[i] = T[4 * i + best] + Tinv[4 * i + best] - (i === best ? other : 0);
    const c = s[k] / 2;
    const sn = Math.sqrt(Math.max(0, 1 - c * c));
    // v = (T - conj(lambda) I) u = (T - c I) u + i sn u
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    for (let i = 0; i < 4; i++) {
      a[i] = T[4 * i] * u[0] + T[4 * i + 1] * u[1] + T[4 * i + 2] * u[2] + T[4 * i + 3] * u[3] - c * u[i];
      b[i] = sn * u[i];
    }
    const nrm = symplecticProduct(a, b);
    if (!(nrm !== 0) || !Number.isFinite(nrm)) throw new UnstableLatticeError(`${where}: cannot normalise mode ${k + 1}`);
    const f = 1 / Math.sqrt(Math.abs(nrm));
    for (let i = 0; i < 4; i++) {
      a[i] *= f;
      b[i] *= nrm > 0 ? f : -f;
    }
    modes.push({ cols: [a, b], xproj: a[0] * a[0] + a[1] * a[1] + b[0] * b[0] + b[1] * b[1] });
  }
  if (modes[1].xproj > modes[0].xproj) modes.reverse();
  const A = new Float64Array(16);
  for (let k = 0; k < 2; k++) {
    const [a, b] = modes[k].cols;
    // Standardise: rotate the mode so that A[2k][2k+1] = 0.
    const phase = Math.atan2(b[2 * k], a[2 * k]);
    const cs = Math.cos(-phase);
    const sn = Math.sin(-phase);
    for (let i = 0; i < 4; i++) {
      A[4 * i + 2 * k] = a[i] * cs - b[i] * sn;
      A[4 * i + 2 * k + 1] = a[i] * sn + b[i] * cs;
    }
  }
  return { A, tunes: modeTunes(T, A) };
}

/**
 * Standardised A of a matrix without x-y coupling (off-diagonal 2x2 blocks
 * zero to rounding), from the Twiss parameters of each 2x2 block; null when coupled.
 */
function uncoupledModes(T: Mat4): Mat4 | null {
  let scale = 0;
  let off = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const v = Math.abs(T[4 * i + j]);
      if ((i < 2) === (j < 2)) scale = Math.max(scale, v);
      else off = Math.max(off, v);
    }
  }
  if (off > 1e-12 * scale) return null;
  const A = new Float64Array(16);
  for (let k = 0; k < 2; k++) {
    const o = 2 * k;
    const m00 = T[4 * o + o], m01 = T[4 * o + o + 1], m10 = T[4 * (o + 1) + o], m11 = T[4 * (o + 1) + o + 1];
    const diff = (m00 - m11) / 2;
    const sin2 = -m01 * m10 - diff * diff;
    if (!(sin2 > 0)) return null;
    const sinMu = Math.sign(m01) * Math.sqrt(sin2);
    const beta = m01 / sinMu;
    const alpha = diff / sinMu;
    const sb = Math.sqrt(beta);
    A[4 * o + o] = sb;
    A[4 * (o + 1) + o] = -alpha / sb;
    A[4 * (o + 1) + o + 1] = 1 / sb;
  }
  return A;
}

/** Fractional tunes from R = A^-1 T A (as pyAT's get_tunes_damp). */
export function modeTunes(T: Mat4, A: Mat4): [number, number] {
  const Ai = inv4(A);
  if (!Ai) throw new UnstableLatticeError('singular normal-mode matrix');
  const R = mul4(Ai, mul4(T, A));
  const out: [number, number] = [0, 0];
  for (let k = 0; k < 2; k++) {
    const o = 2 * k;
    const r00 = R[4 * o + o], r01 = R[4 * o + o + 1], r10 = R[4 * (o + 1) + o], r11 = R[4 * (o + 1) + o + 1];
    const mu = Math.atan2(r01 - r10, r00 + r11);
    let q = mu / (2 * Math.PI);
    q -= Math.floor(q);
    out[k] = q;
  }
  return out;
}

/** Twiss parameters and phases at one point from ai = M * A (M from the start to the point). */
export interface ModeTwiss {
  betaX: number;
  betaY: number;
  alphaX: number;
  alphaY: number;
  /** Phases in (-pi, pi] (unwrapped by the caller). */
  muX: number;
  muY: number;
}

/** R-matrix analysis of ai = M A (as linopt6's r_matrices), writing into `out`. */
export function twissFromA(ai: Mat4, out: ModeTwiss): boolean {
  const inv = inv4(ai);
  if (!inv) return false;
  // X = ai^-1 S^T, only rows needed: X[i][0] = inv[i][1], X[i][2] = inv[i][3]
  const x00 = inv[1], x10 = inv[5];
  const x22 = inv[11], x32 = inv[15];
  // R0 = ai[:,0:2] S2 X[0:2,:]; (ai S2)[r] = [-ai[r][1], ai[r][0]]
  out.betaX = -ai[1] * x00 + ai[0] * x10;
  out.alphaX = -(-ai[5] * x00 + ai[4] * x10);
  out.betaY = -ai[11] * x22 + ai[10] * x32;
  out.alphaY = -(-ai[15] * x22 + ai[14] * x32);
  out.muX = Math.atan2(ai[1], ai[0]);
  out.muY = Math.atan2(ai[11], ai[10]);
  return true;
}
