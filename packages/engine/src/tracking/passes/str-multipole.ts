/**
 * StrMPoleSymplectic4Pass: straight multipole, 4th-order symplectic integration
 * (NumIntSteps slices of drift-kick-drift-kick-drift-kick-drift), quadrupole fringes,
 * KickAngle as PolynomB[0] -= sin(kx)/L, PolynomA[0] += sin(ky)/L.
 */
import { FieldReader } from '../fields.js';
import { readFrame, type Frame } from '../frame.js';
import { linearQuadFringe, quadFringe } from '../fringe.js';
import type { PassMethod } from '../types.js';
import { framed } from './framed.js';
import { DRIFT1, DRIFT2, KICK1, KICK2, readMultipole, readSteps, rejectFieldScaling } from './multipole-fields.js';
import { readQuadFringe, type QuadFringeSetup } from './quad-fringe-fields.js';

export interface StrMultipoleParams {
  readonly A: Float64Array;
  readonly B: Float64Array;
  readonly maxOrder: number;
  readonly steps: number;
  readonly L1: number;
  readonly L2: number;
  readonly K1: number;
  readonly K2: number;
  readonly fringe: QuadFringeSetup;
  readonly frame: Frame | undefined;
}

/** Applies KickAngle to the dipole terms as AT's thick multipoles do (needs a non-zero length). */
export function applyKickAngle(f: FieldReader, A: Float64Array, B: Float64Array, length: number): void {
  const kick = f.vector('KickAngle', 2);
  if (!kick) return;
  if (length === 0) f.fail('KickAngle', f.raw('KickAngle'), 'no KickAngle on a zero-length element (AT divides by Length)');
  B[0] -= Math.sin(kick[0]) / length;
  A[0] += Math.sin(kick[1]) / length;
}

export function sliceConstants(length: number, steps: number): { L1: number; L2: number; K1: number; K2: number } {
  const SL = length / steps;
  return { L1: SL * DRIFT1, L2: SL * DRIFT2, K1: SL * KICK1, K2: SL * KICK2 };
}

const scratch = new Float64Array(6);

function fringeAt(c: Float64Array, n: number, i: number, b1: number, fr: QuadFringeSetup, entrance: boolean): void {
  const r = scratch;
  for (let k = 0; k < 6; k++) r[k] = c[k * n + i];
  const lin = entrance ? fr.linearEntrance : fr.linearExit;
  if (lin) linearQuadFringe(r, b1, lin, entrance);
  else quadFringe(r, b1, entrance);
  for (let k = 0; k < 6; k++) c[k * n + i] = r[k];
}

/**
 * Slices outermost, particles inside: the particles' independent dependency chains
 * overlap in the CPU (each slice is bit-identical to AT's per-particle loop).
 */
function strKernel(c: Float64Array, n: number, p: StrMultipoleParams, alive: Uint8Array): void {
  const { A, B, maxOrder: mo, steps, L1, L2, K1, K2, fringe } = p;
  const b1 = B[1];
  const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
  if (fringe.entrance) for (let i = 0; i < n; i++) if (alive[i] !== 0) fringeAt(c, n, i, b1, fringe, true);
  const bm = B[mo], am = A[mo];
  for (let m = 0; m < steps; m++) {
    for (let i = 0; i < n; i++) {
      if (alive[i] === 0) continue;
      let x = c[i], px = c[o1 + i], y = c[o2 + i], py = c[o3 + i], ct = c[o5 + i];
      const d = c[o4 + i];
      const pNorm = 1.0 / (1.0 + d);
      const NL1 = L1 * pNorm, NL2 = L2 * pNorm;
      const den = 2 * (1 + d);
      let re: number, im: number, t: number, k: number;
      x += NL1 * px;
      y += NL1 * py;
      ct += (NL1 * (px * px + py * py)) / den;
      re = bm; im = am;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y + A[k]; re = t; }
      px -= K1 * re;
      py += K1 * im;
      x += NL2 * px;
      y += NL2 * py;
      ct += (NL2 * (px * px + py * py)) / den;
      re = bm; im = am;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y + A[k]; re = t; }
      px -= K2 * re;
      py += K2 * im;
      x += NL2 * px;
      y += NL2 * py;
      ct += (NL2 * (px * px + py * py)) / den;
      re = bm; im = am;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y + A[k]; re = t; }
      px -= K1 * re;
      py += K1 * im;
      x += NL1 * px;
      y += NL1 * py;
      ct += (NL1 * (px * px + py * py)) / den;
      c[i] = x; c[o1 + i] = px; c[o2 + i] = y; c[o3 + i] = py; c[o5 + i] = ct;
    }
  }
  if (fringe.exit) for (let i = 0; i < n; i++) if (alive[i] !== 0) fringeAt(c, n, i, b1, fringe, false);
}

export const StrMPoleSymplectic4Pass: PassMethod<StrMultipoleParams> = {
  name: 'StrMPoleSymplectic4Pass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    rejectFieldScaling(f);
    const length = f.number('Length');
    if (length < 0) f.fail('Length', f.raw('Length'), 'a length >= 0');
    const { A, B, maxOrder } = readMultipole(f);
    const steps = readSteps(f);
    applyKickAngle(f, A, B, length);
    return {
      A, B, maxOrder, steps, ...sliceConstants(length, steps),
      fringe: readQuadFringe(f, B[1]),
      frame: readFrame(f, { misalignment: true, apertures: true }),
    };
  },
  track: framed(strKernel, { entrance: true, exit: true }),
};
