/**
 * BndMPoleSymplectic4Pass: sector bend with multipoles in the curved frame,
 * 4th-order symplectic integration, edge focusing with the fringe correction
 * (FringeBendEntrance/Exit 0..3, FullGap, FringeInt1/2), quadrupole fringes, KickAngle.
 */
import { FieldReader } from '../fields.js';
import { readFrame, type Frame } from '../frame.js';
import { applyBendEdge, bendEdge, linearQuadFringe, quadFringe, type BendEdge } from '../fringe.js';
import type { PassMethod } from '../types.js';
import { framed } from './framed.js';
import { readMultipole, readSteps, rejectFieldScaling } from './multipole-fields.js';
import { readQuadFringe, type QuadFringeSetup } from './quad-fringe-fields.js';
import { applyKickAngle, sliceConstants } from './str-multipole.js';

export interface BendGeometry {
  readonly length: number;
  readonly irho: number;
  readonly entranceAngle: number;
  readonly exitAngle: number;
  readonly fint1: number;
  readonly fint2: number;
  readonly gap: number;
}

/** Length (> 0), BendingAngle, EntranceAngle, ExitAngle, FringeInt1/2 and FullGap (default 0). */
export function readBendGeometry(f: FieldReader): BendGeometry {
  const length = f.number('Length');
  if (!(length > 0)) f.fail('Length', f.raw('Length'), `a length > 0 for a bend pass method (${f.element.PassMethod} divides BendingAngle by Length)`);
  const angle = f.number('BendingAngle');
  return {
    length,
    irho: angle / length,
    entranceAngle: f.number('EntranceAngle', 0),
    exitAngle: f.number('ExitAngle', 0),
    fint1: f.number('FringeInt1', 0),
    fint2: f.number('FringeInt2', 0),
    gap: f.number('FullGap', 0),
  };
}

export interface BendMultipoleParams {
  readonly A: Float64Array;
  readonly B: Float64Array;
  readonly maxOrder: number;
  readonly steps: number;
  readonly irho: number;
  readonly L1: number;
  readonly L2: number;
  readonly K1: number;
  readonly K2: number;
  readonly edgeEntrance: BendEdge;
  readonly edgeExit: BendEdge;
  readonly fringe: QuadFringeSetup;
  readonly frame: Frame | undefined;
}

const scratch = new Float64Array(6);

function edgeAt(c: Float64Array, n: number, i: number, p: BendMultipoleParams, entrance: boolean): void {
  const r = scratch;
  for (let k = 0; k < 6; k++) r[k] = c[k * n + i];
  const b1 = p.B[1];
  if (entrance) {
    applyBendEdge(r, p.edgeEntrance, true);
    if (p.fringe.entrance) {
      if (p.fringe.linearEntrance) linearQuadFringe(r, b1, p.fringe.linearEntrance, true);
      else quadFringe(r, b1, true);
    }
  } else {
    if (p.fringe.exit) {
      if (p.fringe.linearExit) linearQuadFringe(r, b1, p.fringe.linearExit, false);
      else quadFringe(r, b1, false);
    }
    applyBendEdge(r, p.edgeExit, false);
  }
  for (let k = 0; k < 6; k++) c[k * n + i] = r[k];
}

/** Slices outermost, particles inside (see strKernel); bit-identical to AT's per-particle loop. */
function bendKernel(c: Float64Array, n: number, p: BendMultipoleParams, alive: Uint8Array): void {
  const { A, B, maxOrder: mo, steps, irho, L1, L2, K1, K2 } = p;
  const o1 = n, o2 = 2 * n, o3 = 3 * n, o4 = 4 * n, o5 = 5 * n;
  for (let i = 0; i < n; i++) if (alive[i] !== 0) edgeAt(c, n, i, p, true);
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
      px -= K1 * (re - (d - x * irho) * irho);
      py += K1 * im;
      ct += K1 * irho * x;
      x += NL2 * px;
      y += NL2 * py;
      ct += (NL2 * (px * px + py * py)) / den;
      re = bm; im = am;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y + A[k]; re = t; }
      px -= K2 * (re - (d - x * irho) * irho);
      py += K2 * im;
      ct += K2 * irho * x;
      x += NL2 * px;
      y += NL2 * py;
      ct += (NL2 * (px * px + py * py)) / den;
      re = bm; im = am;
      for (k = mo - 1; k >= 0; k--) { t = re * x - im * y + B[k]; im = im * x + re * y + A[k]; re = t; }
      px -= K1 * (re - (d - x * irho) * irho);
      py += K1 * im;
      ct += K1 * irho * x;
      x += NL1 * px;
      y += NL1 * py;
      ct += (NL1 * (px * px + py * py)) / den;
      c[i] = x; c[o1 + i] = px; c[o2 + i] = y; c[o3 + i] = py; c[o5 + i] = ct;
    }
  }
  for (let i = 0; i < n; i++) if (alive[i] !== 0) edgeAt(c, n, i, p, false);
}

function fringeModel(f: FieldReader, field: string): number {
  const m = f.integer(field, 1);
  if (m > 3) f.fail(field, f.raw(field), '0, 1, 2 or 3');
  return m;
}

export const BndMPoleSymplectic4Pass: PassMethod<BendMultipoleParams> = {
  name: 'BndMPoleSymplectic4Pass',
  compile(element, index) {
    const f = new FieldReader(element, index);
    rejectFieldScaling(f);
    const g = readBendGeometry(f);
    const { A, B, maxOrder } = readMultipole(f);
    const steps = readSteps(f);
    applyKickAngle(f, A, B, g.length);
    return {
      A, B, maxOrder, steps, irho: g.irho, ...sliceConstants(g.length, steps),
      edgeEntrance: bendEdge(g.irho, g.entranceAngle, g.fint1, g.gap, fringeModel(f, 'FringeBendEntrance')),
      edgeExit: bendEdge(g.irho, g.exitAngle, g.fint2, g.gap, fringeModel(f, 'FringeBendExit')),
      fringe: readQuadFringe(f, B[1]),
      frame: readFrame(f, { misalignment: true, apertures: true }),
    };
  },
  track: framed(bendKernel, { entrance: true, exit: true }),
};
