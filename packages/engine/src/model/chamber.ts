/**
 * A default vacuum-chamber aperture for the elements that have none of their own:
 * AT's EApertures (elliptical half-axes) or RApertures (centred rectangle), chosen
 * per AT element class, else a default. Only pass methods that honour these fields
 * check them (as in pyAT: drifts, multipoles, bends, IdentityPass markers; not
 * CorrectorPass, Matrix66Pass, wigglers, solenoids).
 */
import { MlayerError } from '@mlayer/core';
import type { Lattice } from '../lattice.js';

export interface ApertureSpec {
  readonly shape: 'elliptical' | 'rectangular';
  /** [horizontal, vertical] half-sizes in m. */
  readonly halfSizes: readonly [number, number];
}

/** The chamber of a facility: an aperture per AT class, and one for the other elements. */
export interface ChamberSpec {
  readonly default?: ApertureSpec;
  readonly classes?: Readonly<Record<string, ApertureSpec>>;
}

function checkSpec(a: ApertureSpec, where: string): void {
  if (a.shape !== 'elliptical' && a.shape !== 'rectangular') {
    throw new MlayerError(`chamber ${where}: shape '${String(a.shape)}' is not 'elliptical' or 'rectangular'`);
  }
  const h = a.halfSizes;
  if (!Array.isArray(h) || h.length !== 2 || !h.every((v) => Number.isFinite(v) && v > 0)) {
    throw new MlayerError(`chamber ${where}: halfSizes ${JSON.stringify(h)} must be two finite numbers > 0 (m)`);
  }
}

/**
 * Sets the chamber's aperture on every element of `lattice` (changed in place) that
 * has neither EApertures nor RApertures. Returns the number of elements given one.
 */
export function applyChamber(lattice: Lattice, chamber: ChamberSpec): number {
  if (chamber.default) checkSpec(chamber.default, 'default');
  for (const [cls, a] of Object.entries(chamber.classes ?? {})) checkSpec(a, `class ${cls}`);
  let count = 0;
  for (const el of lattice.elements) {
    if (el.EApertures !== undefined || el.RApertures !== undefined) continue;
    const cls = typeof el.Class === 'string' ? el.Class : undefined;
    const a = (cls !== undefined ? chamber.classes?.[cls] : undefined) ?? chamber.default;
    if (!a) continue;
    const [h, v] = a.halfSizes;
    if (a.shape === 'elliptical') el.EApertures = [h, v];
    else el.RApertures = [-h, h, -v, v];
    count++;
  }
  return count;
}
