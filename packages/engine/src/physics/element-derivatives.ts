/**
 * Closed-form d(element matrix)/dK for thick quadrupoles and combined-function
 * bends (StrMPoleSymplectic4Pass, BndMPoleSymplectic4Pass), K = PolynomB[1]
 * (normal) or PolynomA[1] (skew): the exact derivative of the engine's own
 * integrator, not of an idealised thick-lens map.
 *
 * The body is NumIntSteps slices of drift(L1) kick(K1) drift(L2) kick(K2)
 * drift(L2) kick(K1) drift(L1) (Forest-Ruth). At fixed delta the drift is
 * linear, x += L/(1+delta) px, and when the element has no multipole above
 * the quadrupole the kick is affine in (x, y):
 *     px -= k (B1 x - A1 y + B0 - (delta - h x) h),   py += k (A1 x + B1 y + A0)
 * (h = 1/rho, 0 for a straight element). The 4x4 matrix of the body is then
 * independent of the orbit, and with F_s the factors in order,
 *     d(Body) = sum_s F_n ... F_{s+1} dF_s F_{s-1} ... F_1,
 * dF_s non-zero only for kicks: dB1 gives d(dpx/dx) = -k, d(dpy/dy) = +k and
 * dA1 gives d(dpx/dy) = d(dpy/dx) = +k. It is accumulated forward with the
 * pair (M, dM) <- (F M, F dM + dF M). The bend edges (fringe models 0-2: px +=
 * fx x, py -= fy(delta) y) and a misalignment frame (T1/T2 shifts, R1/R2 with
 * an untouched longitudinal block) are linear maps around the body:
 *     dM = R2 E_exit d(Body) E_entrance R1.
 * Anything else (higher multipoles, whose kick depends on the orbit inside the
 * element, quadrupole fringes, which depend on B1 nonlinearly, edge model 3, a
 * frame mixing transverse and longitudinal coordinates, other pass methods or
 * fields) returns undefined: the caller falls back to central differences over
 * the element (element-maps.ts).
 */
import type { AtElement } from '../lattice.js';
import type { Mat4 } from './mat4.js';
import { readParameter, type ElementParameter } from './parameters.js';
import {
  applyBendEdge,
  type BendEdge,
  type BendMultipoleParams,
  type CompiledLattice,
  type StrMultipoleParams,
} from './tracking-api.js';

/** The compiled params of either method in METHODS (the bend's fields absent for the straight one). */
type LinearBodyParams = StrMultipoleParams & Partial<Pick<BendMultipoleParams, 'irho' | 'edgeEntrance' | 'edgeExit'>>;

const METHODS = new Set(['StrMPoleSymplectic4Pass', 'BndMPoleSymplectic4Pass']);

/** 'B' for PolynomB[1] / K, 'A' for PolynomA[1], else undefined. */
function gradientKind(ref: ElementParameter): 'A' | 'B' | undefined {
  if (ref.field === 'K' && ref.index === undefined) return 'B';
  if (ref.field === 'PolynomB' && ref.index === 1) return 'B';
  if (ref.field === 'PolynomA' && ref.index === 1) return 'A';
  return undefined;
}

function transverseBlockOnly(R: Float64Array | undefined): boolean {
  if (!R) return true;
  // rows 4, 5 (delta, ct) must be the identity rows: the body sees the same delta
  for (let k = 0; k < 6; k++) {
    if (R[24 + k] !== (k === 4 ? 1 : 0)) return false;
    if (R[30 + k] !== (k === 5 ? 1 : 0)) return false;
  }
  return true;
}

function sub44(R: Float64Array): Mat4 {
  const m = new Float64Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) m[4 * i + j] = R[6 * i + j];
  return m;
}

/** out = a * b (4x4, row-major); out may not alias a or b. */
function mul(a: Mat4, b: Mat4, out: Mat4): Mat4 {
  for (let i = 0; i < 4; i++) {
    const a0 = a[4 * i], a1 = a[4 * i + 1], a2 = a[4 * i + 2], a3 = a[4 * i + 3];
    for (let j = 0; j < 4; j++) out[4 * i + j] = a0 * b[j] + a1 * b[4 + j] + a2 * b[8 + j] + a3 * b[12 + j];
  }
  return out;
}

/** Edge matrix (4x4) at momentum deviation d: px += fx x, py -= fy y (fringe models 0..2). */
function edgeMatrix(edge: BendEdge, d: number, entrance: boolean): Mat4 {
  const r = new Float64Array(6);
  r[0] = 1;
  r[4] = d;
  applyBendEdge(r, edge, entrance);
  const fx = r[1];
  r.fill(0);
  r[2] = 1;
  r[4] = d;
  applyBendEdge(r, edge, entrance);
  const mfy = r[3];
  return Float64Array.of(1, 0, 0, 0, fx, 1, 0, 0, 0, 0, 1, 0, 0, 0, mfy, 1);
}

/**
 * The element's params and the number of PolynomB[1] (nB) and PolynomA[1] (nA) refs, when it
 * is a StrMPole / BndMPole element without quadrupole fringes or edge model 3 and every ref is
 * a gradient (each validated against the element); else undefined.
 */
function gradientElement(compiled: CompiledLattice, index: number, refs: readonly ElementParameter[]): { p: LinearBodyParams; nB: number; nA: number } | undefined {
  const ce = compiled.elements[index];
  if (!METHODS.has(ce.method.name)) return undefined;
  const el: AtElement = ce.element;
  let nB = 0, nA = 0;
  for (const r of refs) {
    const k = gradientKind(r);
    if (!k) return undefined;
    readParameter(el, r); // validates the field
    if (k === 'B') nB += 1;
    else nA += 1;
  }
  const p = ce.params as LinearBodyParams;
  if (p.fringe.entrance || p.fringe.exit) return undefined;
  if (Number(el.FringeQuadEntrance ?? 0) !== 0 || Number(el.FringeQuadExit ?? 0) !== 0) return undefined;
  if (p.edgeEntrance?.method === 3 || p.edgeExit?.method === 3) return undefined;
  return { p, nB, nA };
}

/** The body's NumIntSteps Forest-Ruth slices: drift(L1) kick(K1) drift(L2) kick(K2) drift(L2) kick(K1) drift(L1). */
function forestRuthBody(p: LinearBodyParams, drift: (L: number) => void, kick: (K: number) => void): void {
  for (let s = 0; s < p.steps; s++) {
    drift(p.L1);
    kick(p.K1);
    drift(p.L2);
    kick(p.K2);
    drift(p.L2);
    kick(p.K1);
    drift(p.L1);
  }
}

/**
 * The closed-form derivative, or undefined when the element is not a linear
 * thick quadrupole / combined-function bend or a ref is not a gradient.
 */
export function analyticMatrixDerivative(compiled: CompiledLattice, index: number, refs: readonly ElementParameter[], orbitIn: ArrayLike<number>): Mat4 | undefined {
  const g = gradientElement(compiled, index, refs);
  if (!g) return undefined;
  const { p, nB: dB, nA: dA } = g;
  for (let k = 2; k <= Math.min(p.maxOrder, p.B.length - 1); k++) if (p.B[k] !== 0 || p.A[k] !== 0) return undefined;
  const frame = p.frame;
  if (frame && (!transverseBlockOnly(frame.R1) || !transverseBlockOnly(frame.R2))) return undefined;
  const d = orbitIn[4] + (frame?.T1 ? frame.T1[4] : 0);
  const h = p.irho ?? 0;
  // With MaxOrder 0 the kernel ignores PolynomB/A[1], but writing the parameter raises
  // MaxOrder (parameters.ts): the derivative is that of the map with the gradient active.
  const B1 = p.B[1], A1 = p.A[1];
  const pNorm = 1 / (1 + d);
  // forward accumulation of (M, dM) through the slices
  const M = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
  const dM = new Float64Array(16);
  const drift = (L: number) => {
    const nl = L * pNorm;
    // x += nl px, y += nl py: row 0 += nl row 1, row 2 += nl row 3
    for (let j = 0; j < 4; j++) {
      M[j] += nl * M[4 + j];
      M[8 + j] += nl * M[12 + j];
      dM[j] += nl * dM[4 + j];
      dM[8 + j] += nl * dM[12 + j];
    }
  };
  const kick = (k: number) => {
    // px += -k (B1 + h^2) x + k A1 y ; py += k A1 x + k B1 y
    const pxx = -k * (B1 + h * h), pxy = k * A1, pyx = k * A1, pyy = k * B1;
    // derivative of the kick rows with the group's parameters
    const dpxx = -k * dB, dpxy = k * dA, dpyx = k * dA, dpyy = k * dB;
    for (let j = 0; j < 4; j++) {
      const x = M[j], y = M[8 + j], dx = dM[j], dy = dM[8 + j];
      dM[4 + j] += pxx * dx + pxy * dy + dpxx * x + dpxy * y;
      dM[12 + j] += pyx * dx + pyy * dy + dpyx * x + dpyy * y;
      M[4 + j] += pxx * x + pxy * y;
      M[12 + j] += pyx * x + pyy * y;
    }
  };
  forestRuthBody(p, drift, kick);
  // dM = R2 E_exit dBody E_entrance R1
  let out: Mat4 = dM;
  if (p.edgeEntrance) out = mul(out, edgeMatrix(p.edgeEntrance, d, true), new Float64Array(16));
  if (frame?.R1) out = mul(out, sub44(frame.R1), new Float64Array(16));
  if (p.edgeExit) out = mul(edgeMatrix(p.edgeExit, d, false), out, new Float64Array(16));
  if (frame?.R2) out = mul(sub44(frame.R2), out, new Float64Array(16));
  return out;
}

/*
 * The dispersion source s_e = d^2 f_e / d(eps) dK along w(eps) = (orbit + eps eta,
 * delta + eps) (orm-jacobian.ts), and t_e, the same for ct, in closed form:
 * the element's own kernel evaluated in hyper-dual numbers v + a e1 + b e2 + c e1 e2
 * (e1^2 = e2^2 = 0), e1 the dispersive direction, e2 the parameter. The e1 e2 part of
 * the exit coordinates is the mixed derivative, exact (no step) for any multipole
 * content; quadrupole fringes and edge model 3 are left to central differences.
 */
type HD = [number, number, number, number];

const hd = (v: number, a = 0, b = 0, c = 0): HD => [v, a, b, c];
const add = (x: HD, y: HD): HD => [x[0] + y[0], x[1] + y[1], x[2] + y[2], x[3] + y[3]];
const sub = (x: HD, y: HD): HD => [x[0] - y[0], x[1] - y[1], x[2] - y[2], x[3] - y[3]];
const mulH = (x: HD, y: HD): HD => [x[0] * y[0], x[0] * y[1] + x[1] * y[0], x[0] * y[2] + x[2] * y[0], x[0] * y[3] + x[1] * y[2] + x[2] * y[1] + x[3] * y[0]];
const scale = (k: number, x: HD): HD => [k * x[0], k * x[1], k * x[2], k * x[3]];

/** f(delta) as a hyper-dual number, for an f of delta only (delta = d0 + e1): (f, f', 0, 0). */
function ofDelta(delta: HD, f: number, df: number): HD {
  // delta carries only e1 (no e2, no e1 e2): f(delta) = f + f' a e1
  return [f, df * delta[1], 0, 0];
}

/** py -= y fy(delta), px += x fx (AT edge_fringe, models 0..2) in hyper-dual numbers. */
function edgeHD(r: HD[], e: BendEdge): void {
  const d0 = r[4][0];
  const d1 = 1 + d0;
  const u = e.angle - e.fringecorr / d1;
  const tu = Math.tan(u);
  const sec2 = 1 + tu * tu;
  const du = e.fringecorr / (d1 * d1); // d(u)/d(delta)
  let fy: number, dfy: number;
  if (e.method === 2) {
    fy = (e.irho * tu) / d1;
    dfy = e.irho * ((sec2 * du) / d1 - tu / (d1 * d1));
  } else {
    fy = e.irho * tu;
    dfy = e.irho * sec2 * du;
  }
  r[1] = add(r[1], scale(e.fx, r[0]));
  r[3] = sub(r[3], mulH(r[2], ofDelta(r[4], fy, dfy)));
}

function frameHD(r: HD[], T: Float64Array | undefined, R: Float64Array | undefined, order: 'TR' | 'RT'): HD[] {
  const shift = (v: HD[]) => (T ? v.map((x, k) => [x[0] + T[k], x[1], x[2], x[3]] as HD) : v);
  const rot = (v: HD[]) => (R ? v.map((_, i) => v.reduce<HD>((acc, x, k) => add(acc, scale(R[6 * i + k], x)), hd(0))) : v);
  return order === 'TR' ? rot(shift(r)) : shift(rot(r));
}

/**
 * (s_e, t_e) in closed form for StrMPoleSymplectic4Pass / BndMPoleSymplectic4Pass
 * with gradient refs (PolynomB[1] / K, PolynomA[1]); undefined otherwise.
 */
export function analyticDispersionSource(
  compiled: CompiledLattice,
  index: number,
  refs: readonly ElementParameter[],
  orbitIn: ArrayLike<number>,
  eta: ArrayLike<number>,
): { s: Float64Array; t: number } | undefined {
  const g = gradientElement(compiled, index, refs);
  if (!g) return undefined;
  const { p, nB, nA } = g;
  // MaxOrder 0: writing the gradient raises MaxOrder to 1 (parameters.ts), as in analyticMatrixDerivative
  const mo = Math.max(p.maxOrder, 1);
  const B: HD[] = Array.from(p.B, (v, k) => hd(k <= mo ? v : 0, 0, k === 1 ? nB : 0));
  const A: HD[] = Array.from(p.A, (v, k) => hd(k <= mo ? v : 0, 0, k === 1 ? nA : 0));
  const irho = p.irho ?? 0;
  let r: HD[] = [
    hd(orbitIn[0], eta[0]),
    hd(orbitIn[1], eta[1]),
    hd(orbitIn[2], eta[2]),
    hd(orbitIn[3], eta[3]),
    hd(orbitIn[4], 1),
    hd(0),
  ];
  const frame = p.frame;
  if (frame) r = frameHD(r, frame.T1, frame.R1, 'TR');
  if (p.edgeEntrance) edgeHD(r, p.edgeEntrance);
  const d = r[4];
  const d1: HD = [1 + d[0], d[1], 0, 0];
  const pNorm: HD = [1 / d1[0], -d1[1] / (d1[0] * d1[0]), 0, 0];
  const den = scale(2, d1);
  const invDen: HD = [1 / den[0], -den[1] / (den[0] * den[0]), 0, 0];
  let [x, px, y, py, , ct] = r;
  const drift = (L: number) => {
    const nl = scale(L, pNorm);
    x = add(x, mulH(nl, px));
    y = add(y, mulH(nl, py));
    ct = add(ct, mulH(mulH(nl, add(mulH(px, px), mulH(py, py))), invDen));
  };
  const kick = (k: number) => {
    let re = B[mo], im = A[mo];
    for (let j = mo - 1; j >= 0; j--) {
      const t = add(sub(mulH(re, x), mulH(im, y)), B[j]);
      im = add(add(mulH(im, x), mulH(re, y)), A[j]);
      re = t;
    }
    if (irho !== 0) {
      // px -= k (re - (delta - x h) h); ct += k h x
      px = sub(px, scale(k, sub(re, scale(irho, sub(d, scale(irho, x))))));
      ct = add(ct, scale(k * irho, x));
    } else {
      px = sub(px, scale(k, re));
    }
    py = add(py, scale(k, im));
  };
  forestRuthBody(p, drift, kick);
  r = [x, px, y, py, d, ct];
  if (p.edgeExit) edgeHD(r, p.edgeExit);
  if (frame) r = frameHD(r, frame.T2, frame.R2, 'RT');
  return { s: Float64Array.of(r[0][3], r[1][3], r[2][3], r[3][3]), t: r[5][3] };
}
