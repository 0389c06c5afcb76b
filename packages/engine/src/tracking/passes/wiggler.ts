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
  /** sin(kz z + tz) at the middle of every second-order map (the same z sequence for all particles). */
  sz: Float64Array;
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
    sz: new Float64Array(0),
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

/**
 * Harmonics with zero amplitude add exactly zero to the potentials (their other factors
 * being finite), so they are dropped; then sin(kz z + tz) is tabulated along the z sequence.
 */
function finishHarmonics(h: Harmonics, vertical: boolean, dl: number, steps: number, order: 2 | 4): Harmonics {
  const keep: number[] = [];
  for (let i = 0; i < h.count; i++) {
    const ratio = vertical ? h.ky[i] / h.kx[i] : h.kx[i] / h.ky[i];
    if (h.cw[i] !== 0 || !Number.isFinite(ratio) || h.kz[i] === 0) keep.push(i);
  }
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  const out: Harmonics = { count: keep.length, cw: pick(h.cw), kx: pick(h.kx), ky: pick(h.ky), kz: pick(h.kz), tz: pick(h.tz), sz: new Float64Array(0) };
  const lengths = order === 2 ? [dl] : [dl * KICK1, dl * KICK2, dl * KICK1];
  const maps = steps * lengths.length;
  out.sz = new Float64Array(maps * out.count);
  let z = 0.0;
  let m = 0;
  for (let s = 1; s <= steps; s++) {
    for (const len of lengths) {
      const dl2 = 0.5e0 * len;
      z = z + dl2;
      for (let i = 0; i < out.count; i++) out.sz[m * out.count + i] = Math.sin(out.kz[i] * z + out.tz[i]);
      z = z + dl2;
      m++;
    }
  }
  return out;
}

function sinc(x: number): number {
  const x2 = x * x;
  return 1e0 - (x2 / 6e0) * (1e0 - (x2 / 20e0) * (1e0 - (x2 / 42e0) * (1e0 - x2 / 72e0)));
}

/** Vector potential Ax and d(Ax)/dy-type companion, at (x, y, z). */
function potentialX(p: WigglerParams, x: number, y: number, map: number, out: Float64Array): void {
  const kw = p.kw;
  let ax = 0e0, axpy = 0e0;
  const H = p.H;
  for (let i = 0; i < H.count; i++) {
    const kx = H.kx[i], ky = H.ky[i], kz = H.kz[i], cw = H.cw[i];
    const cx = Math.cos(kx * x);
    const chy = Math.cosh(ky * y);
    const sz = H.sz[map * H.count + i];
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
    const sz = V.sz[map * V.count + i];
    ax = ax + cw * (kw / kz) * (ky / kx) * shx * sy * sz;
    const chx = Math.cosh(kx * x);
    const cy = Math.cos(ky * y);
    const r = ky / kx;
    axpy = axpy + cw * (kw / kz) * (r * r) * chx * cy * sz;
  }
  out[0] = ax;
  out[1] = axpy;
}

function potentialY(p: WigglerParams, x: number, y: number, map: number, out: Float64Array): void {
  const kw = p.kw;
  let ay = 0e0, aypx = 0e0;
  const H = p.H;
  for (let i = 0; i < H.count; i++) {
    const kx = H.kx[i], ky = H.ky[i], kz = H.kz[i], cw = H.cw[i];
    const sx = Math.sin(kx * x);
    const shy = Math.sinh(ky * y);
    const sz = H.sz[map * H.count + i];
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
    const sz = V.sz[map * V.count + i];
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

/** One second-order map of length dl (map: index of this map along the wiggler). */
function map2nd(p: WigglerParams, map: number, dl: number): void {
  const dld = dl / (1.0e0 + X[4]);
  const dl2 = 0.5e0 * dl;
  const dl2d = dl2 / (1.0e0 + X[4]);
  if (p.H.count === 0 && p.V.count === 0) {
    // no field: the same drifts without the (zero) potentials
    X[2] = X[2] + dl2d * X[3];
    X[5] = X[5] + (0.5e0 * dl2d * (X[3] * X[3])) / (1.0e0 + X[4]);
    X[0] = X[0] + dld * X[1];
    X[5] = X[5] + (0.5e0 * dld * (X[1] * X[1])) / (1.0e0 + X[4]);
    X[2] = X[2] + dl2d * X[3];
    X[5] = X[5] + (0.5e0 * dl2d * (X[3] * X[3])) / (1.0e0 + X[4]);
    return;
  }
  // half drift in y
  potentialY(p, X[0], X[2], map, A);
  X[1] = X[1] - A[1];
  X[3] = X[3] - A[0];
  X[2] = X[2] + dl2d * X[3];
  X[5] = X[5] + (0.5e0 * dl2d * (X[3] * X[3])) / (1.0e0 + X[4]);
  potentialY(p, X[0], X[2], map, A);
  X[1] = X[1] + A[1];
  X[3] = X[3] + A[0];
  // full drift in x
  potentialX(p, X[0], X[2], map, A);
  X[1] = X[1] - A[0];
  X[3] = X[3] - A[1];
  X[0] = X[0] + dld * X[1];
  X[5] = X[5] + (0.5e0 * dld * (X[1] * X[1])) / (1.0e0 + X[4]);
  potentialX(p, X[0], X[2], map, A);
  X[1] = X[1] + A[0];
  X[3] = X[3] + A[1];
  // half drift in y
  potentialY(p, X[0], X[2], map, A);
  X[1] = X[1] - A[1];
  X[3] = X[3] - A[0];
  X[2] = X[2] + dl2d * X[3];
  X[5] = X[5] + (0.5e0 * dl2d * (X[3] * X[3])) / (1.0e0 + X[4]);
  potentialY(p, X[0], X[2], map, A);
  X[1] = X[1] + A[1];
  X[3] = X[3] + A[0];
}

function wigglerKernel(c: Float64Array, n: number, p: WigglerParams, alive: Uint8Array): void {
  const dl = p.dl;
  const dl1 = dl * KICK1;
  const dl0 = dl * KICK2;
  for (let i = 0; i < n; i++) {
    if (alive[i] === 0) continue;
    for (let k = 0; k < 6; k++) X[k] = c[k * n + i];
    let map = 0;
    for (let s = 1; s <= p.steps; s++) {
      if (p.order === 2) map2nd(p, map++, dl);
      else {
        map2nd(p, map++, dl1);
        map2nd(p, map++, dl0);
        map2nd(p, map++, dl1);
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
    const steps = PN * Nw;
    const order = Nmeth === 2 ? 2 : 4;
    const dl = Lw / PN;
    return {
      steps,
      order,
      dl,
      kw,
      H: finishHarmonics(readHarmonics(f, 'By', NH, kw, Aw, Po), false, dl, steps, order),
      V: finishHarmonics(readHarmonics(f, 'Bx', NV, kw, Aw, Po), true, dl, steps, order),
      frame: readFrame(f, { misalignment: true, apertures: false }),
    };
  },
  track: framed(wigglerKernel, { entrance: false, exit: false }),
};
