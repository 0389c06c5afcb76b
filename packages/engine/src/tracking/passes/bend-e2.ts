/**
 * BndMPoleSymplectic4E2Pass: sector bend integrated with the curvilinear (1+hx)
 * pseudo-drift and a kick with the vector potential expanded to 4th order
 * (PolynomA is ignored, as in AT), with second-order edge maps (H1/H2 pole-face curvature).
 */
import { FieldReader } from '../fields.js';
import { readFrame, type Frame } from '../frame.js';
import { applyE2Edge, e2Edge, type E2Edge } from '../fringe.js';
import type { PassMethod } from '../types.js';
import { readBendGeometry } from './bend-multipole.js';
import { framed } from './framed.js';
import { readMultipole, readSteps } from './multipole-fields.js';
import { sliceConstants } from './str-multipole.js';

export interface BendE2Params {
  readonly B: Float64Array;
  readonly maxOrder: number;
  readonly steps: number;
  readonly h: number;
  readonly L1: number;
  readonly L2: number;
  readonly K1: number;
  readonly K2: number;
  readonly edgeEntrance: E2Edge;
  readonly edgeExit: E2Edge;
  readonly frame: Frame | undefined;
}

const scratch = new Float64Array(6);

function edgeAt(c: Float64Array, n: number, i: number, e: E2Edge): void {
  const r = scratch;
  for (let k = 0; k < 4; k++) r[k] = c[k * n + i];
  applyE2Edge(r, e);
  for (let k = 0; k < 4; k++) c[k * n + i] = r[k];
}

/** Slices outermost, particles inside (see the straight multipole); bit-identical to AT's loop. */
/**
 * Slices outermost, particles inside (see the straight multipole). Products AT computes
 * several times are computed once: the results are bit-identical to AT's loop.
 */
function e2Kernel(c: Float64Array, n: number, p: BendE2Params, alive: Uint8Array): void {
  const { B, maxOrder: mo, steps, h, L1, L2, K1, K2 } = p;
  const q1 = B[1];
  const q2 = mo >= 2 ? B[2] : 0;
  const q2f = (4.0 / 3.0) * q2;
  const c6 = h / 6.0 * q1 - q2 / 3.0;
  const bm = B[mo];
  const hs1 = h * L1, hs2 = h * L2;
  const qL1 = 0.25 * hs1 * L1, qL2 = 0.25 * hs2 * L2;
  const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
  for (let i = 0; i < n; i++) if (alive[i] !== 0) edgeAt(c, n, i, p.edgeEntrance);
  for (let m = 0; m < steps; m++) {
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0) continue;
      let x = c[i], px = c[o1 + i], y = c[o2 + i], py = c[o3 + i], ct = c[o5 + i];
      const d = c[o4 + i];
      const i1pd = 1.0 / (1 + d);
      const mhd = -h * d;
      let x0: number, px0: number, py0: number, hx1: number, pxx: number, pyy: number;
      let re: number, im: number, t: number, k: number, xx: number;
      // pseudo-drift L1: H1 = (1+hx)(px^2+py^2)/2(1+delta)
      x0 = x; px0 = px; py0 = py;
      hx1 = 1 + h * x0; pxx = px0 * px0; pyy = py0 * py0;
      x += hx1 * px0 * i1pd * L1 + qL1 * (pxx - pyy) * i1pd * i1pd;
      px -= (hs1 * (pxx + pyy) * i1pd) / 2.0;
      y += hx1 * i1pd * py0 * L1 * (1 + (px0 * hs1) / 2.0);
      ct += ((hx1 * i1pd * i1pd * L1) / 2.0) * (pxx + pyy);
      re = bm; im = 0;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y; re = t; }
      xx = x * x;
      px -= K1 * (mhd + re + h * (h * x + q1 * (xx - 0.5 * y * y) + q2 * (xx * x - (4.0 / 3.0) * x * y * y)));
      py += K1 * (im + h * (q1 * x * y + q2f * x * x * y + c6 * y * y * y));
      ct += K1 * h * x;
      // pseudo-drift L2: H1 = (1+hx)(px^2+py^2)/2(1+delta)
      x0 = x; px0 = px; py0 = py;
      hx1 = 1 + h * x0; pxx = px0 * px0; pyy = py0 * py0;
      x += hx1 * px0 * i1pd * L2 + qL2 * (pxx - pyy) * i1pd * i1pd;
      px -= (hs2 * (pxx + pyy) * i1pd) / 2.0;
      y += hx1 * i1pd * py0 * L2 * (1 + (px0 * hs2) / 2.0);
      ct += ((hx1 * i1pd * i1pd * L2) / 2.0) * (pxx + pyy);
      re = bm; im = 0;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y; re = t; }
      xx = x * x;
      px -= K2 * (mhd + re + h * (h * x + q1 * (xx - 0.5 * y * y) + q2 * (xx * x - (4.0 / 3.0) * x * y * y)));
      py += K2 * (im + h * (q1 * x * y + q2f * x * x * y + c6 * y * y * y));
      ct += K2 * h * x;
      // pseudo-drift L2: H1 = (1+hx)(px^2+py^2)/2(1+delta)
      x0 = x; px0 = px; py0 = py;
      hx1 = 1 + h * x0; pxx = px0 * px0; pyy = py0 * py0;
      x += hx1 * px0 * i1pd * L2 + qL2 * (pxx - pyy) * i1pd * i1pd;
      px -= (hs2 * (pxx + pyy) * i1pd) / 2.0;
      y += hx1 * i1pd * py0 * L2 * (1 + (px0 * hs2) / 2.0);
      ct += ((hx1 * i1pd * i1pd * L2) / 2.0) * (pxx + pyy);
      re = bm; im = 0;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y; re = t; }
      xx = x * x;
      px -= K1 * (mhd + re + h * (h * x + q1 * (xx - 0.5 * y * y) + q2 * (xx * x - (4.0 / 3.0) * x * y * y)));
      py += K1 * (im + h * (q1 * x * y + q2f * x * x * y + c6 * y * y * y));
      ct += K1 * h * x;
      // pseudo-drift L1: H1 = (1+hx)(px^2+py^2)/2(1+delta)
      x0 = x; px0 = px; py0 = py;
      hx1 = 1 + h * x0; pxx = px0 * px0; pyy = py0 * py0;
      x += hx1 * px0 * i1pd * L1 + qL1 * (pxx - pyy) * i1pd * i1pd;
      px -= (hs1 * (pxx + pyy) * i1pd) / 2.0;
      y += hx1 * i1pd * py0 * L1 * (1 + (px0 * hs1) / 2.0);
      ct += ((hx1 * i1pd * i1pd * L1) / 2.0) * (pxx + pyy);
      c[i] = x; c[o1 + i] = px; c[o2 + i] = y; c[o3 + i] = py; c[o5 + i] = ct;
    }
  }
  for (let i = 0; i < n; i++) if (alive[i] !== 0) edgeAt(c, n, i, p.edgeExit);
}

export const BndMPoleSymplectic4E2Pass: PassMethod<BendE2Params> = {
  name: 'BndMPoleSymplectic4E2Pass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    const g = readBendGeometry(f);
    const { B, maxOrder } = readMultipole(f);
    const steps = readSteps(f);
    const h1 = f.number('H1', 0);
    const h2 = f.number('H2', 0);
    const use1 = !(g.fint1 === 0 || g.gap === 0);
    const use2 = !(g.fint2 === 0 || g.gap === 0);
    return {
      B, maxOrder, steps, h: g.irho, ...sliceConstants(g.length, steps),
      edgeEntrance: e2Edge(g.irho, g.entranceAngle, use1 ? g.fint1 : 0, use1 ? g.gap : 0, h1, B[1], true),
      edgeExit: e2Edge(g.irho, g.exitAngle, use2 ? g.fint2 : 0, use2 ? g.gap : 0, h2, B[1], false),
      frame: readFrame(f, { misalignment: true, apertures: true }),
    };
  },
  track: framed(e2Kernel, { entrance: true, exit: true }),
};
