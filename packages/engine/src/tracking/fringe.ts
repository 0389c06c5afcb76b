/**
 * Fringe-field maps of AT, on one particle held in a 6-vector r = [x, px, y, py, delta, ct]:
 * - quadrupole hard-edge fringe (Lee-Whiting, Forest p. 390), entrance and exit;
 * - the linear quadrupole fringe from elegant (fringeIntM0 / fringeIntP0), whose matrices
 *   depend only on the gradient and are computed once per element;
 * - dipole edge focusing with the fringe-field correction (FringeBendEntrance/Exit 0..3);
 * - the second-order dipole edge maps of BndMPoleSymplectic4E2Pass.
 * Expression order follows AT's C code so that results agree to the last bits.
 */

/** Quadrupole fringe at the entrance (sign +1) or the exit (sign -1). */
export function quadFringe(r: Float64Array, b2: number, entrance: boolean): void {
  const u = b2 / (12.0 * (1.0 + r[4]));
  const x2 = r[0] * r[0];
  const z2 = r[2] * r[2];
  const xz = r[0] * r[2];
  const gx = u * (x2 + 3 * z2) * r[0];
  const gz = u * (z2 + 3 * x2) * r[2];
  if (entrance) {
    r[0] += gx;
    const r1tmp = 3 * u * (2 * xz * r[3] - (x2 + z2) * r[1]);
    r[2] -= gz;
    const r3tmp = 3 * u * (2 * xz * r[1] - (x2 + z2) * r[3]);
    r[5] -= (gz * r[3] - gx * r[1]) / (1 + r[4]);
    r[1] += r1tmp;
    r[3] -= r3tmp;
  } else {
    r[0] -= gx;
    const r1tmp = 3 * u * (2 * xz * r[3] - (x2 + z2) * r[1]);
    r[2] += gz;
    const r3tmp = 3 * u * (2 * xz * r[1] - (x2 + z2) * r[3]);
    r[5] += (gz * r[3] - gx * r[1]) / (1 + r[4]);
    r[1] -= r1tmp;
    r[3] += r3tmp;
  }
}

/** 2x2 blocks of elegant's partial fringe matrix: [xx, xpx, pxx, pxpx, yy, ypy, pyy, pypy]. */
function partialFringeMatrix(K1: number, fringeInt: Float64Array, part: 1 | 2): Float64Array {
  const inFringe = 1.0;
  const K1sqr = K1 * K1;
  let J1x: number, J2x: number, J3x: number, J1y: number;
  if (part === 1) {
    J1x = inFringe * (K1 * fringeInt[1] - (2 * K1sqr * fringeInt[3]) / 3 - (K1sqr * fringeInt[0] * fringeInt[2]) / 2);
    J2x = inFringe * K1 * fringeInt[2];
    J3x = inFringe * K1sqr * (fringeInt[2] + fringeInt[4] + fringeInt[0] * fringeInt[1]);
    J1y = inFringe * (-K1 * fringeInt[1] - (2 * K1sqr * fringeInt[3]) / 3 - (K1sqr * fringeInt[0] * fringeInt[2]) / 2);
  } else {
    J1x = inFringe * (K1 * fringeInt[1] + (K1sqr * fringeInt[0] * fringeInt[2]) / 2);
    J2x = inFringe * K1 * fringeInt[2];
    J3x = inFringe * K1sqr * (fringeInt[4] - fringeInt[0] * fringeInt[1]);
    J1y = inFringe * (-K1 * fringeInt[1] + (K1sqr * fringeInt[0] * fringeInt[2]) / 2);
  }
  const J2y = -J2x;
  const J3y = J3x;
  const ex = Math.exp(J1x);
  const ey = Math.exp(J1y);
  return Float64Array.of(ex, J2x / ex, ex * J3x, (1 + J2x * J3x) / ex, ey, J2y / ey, ey * J3y, (1 + J2y * J3y) / ey);
}

/** Precomputed linear fringe of one quadrupole edge: two matrices around the nonlinear map. */
export interface LinearQuadFringe {
  readonly first: Float64Array;
  readonly second: Float64Array;
}

export function linearQuadFringeEntrance(b2: number, intM0: Float64Array, intP0: Float64Array): LinearQuadFringe {
  const swap = (m: Float64Array): Float64Array => Float64Array.of(m[3], m[1], m[2], m[0], m[7], m[5], m[6], m[4]);
  return { first: swap(partialFringeMatrix(b2, intP0, 2)), second: swap(partialFringeMatrix(b2, intM0, 1)) };
}

export function linearQuadFringeExit(b2: number, intM0: Float64Array, intP0: Float64Array): LinearQuadFringe {
  return { first: partialFringeMatrix(b2, intM0, 1), second: partialFringeMatrix(b2, intP0, 2) };
}

function applyBlocks(r: Float64Array, m: Float64Array): void {
  const x = r[0], px = r[1], y = r[2], py = r[3];
  r[0] = m[0] * x + m[1] * px;
  r[1] = m[2] * x + m[3] * px;
  r[2] = m[4] * y + m[5] * py;
  r[3] = m[6] * y + m[7] * py;
}

/** Linear (elegant) + nonlinear quadrupole fringe at one edge. */
export function linearQuadFringe(r: Float64Array, b2: number, lin: LinearQuadFringe, entrance: boolean): void {
  applyBlocks(r, lin.first);
  quadFringe(r, b2, entrance);
  applyBlocks(r, lin.second);
}

/** Dipole edge with fringe correction: constants of one edge, computed once. */
export interface BendEdge {
  readonly method: number;
  readonly irho: number;
  readonly angle: number;
  /** irho * tan(angle) */
  readonly fx: number;
  /** irho * gap * fint * (1 + sin^2) / cos, or 0 */
  readonly fringecorr: number;
}

export function bendEdge(irho: number, angle: number, fint: number, gap: number, method: number): BendEdge {
  let fringecorr = 0.0;
  if (!(fint === 0.0 || gap === 0.0 || method === 0)) {
    const s = Math.sin(angle);
    const c = Math.cos(angle);
    fringecorr = (irho * gap * fint * (1 + s * s)) / c;
  }
  return { method, irho, angle, fx: irho * Math.tan(angle), fringecorr };
}

/** AT's edge_fringe_entrance / edge_fringe_exit (methods 0..3; others fall back to 1). */
export function applyBendEdge(r: Float64Array, e: BendEdge, entrance: boolean): void {
  const d1 = 1 + r[4];
  let fy: number;
  if (e.method === 2) fy = (e.irho * Math.tan(e.angle - e.fringecorr / d1)) / d1;
  else if (e.method === 3) {
    fy = entrance
      ? e.irho * Math.tan(e.angle - e.fringecorr + r[1] / d1)
      : e.irho * Math.tan(e.angle - e.fringecorr - r[1] / d1);
  } else fy = e.irho * Math.tan(e.angle - e.fringecorr / d1);
  r[1] += r[0] * e.fx;
  r[3] -= r[2] * fy;
}

/** Constants of the second-order edge map of BndMPoleSymplectic4E2Pass. */
export interface E2Edge {
  readonly fx: number;
  readonly fy: number;
  readonly T111: number;
  readonly T234: number;
  readonly T414: number;
  readonly T212: number;
  readonly T313: number;
  readonly T133: number;
  readonly T423: number;
  readonly T211: number;
  readonly T233: number;
  readonly T413: number;
}

/** AT's edge_fringe2A (entrance) and edge_fringe2B (exit) coefficients. */
export function e2Edge(irho: number, angle: number, fint: number, gap: number, hEdge: number, K1: number, entrance: boolean): E2Edge {
  const fx = irho * Math.tan(angle);
  const dpsi = (irho * gap * fint * (1 + Math.sin(angle) * Math.sin(angle))) / Math.cos(angle);
  const psiBar = angle - dpsi;
  const fy = irho * Math.tan(psiBar);
  const h = irho;
  const tpsi = Math.tan(angle);
  const tpsib = Math.tan(psiBar);
  const spsi = 1.0 / Math.cos(angle);
  if (entrance) {
    const T111 = -0.5 * h * tpsi * tpsi;
    const T234 = -0.5 * h * tpsi * tpsi;
    const T133 = 0.5 * h * spsi * spsi;
    return {
      fx, fy, T111, T234, T414: T234, T212: -T111, T313: -T234, T133, T423: -T133,
      T211: 0.5 * h * hEdge * spsi * spsi * spsi + K1 * tpsi,
      T233: -0.5 * h * hEdge * spsi * spsi * spsi - K1 * tpsi + 0.5 * h * h * tpsi * (tpsib * tpsib + spsi * spsi),
      T413: -0.5 * h * hEdge * spsi * spsi * spsi - K1 * tpsi,
    };
  }
  const T111 = 0.5 * h * tpsi * tpsi;
  const T234 = 0.5 * h * tpsi * tpsi;
  const T133 = -0.5 * h * spsi * spsi;
  return {
    fx, fy, T111, T234, T414: T234, T212: -T111, T313: -T234, T133, T423: -T133,
    T211: 0.5 * h * hEdge * spsi * spsi * spsi + K1 * tpsi - 0.5 * h * h * tpsi * tpsi * tpsi,
    T233: -0.5 * h * hEdge * spsi * spsi * spsi - K1 * tpsi - 0.5 * h * h * tpsi * tpsib * tpsib,
    T413: -0.5 * h * hEdge * spsi * spsi * spsi - K1 * tpsi + 0.5 * h * h * tpsi * (spsi * spsi),
  };
}

export function applyE2Edge(r: Float64Array, e: E2Edge): void {
  const r0 = r[0], r2 = r[2], r1 = r[1];
  r[0] += e.T111 * r[0] * r[0] + e.T133 * r[2] * r[2];
  r[1] += r0 * e.fx + 2 * e.T212 * r0 * r[1] + 2 * e.T234 * r[2] * r[3] + e.T211 * r0 * r0 + e.T233 * r[2] * r[2];
  r[2] += 2 * e.T313 * r0 * r[2];
  r[3] += -r2 * e.fy + 2 * e.T414 * r0 * r[3] + 2 * e.T413 * r0 * r2 + 2 * e.T423 * r1 * r2;
}
