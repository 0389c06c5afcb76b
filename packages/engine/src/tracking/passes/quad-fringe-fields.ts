/** FringeQuadEntrance/Exit (0, 1, 2) and the linear fringe integrals fringeIntM0/fringeIntP0. */
import type { FieldReader } from '../fields.js';
import { linearQuadFringeEntrance, linearQuadFringeExit, type LinearQuadFringe } from '../fringe.js';

export interface QuadFringeSetup {
  /** Apply the quadrupole fringe at the entrance (AT: FringeQuadEntrance && B[1] != 0). */
  readonly entrance: boolean;
  readonly exit: boolean;
  /** Elegant-like linear fringe (model 2 with both integral vectors present), else undefined. */
  readonly linearEntrance: LinearQuadFringe | undefined;
  readonly linearExit: LinearQuadFringe | undefined;
}

export function readQuadFringe(f: FieldReader, b1: number): QuadFringeSetup {
  const fe = f.integer('FringeQuadEntrance', 0);
  const fx = f.integer('FringeQuadExit', 0);
  if (fe > 2) f.fail('FringeQuadEntrance', f.raw('FringeQuadEntrance'), '0, 1 or 2');
  if (fx > 2) f.fail('FringeQuadExit', f.raw('FringeQuadExit'), '0, 1 or 2');
  const m0 = f.vector('fringeIntM0', 5);
  const p0 = f.vector('fringeIntP0', 5);
  const both = m0 !== undefined && p0 !== undefined;
  return {
    entrance: fe !== 0 && b1 !== 0,
    exit: fx !== 0 && b1 !== 0,
    linearEntrance: both && fe === 2 ? linearQuadFringeEntrance(b1, m0, p0) : undefined,
    linearExit: both && fx === 2 ? linearQuadFringeExit(b1, m0, p0) : undefined,
  };
}
