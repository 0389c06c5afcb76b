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

/**
 * NumIntSteps radiating slices of a straight (h = 0) or bent (h = 1/rho) multipole on `r`
 * (drift6, then AT's thin radiating kick; see the file header), the particle in locals: the
 * bend kick uses the momentum before the loss in its curvature term (AT's bndthinkickrad).
 */
function radSlices(A: Float64Array, B: Float64Array, mo: number, steps: number, L1: number, L2: number, K1: number, K2: number, h: number, crad: number): void {
  let x = r[0], px = r[1], y = r[2], py = r[3], d = r[4], ct = r[5];
  const bm = B[mo], am = A[mo];
  for (let m = 0; m < steps; m++) {
    for (let j = 0; j < 3; j++) {
      const L = j === 0 ? L1 : L2;
      const K = j === 1 ? K2 : K1;
      // drift6(L); its 1/(1+d) serves the kick too (d is unchanged between them)
      const pn = 1 / (1 + d);
      const NL = L * pn;
      x += NL * px;
      y += NL * py;
      ct += (NL * pn * (px * px + py * py)) / 2;
      // thinKickRad(K)
      let re = bm, im = am;
      for (let k = mo - 1; k >= 0; k--) {
        const t = re * x - im * y + B[k];
        im = im * x + re * y + A[k];
        re = t;
      }
      const xpr = px * pn, ypr = py * pn;
      const hx = 1 + x * h;
      const by = re + h, bx = im;
      const cr = bx * ypr - by * xpr;
      const b2p = (by * by * hx * hx + bx * bx * hx * hx + cr * cr) / (hx * hx + xpr * xpr + ypr * ypr);
      const d0 = d;
      const opd = 1 + d0;
      d = d0 - crad * opd * opd * b2p * (hx + (xpr * xpr + ypr * ypr) / 2) * K;
      px = xpr * (1 + d);
      py = ypr * (1 + d);
      if (h === 0) {
        px -= K * re;
      } else {
        px -= K * (re - (d0 - x * h) * h);
        ct += K * h * x;
      }
      py += K * im;
    }
    // drift6(L1)
    const pn = 1 / (1 + d);
    const NL = L1 * pn;
    x += NL * px;
    y += NL * py;
    ct += (NL * pn * (px * px + py * py)) / 2;
  }
  r[0] = x; r[1] = px; r[2] = y; r[3] = py; r[4] = d; r[5] = ct;
}

function strRadKernel(c: Float64Array, n: number, p: StrMultipoleRadParams, alive: Uint8Array): void {
  const { A, B, maxOrder: mo, steps, crad } = p;
  const L1 = p.L1, L2 = p.L2, K1 = p.K1, K2 = p.K2;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    load(c, n, i);
    quadFringeAt(B[1], p.fringe, true);
    radSlices(A, B, mo, steps, L1, L2, K1, K2, 0, crad);
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
    radSlices(A, B, mo, steps, L1, L2, K1, K2, irho, crad);
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

/**
 * NumIntSteps radiating E2 slices on `r`, the particle in locals: the pseudo-drift of
 * H1 = (1+hx)(px^2+py^2)/2(1+d) (AT's ATbendhxdrift6) and the radiating kick with the field
 * expanded to 4th order (AT's E2 bndthinkickrad: the curvature term with the momentum after the loss).
 */
function e2RadSlices(B: Float64Array, mo: number, steps: number, L1: number, L2: number, K1: number, K2: number, h: number, crad: number): void {
  let x = r[0], px = r[1], y = r[2], py = r[3], d = r[4], ct = r[5];
  const q1 = B[1];
  const q2 = mo >= 2 ? B[2] : 0;
  const bm = B[mo];
  for (let m = 0; m < steps; m++) {
    for (let j = 0; j < 4; j++) {
      // bendHxDrift6(L, h)
      const L = j === 0 || j === 3 ? L1 : L2;
      const hs = h * L;
      const i1pd = 1 / (1 + d);
      const x0 = x, px0 = px, py0 = py;
      x += (1 + h * x0) * px0 * i1pd * L + 0.25 * hs * L * (px0 * px0 - py0 * py0) * i1pd * i1pd;
      px -= (hs * (px0 * px0 + py0 * py0) * i1pd) / 2;
      y += (1 + h * x0) * i1pd * py0 * L * (1 + (px0 * hs) / 2);
      ct += ((1 + h * x0) * i1pd * i1pd * L) / 2 * (px0 * px0 + py0 * py0);
      if (j === 3) break;
      // e2KickRad(K, h); d is unchanged since the drift, so 1/(1+d) is i1pd
      const K = j === 1 ? K2 : K1;
      let re = bm, im = 0;
      for (let k = mo - 1; k >= 0; k--) {
        const t = re * x - im * y + B[k];
        im = im * x + re * y;
        re = t;
      }
      const xpr = px * i1pd, ypr = py * i1pd;
      im += (h * (q1 * h - q2) * y * y * y) / 6;
      re += (-q1 * h * y * y) / 2 + (h * (q1 * h - q2) * x * y * y) / 2;
      const hx = 1 + x * h;
      const by = re + h, bx = im;
      const cr = bx * ypr - by * xpr;
      const b2p = (by * by * hx * hx + bx * bx * hx * hx + cr * cr) / (hx * hx + xpr * xpr + ypr * ypr);
      const d0 = d;
      d = d0 - crad * (1 + d0) * (1 + d0) * b2p * (hx + (xpr * xpr + ypr * ypr) / 2) * K;
      px = xpr * (1 + d);
      py = ypr * (1 + d);
      px -= K * (-h * d + re + h * (h * x + q1 * (x * x - 0.5 * y * y) + q2 * (x * x * x - (4 / 3) * x * y * y)));
      py += K * (im + h * (q1 * x * y + (4 / 3) * q2 * x * x * y + (h / 6 * q1 - q2 / 3) * y * y * y));
      ct += K * h * x;
    }
  }
  r[0] = x; r[1] = px; r[2] = y; r[3] = py; r[4] = d; r[5] = ct;
}

function e2RadKernel(c: Float64Array, n: number, p: BendE2RadParams, alive: Uint8Array): void {
  const { B, maxOrder: mo, steps, h, crad, L1, L2, K1, K2 } = p;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    load(c, n, i);
    applyE2Edge(r, p.edgeEntrance);
    e2RadSlices(B, mo, steps, L1, L2, K1, K2, h, crad);
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
