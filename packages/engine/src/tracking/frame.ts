/**
 * Misalignment (T1/R1 at the entrance, R2/T2 at the exit) and physical apertures
 * (RApertures, EApertures), applied as AT's pass methods do:
 *   entrance: r += T1; r = R1 r; aperture check
 *   exit:     aperture check; r = R2 r; r += T2
 * An aperture failure sets x (or y) to +Infinity, as AT's markaslost; the loss check
 * after the element then flags the particle.
 */
import type { FieldReader } from './fields.js';

export interface Frame {
  readonly T1: Float64Array | undefined;
  readonly R1: Float64Array | undefined;
  readonly T2: Float64Array | undefined;
  readonly R2: Float64Array | undefined;
  /** [xmin, xmax, ymin, ymax] */
  readonly RApertures: Float64Array | undefined;
  /** [a, b] semi-axes */
  readonly EApertures: Float64Array | undefined;
}

export interface FrameFields {
  misalignment: boolean;
  apertures: boolean;
}

/** Reads the frame fields an AT pass method honours; undefined when none is present. */
export function readFrame(f: FieldReader, which: FrameFields): Frame | undefined {
  const T1 = which.misalignment ? f.vector('T1', 6) : undefined;
  const T2 = which.misalignment ? f.vector('T2', 6) : undefined;
  const R1 = which.misalignment ? f.matrix66('R1') : undefined;
  const R2 = which.misalignment ? f.matrix66('R2') : undefined;
  const RApertures = which.apertures ? f.vector('RApertures', 4) : undefined;
  const EApertures = which.apertures ? f.vector('EApertures', 2) : undefined;
  if (!T1 && !T2 && !R1 && !R2 && !RApertures && !EApertures) return undefined;
  return { T1, R1, T2, R2, RApertures, EApertures };
}

function addVector(c: Float64Array, n: number, i: number, t: Float64Array): void {
  c[i] += t[0];
  c[n + i] += t[1];
  c[2 * n + i] += t[2];
  c[3 * n + i] += t[3];
  c[4 * n + i] += t[4];
  c[5 * n + i] += t[5];
}

function multiplyMatrix(c: Float64Array, n: number, i: number, m: Float64Array): void {
  const r0 = c[i], r1 = c[n + i], r2 = c[2 * n + i], r3 = c[3 * n + i], r4 = c[4 * n + i], r5 = c[5 * n + i];
  for (let k = 0; k < 6; k++) {
    const o = 6 * k;
    c[k * n + i] = m[o] * r0 + m[o + 1] * r1 + m[o + 2] * r2 + m[o + 3] * r3 + m[o + 4] * r4 + m[o + 5] * r5;
  }
}

function checkApertures(c: Float64Array, n: number, i: number, f: Frame): void {
  const ra = f.RApertures;
  if (ra) {
    const x = c[i], y = c[2 * n + i];
    if (x < ra[0] || x > ra[1]) c[i] = Infinity;
    else if (y < ra[2] || y > ra[3]) c[2 * n + i] = Infinity;
  }
  const ea = f.EApertures;
  if (ea) {
    const xn = c[i] / ea[0], yn = c[2 * n + i] / ea[1];
    if (xn * xn + yn * yn >= 1) c[i] = Infinity;
  }
}

/** Entrance: T1, R1, then the aperture check (when `apertures`). */
export function enterFrame(c: Float64Array, n: number, f: Frame, alive: Uint8Array, apertures: boolean): void {
  const { T1, R1 } = f;
  const check = apertures && (f.RApertures !== undefined || f.EApertures !== undefined);
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    if (T1) addVector(c, n, i, T1);
    if (R1) multiplyMatrix(c, n, i, R1);
    if (check) checkApertures(c, n, i, f);
  }
}

/** Exit: the aperture check (when `apertures`), then R2, T2. */
export function exitFrame(c: Float64Array, n: number, f: Frame, alive: Uint8Array, apertures: boolean): void {
  const { T2, R2 } = f;
  const check = apertures && (f.RApertures !== undefined || f.EApertures !== undefined);
  if (!check && !T2 && !R2) return;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    if (check) checkApertures(c, n, i, f);
    if (R2) multiplyMatrix(c, n, i, R2);
    if (T2) addVector(c, n, i, T2);
  }
}
