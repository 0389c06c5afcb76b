import type { AtElement } from '../lattice.js';

/**
 * A tilt about s as AT stores it (pyAT `tilt_elem`): R1 rotates the coordinates
 * into the element's frame, R2 = R1ᵀ back,
 *
 *   R1 = [[c,0,s,0,0,0],[0,c,0,s,0,0],[-s,0,c,0,0,0],[0,-s,0,c,0,0],[0,0,0,0,1,0],[0,0,0,0,0,1]],  c = cos t, s = sin t.
 *
 * Used by the readers of formats that give a TILT (MAD-X, elegant); the writers
 * recognise it with `tiltRotation`.
 */
export function setTilt(e: AtElement, tilt: number): void {
  const r = tiltRotation(Math.cos(tilt), Math.sin(tilt));
  e.R1 = r;
  e.R2 = r.map((row, i) => row.map((_, j) => r[j][i]));
}

/** The R1 above for c = cos t, s = sin t (the writers compare an element's R1/R2 with it to recover t). */
export function tiltRotation(c: number, s: number): number[][] {
  const r = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i === j ? (i < 4 ? c : 1) : 0)));
  r[0][2] = s;
  r[1][3] = s;
  r[2][0] = -s;
  r[3][1] = -s;
  return r;
}
