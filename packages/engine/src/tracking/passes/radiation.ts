/**
 * Pass methods with classical synchrotron radiation (pyAT's enable_6d choices):
 * StrMPoleSymplectic4RadPass, BndMPoleSymplectic4RadPass, BndMPoleSymplectic4E2RadPass,
 * Matrix66RadPass and GWigSymplecticRadPass (the latter two only where they do not radiate).
 *
 * Same slicing as the non-radiating integrators (NumIntSteps slices of the 4th-order
 * Forest-Ruth drift-kick sequence), but every kick also removes the energy radiated
 * over its length K (AT's thin radiating kicks, M. Sands (4.1)):
 *
 *   xpr = px/(1+d), ypr = py/(1+d)                       (angles are kept)
 *   |e x B|^2 = [By^2 (1+hx)^2 + Bx^2 (1+hx)^2 + (Bx ypr - By xpr)^2] / [(1+hx)^2 + xpr^2 + ypr^2]
 *   d <- d - C_RAD (1+d)^2 |e x B|^2 (1 + hx + (xpr^2 + ypr^2)/2) K,   C_RAD = C_gamma E0^3 / 2pi
 *   px = xpr (1+d), py = ypr (1+d)                      (then the usual magnetic kick)
 *
 * with B in units of 1/m (B rho normalised), By including the curvature h of a bend
 * (h = 0 for straight elements), C_gamma = 4 pi r_e / 3 (m_e c^2)^3 (CODATA 2022).
 * The drift between kicks re-evaluates 1/(1+d) (AT's drift6), since d changes at each kick.
 * The E2 variant uses the curvilinear pseudo-drift (1+hx)(px^2+py^2)/2(1+d) and its field
 * expansion to 4th order (Iselin 1985) in both |e x B|^2 and the kick; PolynomA is ignored.
 * The bend kick uses the momentum before the loss in the curvature term (AT's bndthinkickrad),
 * the E2 kick the momentum after it (AT's E2 bndthinkickrad).
 */
import { FieldReader } from '../fields.js';
import { applyBendEdge, applyE2Edge, linearQuadFringe, quadFringe } from '../fringe.js';
import type { PassMethod, RingContext } from '../types.js';
import { BndMPoleSymplectic4E2Pass, type BendE2Params } from './bend-e2.js';
import { BndMPoleSymplectic4Pass, type BendMultipoleParams } from './bend-multipole.js';
import { framed } from './framed.js';
import { DRIFT1, DRIFT2, KICK1, KICK2 } from './multipole-fields.js';
import { applyKickAngle, StrMPoleSymplectic4Pass, type StrMultipoleParams } from './str-multipole.js';
import { Matrix66Pass } from './simple.js';
import { GWigSymplecticPass, type WigglerParams } from './wiggler.js';
import type { QuadFringeSetup } from './quad-fringe-fields.js';

const TWOPI = 6.28318530717959;
/** Classical electron radius [m] and electron rest energy [GeV], CODATA 2022. */
const R_E = 2.8179403205e-15;
const ME_GEV = 0.51099895069e-3;
/** C_gamma = 4 pi r_e / 3 (m_e c^2)^3 in m/GeV^3. */
export const CGAMMA_M_PER_GEV3 = (4 * Math.PI * R_E) / (3 * ME_GEV * ME_GEV * ME_GEV);

/** C_RAD = C_gamma E0^3 / 2pi with E0 in eV (AT: CGAMMA*E0^3/(TWOPI*1e27)). */
export function radiationConstant(energyEv: number): number {
  return (CGAMMA_M_PER_GEV3 * energyEv * energyEv * energyEv) / (TWOPI * 1e27);
}

function readEnergy(f: FieldReader, ring: RingContext | undefined): number {
  const e = f.number('Energy', ring?.energy ?? 0);
  if (!(e > 0)) f.fail('Energy', f.raw('Energy') ?? e, 'a positive energy in eV (element field or ring energy) for a radiating pass method');
  return e;
}

/** x, px, y, py, d, ct of one particle while it is integrated. */
const r = new Float64Array(6);

function load(c: Float64Array, n: number, i: number): void {
  for (let k = 0; k < 6; k++) r[k] = c[k * n + i];
}
function store(c: Float64Array, n: number, i: number): void {
  for (let k = 0; k < 6; k++) c[k * n + i] = r[k];
}

function drift6(L: number): void {
  const pn = 1 / (1 + r[4]);
  const NL = L * pn;
  r[0] += NL * r[1];
  r[2] += NL * r[3];
  r[5] += (NL * pn * (r[1] * r[1] + r[3] * r[3])) / 2;
}

/** Radiating multipole kick; h = 0 straight (StrMPole), h = 1/rho in a bend (BndMPole). */
function thinKickRad(A: Float64Array, B: Float64Array, mo: number, L: number, h: number, crad: number): void {
  let re = B[mo], im = A[mo];
  for (let k = mo - 1; k >= 0; k--) {
    const t = re * r[0] - im * r[2] + B[k];
    im = im * r[0] + re * r[2] + A[k];
    re = t;
  }
  const x = r[0];
  const pn = 1 / (1 + r[4]);
  const xpr = r[1] * pn, ypr = r[3] * pn;
  const hx = 1 + x * h;
  const by = re + h, bx = im;
  const b2p = (by * by * hx * hx + bx * bx * hx * hx + (bx * ypr - by * xpr) ** 2) / (hx * hx + xpr * xpr + ypr * ypr);
  const d0 = r[4];
  r[4] = d0 - crad * (1 + d0) * (1 + d0) * b2p * (hx + (xpr * xpr + ypr * ypr) / 2) * L;
  r[1] = xpr * (1 + r[4]);
  r[3] = ypr * (1 + r[4]);
  if (h === 0) {
    r[1] -= L * re;
  } else {
    r[1] -= L * (re - (d0 - x * h) * h);
    r[5] += L * h * x;
  }
  r[3] += L * im;
}

/** The non-radiating method's compile plus the radiation constant of the element's (or ring's) energy. */
function withCrad<P>(base: PassMethod<P>): PassMethod<P & { readonly crad: number }>['compile'] {
  return (element, index, ring) => ({
    ...base.compile(element, index, ring),
    crad: radiationConstant(readEnergy(new FieldReader(element, index), ring)),
  });
}

function quadFringeAt(b1: number, fr: QuadFringeSetup, entrance: boolean): void {
  if (entrance ? !fr.entrance : !fr.exit) return;
  const lin = entrance ? fr.linearEntrance : fr.linearExit;
  if (lin) linearQuadFringe(r, b1, lin, entrance);
  else quadFringe(r, b1, entrance);
}

export interface StrMultipoleRadParams extends StrMultipoleParams {
  readonly crad: number;
}

function strRadKernel(c: Float64Array, n: number, p: StrMultipoleRadParams, alive: Uint8Array): void {
  const { A, B, maxOrder: mo, steps, crad } = p;
  const L1 = p.L1, L2 = p.L2, K1 = p.K1, K2 = p.K2;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    load(c, n, i);
    quadFringeAt(B[1], p.fringe, true);
    for (let m = 0; m < steps; m++) {
      drift6(L1);
      thinKickRad(A, B, mo, K1, 0, crad);
      drift6(L2);
      thinKickRad(A, B, mo, K2, 0, crad);
      drift6(L2);
      thinKickRad(A, B, mo, K1, 0, crad);
      drift6(L1);
    }
    quadFringeAt(B[1], p.fringe, false);
    store(c, n, i);
  }
}

export const StrMPoleSymplectic4RadPass: PassMethod<StrMultipoleRadParams> = {
  name: 'StrMPoleSymplectic4RadPass',
  compile: withCrad(StrMPoleSymplectic4Pass),
  track: framed(strRadKernel, { entrance: true, exit: true }),
};

export interface BendMultipoleRadParams extends BendMultipoleParams {
  readonly crad: number;
}

function bendRadKernel(c: Float64Array, n: number, p: BendMultipoleRadParams, alive: Uint8Array): void {
  const { A, B, maxOrder: mo, steps, irho, crad, L1, L2, K1, K2 } = p;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    load(c, n, i);
    applyBendEdge(r, p.edgeEntrance, true);
    quadFringeAt(B[1], p.fringe, true);
    for (let m = 0; m < steps; m++) {
      drift6(L1);
      thinKickRad(A, B, mo, K1, irho, crad);
      drift6(L2);
      thinKickRad(A, B, mo, K2, irho, crad);
      drift6(L2);
      thinKickRad(A, B, mo, K1, irho, crad);
      drift6(L1);
    }
    quadFringeAt(B[1], p.fringe, false);
    applyBendEdge(r, p.edgeExit, false);
    store(c, n, i);
  }
}

export const BndMPoleSymplectic4RadPass: PassMethod<BendMultipoleRadParams> = {
  name: 'BndMPoleSymplectic4RadPass',
  compile: withCrad(BndMPoleSymplectic4Pass),
  track: framed(bendRadKernel, { entrance: true, exit: true }),
};

export interface BendE2RadParams extends BendE2Params {
  readonly A: Float64Array;
  readonly crad: number;
}

/** Pseudo-drift of H1 = (1+hx)(px^2+py^2)/2(1+d) (AT's ATbendhxdrift6). */
function bendHxDrift6(L: number, h: number): void {
  const hs = h * L;
  const i1pd = 1 / (1 + r[4]);
  const x = r[0], px = r[1], py = r[3];
  r[0] += (1 + h * x) * px * i1pd * L + 0.25 * hs * L * (px * px - py * py) * i1pd * i1pd;
  r[1] -= (hs * (px * px + py * py) * i1pd) / 2;
  r[2] += (1 + h * x) * i1pd * py * L * (1 + (px * hs) / 2);
  r[5] += ((1 + h * x) * i1pd * i1pd * L) / 2 * (px * px + py * py);
}

function e2KickRad(B: Float64Array, mo: number, L: number, h: number, crad: number): void {
  const q1 = B[1];
  const q2 = mo >= 2 ? B[2] : 0;
  let re = B[mo], im = 0;
  for (let k = mo - 1; k >= 0; k--) {
    const t = re * r[0] - im * r[2] + B[k];
    im = im * r[0] + re * r[2];
    re = t;
  }
  const x = r[0], y = r[2];
  const pn = 1 / (1 + r[4]);
  const xpr = r[1] * pn, ypr = r[3] * pn;
  im += (h * (q1 * h - q2) * y * y * y) / 6;
  re += (-q1 * h * y * y) / 2 + (h * (q1 * h - q2) * x * y * y) / 2;
  const hx = 1 + x * h;
  const by = re + h, bx = im;
  const b2p = (by * by * hx * hx + bx * bx * hx * hx + (bx * ypr - by * xpr) ** 2) / (hx * hx + xpr * xpr + ypr * ypr);
  const d0 = r[4];
  r[4] = d0 - crad * (1 + d0) * (1 + d0) * b2p * (hx + (xpr * xpr + ypr * ypr) / 2) * L;
  r[1] = xpr * (1 + r[4]);
  r[3] = ypr * (1 + r[4]);
  r[1] -= L * (-h * r[4] + re + h * (h * x + q1 * (x * x - 0.5 * y * y) + q2 * (x * x * x - (4 / 3) * x * y * y)));
  r[3] += L * (im + h * (q1 * x * y + (4 / 3) * q2 * x * x * y + (h / 6 * q1 - q2 / 3) * y * y * y));
  r[5] += L * h * x;
}

function e2RadKernel(c: Float64Array, n: number, p: BendE2RadParams, alive: Uint8Array): void {
  const { B, maxOrder: mo, steps, h, crad, L1, L2, K1, K2 } = p;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    load(c, n, i);
    applyE2Edge(r, p.edgeEntrance);
    for (let m = 0; m < steps; m++) {
      bendHxDrift6(L1, h);
      e2KickRad(B, mo, K1, h, crad);
      bendHxDrift6(L2, h);
      e2KickRad(B, mo, K2, h, crad);
      bendHxDrift6(L2, h);
      e2KickRad(B, mo, K1, h, crad);
      bendHxDrift6(L1, h);
    }
    applyE2Edge(r, p.edgeExit);
    store(c, n, i);
  }
}

export const BndMPoleSymplectic4E2RadPass: PassMethod<BendE2RadParams> = {
  name: 'BndMPoleSymplectic4E2RadPass',
  compile(element, index, ring) {
    const base = BndMPoleSymplectic4E2Pass.compile(element, index, ring);
    const f = new FieldReader(element, index);
    const B = Float64Array.from(base.B);
    const A = new Float64Array(B.length);
    applyKickAngle(f, A, B, f.number('Length'));
    return { ...base, B, A, crad: radiationConstant(readEnergy(f, ring)) };
  },
  track: framed(e2RadKernel, { entrance: true, exit: true }),
};

/** Matrix66RadPass: the matrix as Matrix66Pass (an M66 element carries no radiation of its own here). */
export const Matrix66RadPass: PassMethod<Parameters<typeof Matrix66Pass.track>[2]> = {
  ...Matrix66Pass,
  name: 'Matrix66RadPass',
};

/** GWigSymplecticRadPass: accepted where the wiggler does not radiate (Bmax = 0); otherwise a clear error. */
export const GWigSymplecticRadPass: PassMethod<WigglerParams> = {
  name: 'GWigSymplecticRadPass',
  compile(element, index, ring) {
    const f = new FieldReader(element, index);
    if (f.number('Bmax') !== 0) {
      f.fail('Bmax', f.raw('Bmax'), 'Bmax = 0 (radiation in wigglers is not implemented by this engine; use GWigSymplecticPass)');
    }
    return GWigSymplecticPass.compile(element, index, ring);
  },
  track: GWigSymplecticPass.track,
};
