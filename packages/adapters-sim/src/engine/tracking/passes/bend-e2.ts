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

function e2Kernel(c: Float64Array, n: number, p: BendE2Params, alive: Uint8Array): void {
  const { B, maxOrder: mo, steps, h, L1, L2, K1, K2 } = p;
  const q1 = B[1];
  const q2 = mo >= 2 ? B[2] : 0;
  const c6 = h / 6.0 * q1 - q2 / 3.0;
  const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    edgeAt(c, n, i, p.edgeEntrance);
    let x = c[i], px = c[o1 + i], y = c[o2 + i], py = c[o3 + i], ct = c[o5 + i];
    const d = c[o4 + i];
    for (let m = 0; m < steps; m++) {
      for (let s = 0; s < 4; s++) {
        // pseudo-drift with H1 = (1+hx)(px^2+py^2)/2(1+delta)
        const L = s === 0 || s === 3 ? L1 : L2;
        const hs = h * L;
        const i1pd = 1.0 / (1 + d);
        const x0 = x, px0 = px, py0 = py;
        x += (1 + h * x0) * px0 * i1pd * L + 0.25 * hs * L * (px0 * px0 - py0 * py0) * i1pd * i1pd;
        px -= (hs * (px0 * px0 + py0 * py0) * i1pd) / 2.0;
        y += (1.0 + h * x0) * i1pd * py0 * L * (1 + (px0 * hs) / 2.0);
        ct += (((1.0 + h * x0) * i1pd * i1pd * L) / 2.0) * (px0 * px0 + py0 * py0);
        if (s === 3) break;
        // kick
        const KL = s === 1 ? K2 : K1;
        let re = B[mo], im = 0;
        for (let k = mo - 1; k >= 0; k--) {
          const t = re * x - im * y + B[k];
          im = im * x + re * y;
          re = t;
        }
        px -= KL * (-h * d + re + h * (h * x + q1 * (x * x - 0.5 * y * y) + q2 * (x * x * x - (4.0 / 3.0) * x * y * y)));
        py += KL * (im + h * (q1 * x * y + (4.0 / 3.0) * q2 * x * x * y + c6 * y * y * y));
        ct += KL * h * x;
      }
    }
    c[i] = x; c[o1 + i] = px; c[o2 + i] = y; c[o3 + i] = py; c[o5 + i] = ct;
    edgeAt(c, n, i, p.edgeExit);
  }
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
