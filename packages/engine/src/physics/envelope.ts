/**
 * Ohmi's equilibrium envelope (K. Ohmi et al., Phys. Rev. E 49 (1994); pyAT ohmi_envelope).
 *
 * Diffusion matrix of a radiating multipole or bend (AT's FindElemB): the orbit is integrated
 * through the element with the same slicing as the pass method; the cumulative matrix Bd
 * is carried along: Bd <- D Bd D^T through each drift (D its Jacobian), and at each thin kick
 * of strength K:  Bd <- Mk Bd Mk^T + b,  b = BB u u^T,  u = (0, xpr, 0, ypr, 1, 0),
 *   BB = (55 / 24 sqrt 3) r_e lambdabar_C gamma^5 K |e x B|^3 (1+d)^4 (1 + hx + (xpr^2+ypr^2)/2)
 * (|e x B|^2 as in the radiating kick); Mk is the kick's symplectic Jacobian
 * (dpx/dx = -K (Re f' + h^2), dpx/dy = dpy/dx = K Im f', dpy/dy = K Re f', dpx/dd = dct/dx = K h).
 * Bend edges: their Jacobian (central differences of the engine's edge map). Quadrupole
 * fringes are not part of the diffusion (as AT). Misalignment: the orbit enters through T1, R1;
 * the matrix leaves through R2 (R2 Bd R2^T), as AT.
 *
 * Ring: cumul_{i+1} = m_i cumul_i m_i^T + b_i, m_i the element's 6x6 matrix at the closed
 * orbit (central differences, XYStep / DPStep as find_elem_m66); the envelope R at element 0
 * solves R = M R M^T + cumul_N (M the one-turn matrix), here as the 36x36 linear system
 * (I - M (x) M) vec R = vec B (partial pivoting). sigma_delta = sqrt R[4][4], sigma_ct = sqrt R[5][5];
 * mode emittances (pyAT get_tunes_damp): eps_k = -1/2 Re(v_k^H S R S v_k), v_k the eigenvector
 * normalised by |v^H S' v| / 2 = 1 (S' the symplectic form with the longitudinal block swapped).
 */
import { MlayerError } from '@mlayer/core';
import { DP_STEP, XY_STEP } from './constants.js';
import { eigenvector6 } from './eig6.js';
import { applyBendEdge, applyE2Edge, type BendEdge, type E2Edge } from '../tracking/fringe.js';
import { enterFrame, type Frame } from '../tracking/frame.js';
import { trackObserved } from './propagate.js';
import type { CompiledLattice } from './tracking-api.js';

const R_E = 2.8179403205e-15;
const LAMBDABAR_C = 3.8615926744e-13;
const ME_EV = 0.51099895069e6;
const CU = 55 / (24 * Math.sqrt(3));

interface RadParams {
  readonly A?: Float64Array;
  readonly B: Float64Array;
  readonly maxOrder: number;
  readonly steps: number;
  readonly irho?: number;
  readonly h?: number;
  readonly L1: number;
  readonly L2: number;
  readonly K1: number;
  readonly K2: number;
  readonly crad: number;
  readonly edgeEntrance?: BendEdge | E2Edge;
  readonly edgeExit?: BendEdge | E2Edge;
  readonly frame?: Frame;
}

const sandwichScratch = new Float64Array(36);

/** M B M^T in place (row-major 6x6). */
function sandwich(M: Float64Array, B: Float64Array): void {
  const t = sandwichScratch;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
    let s = 0;
    for (let k = 0; k < 6; k++) s += M[6 * i + k] * B[6 * k + j];
    t[6 * i + j] = s;
  }
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
    let s = 0;
    for (let k = 0; k < 6; k++) s += t[6 * i + k] * M[6 * j + k];
    B[6 * i + j] = s;
  }
}

/**
 * B <- T B T^T for T = identity + the entries `e` (row, col, value) whose rows differ from the
 * identity's, where no modified row is also a source column of another modified row
 * (true for drift and kick Jacobians): rows first, then the same on columns.
 */
function sparseSandwich(B: Float64Array, e: readonly number[]): void {
  for (let k = 0; k < e.length; k += 3) {
    const r = e[k], c = e[k + 1], v = e[k + 2];
    if (v === 0) continue;
    for (let j = 0; j < 6; j++) B[6 * r + j] += v * B[6 * c + j];
  }
  for (let k = 0; k < e.length; k += 3) {
    const r = e[k], c = e[k + 1], v = e[k + 2];
    if (v === 0) continue;
    for (let i = 0; i < 6; i++) B[6 * i + r] += v * B[6 * i + c];
  }
}

function driftB(r: Float64Array, L: number, Bd: Float64Array): void {
  const p = 1 + r[4];
  const p2 = p * p;
  sparseSandwich(Bd, [
    0, 1, L / p, 0, 4, (-L * r[1]) / p2,
    2, 3, L / p, 2, 4, (-L * r[3]) / p2,
    5, 1, (L * r[1]) / p2, 5, 3, (L * r[3]) / p2, 5, 4, (-L * (r[1] * r[1] + r[3] * r[3])) / (p2 * p),
  ]);
  const NL = L / p;
  r[0] += NL * r[1];
  r[2] += NL * r[3];
  r[5] += (NL / p) * (r[1] * r[1] + r[3] * r[3]) / 2;
}

/** Jacobian + diffusion of a thin kick at r, then the radiating kick on r. */
function kickB(r: Float64Array, A: Float64Array, B: Float64Array, mo: number, K: number, h: number, crad: number, gamma5: number, Bd: Float64Array): void {
  let re = B[mo], im = A[mo];
  let dre = mo * B[mo], dim = mo * A[mo];
  for (let k = mo - 1; k >= 0; k--) {
    const t = re * r[0] - im * r[2] + B[k];
    im = im * r[0] + re * r[2] + A[k];
    re = t;
  }
  for (let k = mo - 1; k > 0; k--) {
    const t = dre * r[0] - dim * r[2] + k * B[k];
    dim = dim * r[0] + dre * r[2] + k * A[k];
    dre = t;
  }
  if (mo === 0) { dre = 0; dim = 0; }
  sparseSandwich(Bd, [1, 0, -K * (dre + h * h), 1, 2, K * dim, 1, 4, K * h, 3, 0, K * dim, 3, 2, K * dre, 5, 0, K * h]);
  const x = r[0];
  const p = 1 + r[4];
  const xpr = r[1] / p, ypr = r[3] / p;
  const hx = 1 + x * h;
  const by = re + h, bx = im;
  const b2p = (by * by * hx * hx + bx * bx * hx * hx + (bx * ypr - by * xpr) ** 2) / (hx * hx + xpr * xpr + ypr * ypr);
  const BB = CU * R_E * LAMBDABAR_C * gamma5 * K * b2p * Math.sqrt(b2p) * p * p * p * p * (hx + (xpr * xpr + ypr * ypr) / 2);
  // b = BB u u^T, u = (0, xpr, 0, ypr, 1, 0)
  Bd[7] += BB * xpr * xpr; Bd[9] += BB * xpr * ypr; Bd[10] += BB * xpr;
  Bd[19] += BB * xpr * ypr; Bd[21] += BB * ypr * ypr; Bd[22] += BB * ypr;
  Bd[25] += BB * xpr; Bd[27] += BB * ypr; Bd[28] += BB;
  // radiating kick on the orbit
  const d0 = r[4];
  r[4] = d0 - crad * p * p * b2p * (hx + (xpr * xpr + ypr * ypr) / 2) * K;
  r[1] = xpr * (1 + r[4]);
  r[3] = ypr * (1 + r[4]);
  r[1] -= K * (re - (d0 - x * h) * h);
  r[3] += K * im;
  r[5] += K * h * x;
}

function edgeB(r: Float64Array, apply: (v: Float64Array) => void, Bd: Float64Array): void {
  const J = new Float64Array(36);
  const steps = [XY_STEP, XY_STEP, XY_STEP, XY_STEP, DP_STEP, DP_STEP];
  for (let j = 0; j < 6; j++) {
    const a = Float64Array.from(r), b = Float64Array.from(r);
    a[j] += steps[j] / 2;
    b[j] -= steps[j] / 2;
    apply(a);
    apply(b);
    for (let i = 0; i < 6; i++) J[6 * i + j] = (a[i] - b[i]) / steps[j];
  }
  sandwich(J, Bd);
  apply(r);
}

/** Diffusion matrix (6x6 row-major) of one radiating element entered on `orbit`. */
export function elementDiffusion(method: string, params: unknown, orbit: ArrayLike<number>, energy: number): Float64Array {
  const Bd = new Float64Array(36);
  if (!/^(StrMPoleSymplectic4RadPass|BndMPoleSymplectic4RadPass|BndMPoleSymplectic4E2RadPass)$/.test(method)) return Bd;
  const p = params as RadParams;
  const r = Float64Array.from(orbit);
  const frame = p.frame as Frame | undefined;
  if (frame) enterFrame(r, 1, frame, new Uint8Array(1).fill(1), false);
  const h = p.irho ?? p.h ?? 0;
  const A = p.A ?? new Float64Array(p.B.length);
  const gamma = energy / ME_EV;
  const gamma5 = gamma ** 5;
  const { L1, L2, K1, K2 } = p;
  const e2 = method === 'BndMPoleSymplectic4E2RadPass';
  const edge = (e: BendEdge | E2Edge | undefined, entrance: boolean) => {
    if (!e) return;
    edgeB(r, (v) => (e2 ? applyE2Edge(v, e as E2Edge) : applyBendEdge(v, e as BendEdge, entrance)), Bd);
  };
  edge(p.edgeEntrance, true);
  for (let m = 0; m < p.steps; m++) {
    driftB(r, L1, Bd);
    kickB(r, A, p.B, p.maxOrder, K1, h, p.crad, gamma5, Bd);
    driftB(r, L2, Bd);
    kickB(r, A, p.B, p.maxOrder, K2, h, p.crad, gamma5, Bd);
    driftB(r, L2, Bd);
    kickB(r, A, p.B, p.maxOrder, K1, h, p.crad, gamma5, Bd);
    driftB(r, L1, Bd);
  }
  edge(p.edgeExit, false);
  if (frame?.R2) sandwich(frame.R2, Bd);
  return Bd;
}

/** Closed orbit at every element entrance 0..N-1 (and N), by tracking orbit0 once. */
function orbitsAlong(compiled: CompiledLattice, orbit0: ArrayLike<number>): Float64Array[] {
  const out: Float64Array[] = [];
  const all = Array.from({ length: compiled.elements.length + 1 }, (_, i) => i);
  trackObserved(compiled, Float64Array.from(orbit0), 1, all, (_, c) => out.push(Float64Array.from(c)));
  return out;
}

const M66_STEPS = [XY_STEP, XY_STEP, XY_STEP, XY_STEP, DP_STEP, DP_STEP];

/**
 * Central-difference 6x6 matrix of element i around `orbit` (pyAT find_elem_m66) into m: the 12
 * displaced particles through the element's pass method directly (buffers c and alive reused
 * across elements; a particle lost in one element gives a non-finite matrix, as trackRange's NaN).
 */
function elementMatrixInto(compiled: CompiledLattice, i: number, orbit: ArrayLike<number>, c: Float64Array, alive: Uint8Array, m: Float64Array): void {
  const n = 12;
  for (let j = 0; j < 12; j++) {
    for (let k = 0; k < 6; k++) c[k * n + j] = orbit[k];
    const col = j % 6;
    c[col * n + j] += ((j < 6 ? 1 : -1) * M66_STEPS[col]) / 2;
  }
  alive.fill(1);
  const el = compiled.elements[i];
  el.method.track(c, n, el.params, alive, TURN0);
  for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) m[6 * a + b] = alive[b] && alive[b + 6] ? (c[a * n + b] - c[a * n + b + 6]) / M66_STEPS[b] : NaN;
}
const TURN0 = { turn: 0 };

/** Cumulative diffusion matrix over the lattice (one cell) at its end. */
export function cumulativeDiffusion(compiled: CompiledLattice, orbit0: ArrayLike<number>): Float64Array {
  const energy = compiled.ring!.energy;
  const orbs = orbitsAlong(compiled, orbit0);
  const cumul = new Float64Array(36);
  const c = new Float64Array(72), alive = new Uint8Array(12), m = new Float64Array(36);
  compiled.elements.forEach((e, i) => {
    if (e.identity) return;
    elementMatrixInto(compiled, i, orbs[i], c, alive, m);
    sandwich(m, cumul);
    if (e.method.name.endsWith('RadPass')) {
      const b = elementDiffusion(e.method.name, e.params, orbs[i], energy);
      for (let k = 0; k < 36; k++) cumul[k] += b[k];
    }
  });
  return cumul;
}

/** Solves R = M R M^T + B (6x6) as a 36x36 linear system. */
export function solveLyapunov6(M: Float64Array, B: Float64Array): Float64Array {
  const n = 36;
  const a = new Float64Array(n * n);
  const b = Float64Array.from(B);
  // vec index p = 6 i + j ; (M R M^T)_ij = sum_kl M_ik M_jl R_kl
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
    const p = 6 * i + j;
    for (let k = 0; k < 6; k++) for (let l = 0; l < 6; l++) a[n * p + 6 * k + l] = -M[6 * i + k] * M[6 * j + l];
    a[n * p + p] += 1;
  }
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[n * r + c]) > Math.abs(a[n * piv + c])) piv = r;
    if (a[n * piv + c] === 0) throw new MlayerError('envelope: the one-turn matrix has no damping (singular Lyapunov system)');
    if (piv !== c) {
      for (let k = 0; k < n; k++) { const t = a[n * c + k]; a[n * c + k] = a[n * piv + k]; a[n * piv + k] = t; }
      const t = b[c]; b[c] = b[piv]; b[piv] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = a[n * r + c] / a[n * c + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[n * r + k] -= f * a[n * c + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= a[n * r + k] * x[k];
    x[r] = s / a[n * r + r];
  }
  for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) {
    const s = (x[6 * i + j] + x[6 * j + i]) / 2;
    x[6 * i + j] = s; x[6 * j + i] = s;
  }
  return x;
}

/** Mode emittance of the eigenvalue l of M (pyAT get_tunes_damp convention). */
export function modeEmittance(M: Float64Array, R: Float64Array, lr: number, li: number): number {
  const [vr, vi] = eigenvector6(M, lr, li);
  // S' v (longitudinal block swapped), S v
  const sv = (x: Float64Array, swap: boolean) => {
    const o = new Float64Array(6);
    for (let k = 0; k < 3; k++) {
      const sgn = swap && k === 2 ? -1 : 1;
      o[2 * k] = sgn * x[2 * k + 1];
      o[2 * k + 1] = -sgn * x[2 * k];
    }
    return o;
  };
  // |v^H S' v| / 2
  const wr = sv(vr, true), wi = sv(vi, true);
  let sr = 0, si = 0;
  for (let k = 0; k < 6; k++) { sr += vr[k] * wr[k] + vi[k] * wi[k]; si += vr[k] * wi[k] - vi[k] * wr[k]; }
  const norm = Math.hypot(sr, si) / 2;
  // Re(v^H S R S v) = a^T X a + b^T X b with X = S R S
  const quad = (x: Float64Array) => {
    const y = sv(x, false);
    const Ry = new Float64Array(6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) Ry[i] += R[6 * i + j] * y[j];
    const z = sv(Ry, false);
    let s = 0;
    for (let i = 0; i < 6; i++) s += x[i] * z[i];
    return s;
  };
  return (-0.5 * (quad(vr) + quad(vi))) / norm;
}
