/**
 * GWigSymplecticPass: generic wiggler (Y. K. Wu's integrator as in AT), field given as
 * horizontal (By) and vertical (Bx) harmonic tables, each 6 rows x N harmonics:
 * [index, amplitude, kx/kw, ky/kw, kz/kw, phase]. 2nd (Nmeth 2) or 4th (Nmeth 4) order.
 */
import { FieldReader } from '../fields.js';
import { readFrame, type Frame } from '../frame.js';
import type { PassMethod, RingContext } from '../types.js';
import { framed } from './framed.js';
import { KICK1, KICK2 } from './multipole-fields.js';

const TWOPI = 6.28318530717959;
const C0 = 2.99792458e8;
/** Electron rest energy in GeV and eV, as AT. */
const E0_GEV = 0.51099895e-3;
const GWIG_EPS = 1e-6;

interface Harmonics {
  readonly count: number;
  /** amplitude * Aw / Po */
  readonly cw: Float64Array;
  readonly kx: Float64Array;
  readonly ky: Float64Array;
  readonly kz: Float64Array;
  readonly tz: Float64Array;
}

export interface WigglerParams {
  readonly steps: number;
  readonly order: 2 | 4;
  readonly dl: number;
  readonly kw: number;
  readonly H: Harmonics;
  readonly V: Harmonics;
  readonly frame: Frame | undefined;
}

function readHarmonics(f: FieldReader, field: string, count: number, kw: number, Aw: number, Po: number): Harmonics {
  const rows = f.table(field);
  const ok = count === 0 || (rows.length === 6 && rows.every((r) => r.length >= count));
  if (!ok) f.fail(field, f.raw(field), `a table of 6 rows with at least ${count} columns (one per harmonic)`);
  const h: Harmonics = {
    count,
    cw: new Float64Array(count),
    kx: new Float64Array(count),
    ky: new Float64Array(count),
    kz: new Float64Array(count),
    tz: new Float64Array(count),
  };
  for (let i = 0; i < count; i++) {
    h.cw[i] = (rows[1][i] * Aw) / Po;
    h.kx[i] = rows[2][i] * kw;
    h.ky[i] = rows[3][i] * kw;
    h.kz[i] = rows[4][i] * kw;
    h.tz[i] = rows[5][i];
  }
  return h;
}

function sinc(x: number): number {
  const x2 = x * x;
  return 1e0 - (x2 / 6e0) * (1e0 - (x2 / 20e0) * (1e0 - (x2 / 42e0) * (1e0 - x2 / 72e0)));
}

/** Vector potential Ax and d(Ax)/dy-type companion, at (x, y, z). */
function potentialX(p: WigglerParams, x: number, y: number, z: number, out: Float64Array): void {
  const kw = p.kw;
  let ax = 0e0, axpy = 0e0;
  const H = p.H;
  for (let i = 0; i < H.count; i++) {
    const kx = H.kx[i], ky = H.ky[i], kz = H.kz[i], cw = H.cw[i];
    const cx = Math.cos(kx * x);
    const chy = Math.cosh(ky * y);
    const sz = Math.sin(kz * z + H.tz[i]);
    ax = ax + cw * (kw / kz) * cx * chy * sz;
    const shy = Math.sinh(ky * y);
    const sxkx = Math.abs(kx / kw) > GWIG_EPS ? Math.sin(kx * x) / kx : x * sinc(kx * x);
    axpy = axpy + cw * (kw / kz) * ky * sxkx * shy * sz;
  }
  const V = p.V;
  for (let i = 0; i < V.count; i++) {
    const kx = V.kx[i], ky = V.ky[i], kz = V.kz[i], cw = V.cw[i];
    const shx = Math.sinh(kx * x);
    const sy = Math.sin(ky * y);
    const sz = Math.sin(kz * z + V.tz[i]);
    ax = ax + cw * (kw / kz) * (ky / kx) * shx * sy * sz;
    const chx = Math.cosh(kx * x);
    const cy = Math.cos(ky * y);
    const r = ky / kx;
    axpy = axpy + cw * (kw / kz) * (r * r) * chx * cy * sz;
  }
  out[0] = ax;
  out[1] = axpy;
}

function potentialY(p: WigglerParams, x: number, y: number, z: number, out: Float64Array): void {
  const kw = p.kw;
  let ay = 0e0, aypx = 0e0;
  const H = p.H;
  for (let i = 0; i < H.count; i++) {
    const kx = H.kx[i], ky = H.ky[i], kz = H.kz[i], cw = H.cw[i];
    const sx = Math.sin(kx * x);
    const shy = Math.sinh(ky * y);
    const sz = Math.sin(kz * z + H.tz[i]);
    ay = ay + cw * (kw / kz) * (kx / ky) * sx * shy * sz;
    const cx = Math.cos(kx * x);
    const chy = Math.cosh(ky * y);
    const r = kx / ky;
    aypx = aypx + cw * (kw / kz) * (r * r) * cx * chy * sz;
  }
  const V = p.V;
  for (let i = 0; i < V.count; i++) {
    const kx = V.kx[i], ky = V.ky[i], kz = V.kz[i], cw = V.cw[i];
    const chx = Math.cosh(kx * x);
    const cy = Math.cos(ky * y);
    const sz = Math.sin(kz * z + V.tz[i]);
    ay = ay + cw * (kw / kz) * chx * cy * sz;
    const shx = Math.sinh(kx * x);
    const syky = Math.abs(ky / kw) > GWIG_EPS ? Math.sin(ky * y) / ky : y * sinc(ky * y);
    aypx = aypx + cw * (kw / kz) * kx * shx * syky * sz;
  }
  out[0] = ay;
  out[1] = aypx;
}

const X = new Float64Array(6);
const A = new Float64Array(2);

/** One second-order map of length dl; returns the new z. */
function map2nd(p: WigglerParams, z0: number, dl: number): number {
  const dld = dl / (1.0e0 + X[4]);
  const dl2 = 0.5e0 * dl;
  const dl2d = dl2 / (1.0e0 + X[4]);
  const z = z0 + dl2;
  // half drift in y
  potentialY(p, X[0], X[2], z, A);
  X[1] = X[1] - A[1];
  X[3] = X[3] - A[0];
  X[2] = X[2] + dl2d * X[3];
  X[5] = X[5] + (0.5e0 * dl2d * (X[3] * X[3])) / (1.0e0 + X[4]);
  potentialY(p, X[0], X[2], z, A);
  X[1] = X[1] + A[1];
  X[3] = X[3] + A[0];
  // full drift in x
  potentialX(p, X[0], X[2], z, A);
  X[1] = X[1] - A[0];
  X[3] = X[3] - A[1];
  X[0] = X[0] + dld * X[1];
  X[5] = X[5] + (0.5e0 * dld * (X[1] * X[1])) / (1.0e0 + X[4]);
  potentialX(p, X[0], X[2], z, A);
  X[1] = X[1] + A[0];
  X[3] = X[3] + A[1];
  // half drift in y
  potentialY(p, X[0], X[2], z, A);
  X[1] = X[1] - A[1];
  X[3] = X[3] - A[0];
  X[2] = X[2] + dl2d * X[3];
  X[5] = X[5] + (0.5e0 * dl2d * (X[3] * X[3])) / (1.0e0 + X[4]);
  potentialY(p, X[0], X[2], z, A);
  X[1] = X[1] + A[1];
  X[3] = X[3] + A[0];
  return z + dl2;
}

function wigglerKernel(c: Float64Array, n: number, p: WigglerParams, alive: Uint8Array): void {
  const dl = p.dl;
  const dl1 = dl * KICK1;
  const dl0 = dl * KICK2;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    for (let k = 0; k < 6; k++) X[k] = c[k * n + i];
    let z = 0.0;
    for (let s = 1; s <= p.steps; s++) {
      if (p.order === 2) z = map2nd(p, z, dl);
      else {
        z = map2nd(p, z, dl1);
        z = map2nd(p, z, dl0);
        z = map2nd(p, z, dl1);
      }
    }
    for (let k = 0; k < 6; k++) c[k * n + i] = X[k];
  }
}

export const GWigSymplecticPass: PassMethod<WigglerParams> = {
  name: 'GWigSymplecticPass',
  compile(element, index, ring?: RingContext) {
    const f = new FieldReader(element, index);
    if (!ring) return f.fail('Energy', f.raw('Energy'), 'a ring context (compile with compileLattice)');
    const length = f.number('Length');
    const Lw = f.number('Lw');
    if (!(Lw > 0)) f.fail('Lw', f.raw('Lw'), 'a positive period length');
    const Bmax = f.number('Bmax');
    const PN = f.integer('Nstep', undefined, 1);
    const Nmeth = f.integer('Nmeth');
    if (Nmeth !== 2 && Nmeth !== 4) f.fail('Nmeth', f.raw('Nmeth'), '2 or 4');
    const NH = f.integer('NHharm');
    const NV = f.integer('NVharm');
    const energy = ring.energy > 0 ? ring.energy : f.number('Energy', 0);
    if (!(energy > 0)) f.fail('Energy', f.raw('Energy'), 'a positive energy (ring or element)');
    const rest = ring.restEnergy > 0 ? ring.restEnergy : E0_GEV * 1e9;
    const gamma = energy / rest;
    const Po = Math.sqrt(gamma * gamma - 1.0);
    const Nw = Math.trunc(length / Lw);
    const kw = TWOPI / Lw;
    const Aw = ((1.0e-9 * C0) / E0_GEV / TWOPI) * Lw * Bmax;
    return {
      steps: PN * Nw,
      order: Nmeth === 2 ? 2 : 4,
      dl: Lw / PN,
      kw,
      H: readHarmonics(f, 'By', NH, kw, Aw, Po),
      V: readHarmonics(f, 'Bx', NV, kw, Aw, Po),
      frame: readFrame(f, { misalignment: true, apertures: false }),
    };
  },
  track: framed(wigglerKernel, { entrance: false, exit: false }),
};
