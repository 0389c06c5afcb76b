/**
 * The tracking compute shader: one invocation per particle, looping over turns and over
 * the element table (one dispatch runs many turns through the whole lattice). The
 * physics follows the CPU pass methods (engine/tracking/passes) expression by expression,
 * in the precision of the prelude (arith.ts).
 *
 * Bindings: 0 uniform Run; 1 the u32 table (element headers, then the record slot of
 * each refpt 0..N); 2 the parameter table (vec2f hi/lo pairs, one block per configuration);
 * 3 coordinates (SoA, k*n+i); 4 loss flags (3 i32 per particle: 1+turn, element, and 1 when the
 * driver cut the invocation's loops short);
 * 5 the turn-by-turn record ((turn*slots+slot)*6+k)*n+i.
 */
import { arithmeticPrelude, type Precision } from './arith.js';
import { layoutWgsl } from './layout.js';

export const WORKGROUP_SIZE = 64;

const RUN = /* wgsl */ `
struct Run {
  one: f32,
  n: u32,
  perConfig: u32,
  nElem: u32,
  paramsPerConfig: u32,
  slots: u32,
  g0: u32,
  g1: u32,
  groupsX: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}
@group(0) @binding(0) var<uniform> run: Run;
`;

/** Straight-line copies of a statement (llvmpipe counts every loop iteration of an invocation against one limit). */
function unroll(n: number, line: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => line(i)).join('\n');
}

/** 2 pi as a float-float pair (the cavity's argument reduction), as WGSL literals that read back to the same float32. */
const TWO_PI_HI = Math.fround(2 * Math.PI);
const TWO_PI_LO = Math.fround(2 * Math.PI - TWO_PI_HI);
const f32Literal = (v: number): string => v.toPrecision(9);

/** f32 literals d(k) for k = 9 down to 1. */
function seriesDivisors(d: (k: number) => number): string {
  const out: string[] = [];
  for (let k = 9; k >= 1; k--) out.push(`${d(k)}.0`);
  return out.join(', ');
}

const BODY = /* wgsl */ `
@group(0) @binding(1) var<storage, read> tab: array<u32>;
@group(0) @binding(2) var<storage, read> par: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> co: array<RS>;
@group(0) @binding(4) var<storage, read_write> lost: array<i32>;
@group(0) @binding(5) var<storage, read_write> rec: array<RS>;

var<private> r: array<R, 6>;
var<private> pb: u32;

fn P(j: u32) -> R { return PV(par[pb + j]); }
fn ONE() -> R { return F(1.0); }
fn SQ(a: R) -> R { return M(a, a); }

// ---- misalignment and apertures (engine/tracking/frame.ts) ----
fn addT(o: u32) {
${unroll(6, (k) => `  r[${k}] = A(r[${k}], P(o + ${k}u));`)}
}
fn mulR(o: u32) {
  let s = r;
${unroll(6, (k) => `  r[${k}] = ${[1, 2, 3, 4, 5].reduce((acc, j) => `A(${acc}, M(P(o + ${6 * k + j}u), s[${j}]))`, `M(P(o + ${6 * k}u), s[0])`)};`)}
}
fn apertures(o: u32, fl: u32) {
  var q = o;
  if ((fl & F_RAP) != 0u) {
    let x = r[0];
    let y = r[2];
    if (LT(x, P(q)) || LT(P(q + 1u), x)) { r[0] = F(INF()); }
    else if (LT(y, P(q + 2u)) || LT(P(q + 3u), y)) { r[2] = F(INF()); }
    q = q + 4u;
  }
  if ((fl & F_EAP) != 0u) {
    let xn = D(r[0], P(q));
    let yn = D(r[2], P(q + 1u));
    if (!FIN(r[0]) || !LT(A(SQ(xn), SQ(yn)), ONE())) { r[0] = F(INF()); }
  }
}
fn enterFrame(fo: u32, fl: u32) {
  var q = fo;
  if ((fl & F_T1) != 0u) { addT(q); q = q + 6u; }
  if ((fl & F_R1) != 0u) { mulR(q); q = q + 36u; }
  if ((fl & F_T2) != 0u) { q = q + 6u; }
  if ((fl & F_R2) != 0u) { q = q + 36u; }
  if ((fl & F_AP_ENTRY) != 0u) { apertures(q, fl); }
}
fn exitFrame(fo: u32, fl: u32) {
  var q = fo;
  if ((fl & F_T1) != 0u) { q = q + 6u; }
  if ((fl & F_R1) != 0u) { q = q + 36u; }
  let t2 = q;
  if ((fl & F_T2) != 0u) { q = q + 6u; }
  let r2 = q;
  if ((fl & F_R2) != 0u) { q = q + 36u; }
  if ((fl & F_AP_EXIT) != 0u) { apertures(q, fl); }
  if ((fl & F_R2) != 0u) { mulR(r2); }
  if ((fl & F_T2) != 0u) { addT(t2); }
}

// (2k)(2k+1) and (2k-1)(2k) for k = 9..1 (the nested Taylor series; exact in float32).
const SERIES_S = array<f32, 9>(${seriesDivisors((k) => 2 * k * (2 * k + 1))});
const SERIES_C = array<f32, 9>(${seriesDivisors((k) => (2 * k - 1) * 2 * k)});

// ---- elementary functions (at most 6 halvings to |v| <= 0.25, Taylor to v^19, doublings) ----
// Bounded loops: llvmpipe counts loop iterations (see LLVMPIPE_LOOP_BUDGET); arguments above 16
// keep |v| > 0.25 in the series and lose accuracy (the kernel's arguments are far smaller).
fn sinCos(u: R) -> array<R, 2> {
  var v = u;
  var m = 0u;
  while (abs(HI(v)) > 0.25 && m < 6u) { v = MF(v, 0.5); m = m + 1u; }
  let v2 = SQ(v);
  var s = ONE();
  var c = ONE();
  for (var j = 0u; j < 9u; j++) {
    s = S(ONE(), M(D(v2, F(SERIES_S[j])), s));
    c = S(ONE(), M(D(v2, F(SERIES_C[j])), c));
  }
  s = M(v, s);
  for (var j = 0u; j < m; j++) {
    let s2 = MF(M(s, c), 2.0);
    c = S(ONE(), MF(SQ(s), 2.0));
    s = s2;
  }
  return array<R, 2>(s, c);
}
fn sinhCosh(u: R) -> array<R, 2> {
  var v = u;
  var m = 0u;
  while (abs(HI(v)) > 0.25 && m < 6u) { v = MF(v, 0.5); m = m + 1u; }
  let v2 = SQ(v);
  var s = ONE();
  var c = ONE();
  for (var j = 0u; j < 9u; j++) {
    s = A(ONE(), M(D(v2, F(SERIES_S[j])), s));
    c = A(ONE(), M(D(v2, F(SERIES_C[j])), c));
  }
  s = M(v, s);
  for (var j = 0u; j < m; j++) {
    let s2 = MF(M(s, c), 2.0);
    c = A(ONE(), MF(SQ(s), 2.0));
    s = s2;
  }
  return array<R, 2>(s, c);
}
// sin with the argument first reduced to [-pi, pi] (the cavity phase can be many turns of 2 pi)
fn sinR(u: R) -> R {
  let k = round(HI(u) * 0.15915494);
  return sinCos(S(u, MF(PV(vec2f(${f32Literal(TWO_PI_HI)}, ${f32Literal(TWO_PI_LO)})), k)))[0];
}
// the wiggler's sinc polynomial (as AT)
fn sinc(x: R) -> R {
  let x2 = SQ(x);
  return S(ONE(), M(D(x2, F(6.0)), S(ONE(), M(D(x2, F(20.0)), S(ONE(), M(D(x2, F(42.0)), S(ONE(), D(x2, F(72.0)))))))));
}

// ---- drift (DriftPass) ----
fn drift(L: R) {
  let pn = D(ONE(), A(ONE(), r[4]));
  let nl = M(L, pn);
  r[0] = A(r[0], M(nl, r[1]));
  r[2] = A(r[2], M(nl, r[3]));
  r[5] = A(r[5], MF(M(M(nl, pn), A(SQ(r[1]), SQ(r[3]))), 0.5));
}

// ---- quadrupole fringes (engine/tracking/fringe.ts) ----
fn quadFringe(b2: R, entrance: bool) {
  let opd = A(ONE(), r[4]);
  let u = D(b2, MF(opd, 12.0));
  let x2 = SQ(r[0]);
  let z2 = SQ(r[2]);
  let xz = M(r[0], r[2]);
  let gx = M(M(u, A(x2, MF(z2, 3.0))), r[0]);
  let gz = M(M(u, A(z2, MF(x2, 3.0))), r[2]);
  let r1t = MF(M(u, S(MF(M(xz, r[3]), 2.0), M(A(x2, z2), r[1]))), 3.0);
  let r3t = MF(M(u, S(MF(M(xz, r[1]), 2.0), M(A(x2, z2), r[3]))), 3.0);
  let dct = D(S(M(gz, r[3]), M(gx, r[1])), opd);
  if (entrance) {
    r[0] = A(r[0], gx);
    r[2] = S(r[2], gz);
    r[5] = S(r[5], dct);
    r[1] = A(r[1], r1t);
    r[3] = S(r[3], r3t);
  } else {
    r[0] = S(r[0], gx);
    r[2] = A(r[2], gz);
    r[5] = A(r[5], dct);
    r[1] = S(r[1], r1t);
    r[3] = A(r[3], r3t);
  }
}
fn blocks(o: u32) {
  let x = r[0];
  let px = r[1];
  let y = r[2];
  let py = r[3];
  r[0] = A(M(P(o), x), M(P(o + 1u), px));
  r[1] = A(M(P(o + 2u), x), M(P(o + 3u), px));
  r[2] = A(M(P(o + 4u), y), M(P(o + 5u), py));
  r[3] = A(M(P(o + 6u), y), M(P(o + 7u), py));
}
// quadrupole fringe at one edge; lin = offset of the two linear blocks (when F_LIN_*)
fn edgeQuad(b1: R, fl: u32, lin: u32, entrance: bool) {
  let qf = select(F_QF_EXIT, F_QF_ENTRY, entrance);
  let lf = select(F_LIN_EXIT, F_LIN_ENTRY, entrance);
  if ((fl & qf) == 0u) { return; }
  if ((fl & lf) != 0u) {
    blocks(lin);
    quadFringe(b1, entrance);
    blocks(lin + 8u);
  } else {
    quadFringe(b1, entrance);
  }
}

// ---- multipole field (Horner, as AT) ----
fn field(ao: u32, bo: u32, mo: u32, x: R, y: R) -> array<R, 2> {
  var re = P(bo + mo);
  var im = P(ao + mo);
  for (var k = i32(mo) - 1; k >= 0; k--) {
    let t = A(S(M(re, x), M(im, y)), P(bo + u32(k)));
    im = A(A(M(im, x), M(re, y)), P(ao + u32(k)));
    re = t;
  }
  return array<R, 2>(re, im);
}

// ---- StrMPoleSymplectic4Pass / BndMPoleSymplectic4Pass slices ----
fn sliceDrift(nl: R, hpn: R) {
  r[0] = A(r[0], M(nl, r[1]));
  r[2] = A(r[2], M(nl, r[3]));
  r[5] = A(r[5], M(M(nl, A(SQ(r[1]), SQ(r[3]))), hpn));
}
fn sliceKick(K: R, irho: R, bend: bool, ao: u32, bo: u32, mo: u32) {
  let f = field(ao, bo, mo, r[0], r[2]);
  if (bend) {
    r[1] = S(r[1], M(K, S(f[0], M(S(r[4], M(r[0], irho)), irho))));
    r[3] = A(r[3], M(K, f[1]));
    r[5] = A(r[5], M(M(K, irho), r[0]));
  } else {
    r[1] = S(r[1], M(K, f[0]));
    r[3] = A(r[3], M(K, f[1]));
  }
}
// Classical radiation over a kick of length L (AT's thin radiating kicks, engine/tracking/passes/radiation.ts):
// the energy loss from |e x B|^2 at the angles xpr, ypr, which are kept.
fn radLoss(bx: R, by: R, hx: R, xpr: R, ypr: R, L: R, crad: R) {
  let hx2 = SQ(hx);
  let cross = S(M(bx, ypr), M(by, xpr));
  let b2p = D(A(A(M(SQ(by), hx2), M(SQ(bx), hx2)), SQ(cross)), A(A(hx2, SQ(xpr)), SQ(ypr)));
  let d0 = r[4];
  let opd = A(ONE(), d0);
  r[4] = S(d0, M(M(M(M(crad, SQ(opd)), b2p), A(hx, MF(A(SQ(xpr), SQ(ypr)), 0.5))), L));
  let opd1 = A(ONE(), r[4]);
  r[1] = M(xpr, opd1);
  r[3] = M(ypr, opd1);
}
// StrMPole (h = 0) / BndMPole (h = 1/rho) radiating kick; the curvature term takes the momentum before the loss
fn kickRad(L: R, h: R, crad: R, ao: u32, bo: u32, mo: u32) {
  let f = field(ao, bo, mo, r[0], r[2]);
  let x = r[0];
  let d0 = r[4];
  let pn = D(ONE(), A(ONE(), d0));
  radLoss(f[1], A(f[0], h), A(ONE(), M(x, h)), M(r[1], pn), M(r[3], pn), L, crad);
  r[1] = S(r[1], M(L, S(f[0], M(S(d0, M(x, h)), h))));
  r[3] = A(r[3], M(L, f[1]));
  r[5] = A(r[5], M(M(L, h), x));
}
fn slicesRad(po: u32, steps: u32, mo: u32, ao: u32, bo: u32, h: R, crad: R) {
  let L1 = P(po);
  let L2 = P(po + 1u);
  let K1 = P(po + 2u);
  let K2 = P(po + 3u);
  for (var m = 0u; m < steps; m++) {
    drift(L1);
    kickRad(K1, h, crad, ao, bo, mo);
    drift(L2);
    kickRad(K2, h, crad, ao, bo, mo);
    drift(L2);
    kickRad(K1, h, crad, ao, bo, mo);
    drift(L1);
  }
}
fn slices(po: u32, steps: u32, mo: u32, bend: bool, ao: u32, bo: u32, irho: R) {
  let L1 = P(po);
  let L2 = P(po + 1u);
  let K1 = P(po + 2u);
  let K2 = P(po + 3u);
  let pn = D(ONE(), A(ONE(), r[4]));
  let nl1 = M(L1, pn);
  let nl2 = M(L2, pn);
  let hpn = MF(pn, 0.5);
  for (var m = 0u; m < steps; m++) {
    sliceDrift(nl1, hpn);
    sliceKick(K1, irho, bend, ao, bo, mo);
    sliceDrift(nl2, hpn);
    sliceKick(K2, irho, bend, ao, bo, mo);
    sliceDrift(nl2, hpn);
    sliceKick(K1, irho, bend, ao, bo, mo);
    sliceDrift(nl1, hpn);
  }
}

// StrMPoleSymplectic4(Rad)Pass: [L1, L2, K1, K2, b1, crad, A(mo+1), B(mo+1), linEntry(16)?, linExit(16)?]
fn strMultipole(po: u32, fl: u32, steps: u32, mo: u32) {
  let b1 = P(po + 4u);
  let ao = po + 6u;
  let bo = ao + mo + 1u;
  let le = bo + mo + 1u;
  let lx = select(le, le + 16u, (fl & F_LIN_ENTRY) != 0u);
  edgeQuad(b1, fl, le, true);
  if ((fl & F_RAD) != 0u) { slicesRad(po, steps, mo, ao, bo, F(0.0), P(po + 5u)); }
  else { slices(po, steps, mo, false, ao, bo, F(0.0)); }
  edgeQuad(b1, fl, lx, false);
}

// dipole edge with fringe correction: [fx, tan(angle - fringecorr), fringecorr, irho]
fn bendEdge(eo: u32, method: u32, entrance: bool) {
  let d1 = A(ONE(), r[4]);
  var eps: R;
  if (method == 3u) {
    eps = D(r[1], d1);
    if (!entrance) { eps = -eps; }
  } else {
    eps = D(M(P(eo + 2u), r[4]), d1);
  }
  let t0 = P(eo + 1u);
  var fy: R;
  if (HI(eps) == 0.0) {
    fy = M(P(eo + 3u), t0);
  } else {
    let sc = sinCos(eps);
    let te = D(sc[0], sc[1]);
    fy = M(P(eo + 3u), D(A(t0, te), S(ONE(), M(t0, te))));
  }
  if (method == 2u) { fy = D(fy, d1); }
  r[1] = A(r[1], M(r[0], P(eo)));
  r[3] = S(r[3], M(r[2], fy));
}

// BndMPoleSymplectic4(Rad)Pass: [L1, L2, K1, K2, b1, irho, crad, A, B, edgeEntry(4), edgeExit(4), lin...]
fn bendMultipole(po: u32, fl: u32, steps: u32, mo: u32, aux: u32) {
  let b1 = P(po + 4u);
  let irho = P(po + 5u);
  let ao = po + 7u;
  let bo = ao + mo + 1u;
  let ee = bo + mo + 1u;
  let ex = ee + 4u;
  let le = ex + 4u;
  let lx = select(le, le + 16u, (fl & F_LIN_ENTRY) != 0u);
  bendEdge(ee, aux & 15u, true);
  edgeQuad(b1, fl, le, true);
  if ((fl & F_RAD) != 0u) { slicesRad(po, steps, mo, ao, bo, irho, P(po + 6u)); }
  else { slices(po, steps, mo, true, ao, bo, irho); }
  edgeQuad(b1, fl, lx, false);
  bendEdge(ex, (aux >> 4u) & 15u, false);
}

// second-order dipole edge of BndMPoleSymplectic4E2Pass:
// [fx, fy, T111, T234, T414, T212, T313, T133, T423, T211, T233, T413]
fn e2Edge(o: u32) {
  let r0 = r[0];
  let r1 = r[1];
  let r2 = r[2];
  r[0] = A(r[0], A(M(P(o + 2u), SQ(r0)), M(P(o + 7u), SQ(r2))));
  r[1] = A(r[1], A(A(A(A(M(r0, P(o)), MF(M(M(P(o + 5u), r0), r1), 2.0)), MF(M(M(P(o + 3u), r2), r[3]), 2.0)), M(P(o + 9u), SQ(r0))), M(P(o + 10u), SQ(r2))));
  r[2] = A(r[2], MF(M(M(P(o + 6u), r0), r2), 2.0));
  r[3] = A(r[3], A(A(A(-M(r2, P(o + 1u)), MF(M(M(P(o + 4u), r0), r[3]), 2.0)), MF(M(M(P(o + 11u), r0), r2), 2.0)), MF(M(M(P(o + 8u), r1), r2), 2.0)));
}

// pseudo-drift with H1 = (1+hx)(px^2+py^2)/2(1+delta)
fn e2Drift(L: R, h: R, i1pd: R, i1pd2: R) {
  let hs = M(h, L);
  let x0 = r[0];
  let px0 = r[1];
  let py0 = r[3];
  let ph = A(ONE(), M(h, x0));
  r[0] = A(r[0], A(M(M(M(ph, px0), i1pd), L), M(M(MF(M(hs, L), 0.25), S(SQ(px0), SQ(py0))), i1pd2)));
  r[1] = S(r[1], MF(M(M(hs, A(SQ(px0), SQ(py0))), i1pd), 0.5));
  r[2] = A(r[2], M(M(M(M(ph, i1pd), py0), L), A(ONE(), MF(M(px0, hs), 0.5))));
  r[5] = A(r[5], M(MF(M(M(ph, i1pd2), L), 0.5), A(SQ(px0), SQ(py0))));
}
// the normal field alone (E2 elements: PolynomA ignored, as AT), Horner as field()
fn fieldB(bo: u32, mo: u32, x: R, y: R) -> array<R, 2> {
  var re = P(bo + mo);
  var im = F(0.0);
  for (var k = i32(mo) - 1; k >= 0; k--) {
    let t = A(S(M(re, x), M(im, y)), P(bo + u32(k)));
    im = A(M(im, x), M(re, y));
    re = t;
  }
  return array<R, 2>(re, im);
}
// kick with the vector potential expanded to 4th order (PolynomA ignored, as AT)
fn e2Kick(KL: R, h: R, q1: R, q2: R, c6: R, q2f: R, bo: u32, mo: u32, d: R) {
  let x = r[0];
  let y = r[2];
  let f = fieldB(bo, mo, x, y);
  let re = f[0];
  let im = f[1];
  let x2 = SQ(x);
  let y2 = SQ(y);
  // q2 (x^3 - 4/3 x y^2) = q2 x^3 - (4/3 q2) x y^2
  let gx = A(A(M(h, x), M(q1, S(x2, MF(y2, 0.5)))), S(M(q2, M(x2, x)), M(q2f, M(x, y2))));
  r[1] = S(r[1], M(KL, A(A(-M(h, d), re), M(h, gx))));
  r[3] = A(r[3], M(KL, A(im, M(h, A(A(M(q1, M(x, y)), M(q2f, M(x2, y))), M(c6, M(y2, y)))))));
  r[5] = A(r[5], M(M(KL, h), x));
}

// radiating E2 kick (AT's E2 bndthinkickrad): the field with its y terms in |e x B|^2 and the kick,
// the curvature term with the momentum after the loss
fn e2KickRad(KL: R, h: R, q1: R, q2: R, crad: R, bo: u32, mo: u32) {
  let x = r[0];
  let y = r[2];
  let f = fieldB(bo, mo, x, y);
  var re = f[0];
  var im = f[1];
  let y2 = SQ(y);
  let hq = M(h, S(M(q1, h), q2));
  im = A(im, D(M(hq, M(y2, y)), F(6.0)));
  re = A(re, A(-MF(M(M(q1, h), y2), 0.5), MF(M(M(hq, x), y2), 0.5)));
  let pn = D(ONE(), A(ONE(), r[4]));
  radLoss(im, A(re, h), A(ONE(), M(x, h)), M(r[1], pn), M(r[3], pn), KL, crad);
  let x2 = SQ(x);
  let gx = A(A(M(h, x), M(q1, S(x2, MF(y2, 0.5)))), M(q2, S(M(x2, x), D(MF(M(x, y2), 4.0), F(3.0)))));
  r[1] = S(r[1], M(KL, A(A(-M(h, r[4]), re), M(h, gx))));
  let gy = A(A(M(q1, M(x, y)), D(MF(M(M(q2, x2), y), 4.0), F(3.0))), M(S(M(D(h, F(6.0)), q1), D(q2, F(3.0))), M(y2, y)));
  r[3] = A(r[3], M(KL, A(im, M(h, gy))));
  r[5] = A(r[5], M(M(KL, h), x));
}
fn e2Drift6(L: R, h: R) {
  let i1pd = D(ONE(), A(ONE(), r[4]));
  e2Drift(L, h, i1pd, SQ(i1pd));
}
// BndMPoleSymplectic4E2(Rad)Pass: [L1, L2, K1, K2, h, q1, q2, c6, 4/3 q2, crad, B(mo+1), edgeEntry(12), edgeExit(12)]
fn bendE2(po: u32, fl: u32, steps: u32, mo: u32) {
  let L1 = P(po);
  let L2 = P(po + 1u);
  let K1 = P(po + 2u);
  let K2 = P(po + 3u);
  let h = P(po + 4u);
  let q1 = P(po + 5u);
  let q2 = P(po + 6u);
  let c6 = P(po + 7u);
  let q2f = P(po + 8u);
  let bo = po + 10u;
  let ee = bo + mo + 1u;
  e2Edge(ee);
  if ((fl & F_RAD) != 0u) {
    let crad = P(po + 9u);
    for (var m = 0u; m < steps; m++) {
      e2Drift6(L1, h);
      e2KickRad(K1, h, q1, q2, crad, bo, mo);
      e2Drift6(L2, h);
      e2KickRad(K2, h, q1, q2, crad, bo, mo);
      e2Drift6(L2, h);
      e2KickRad(K1, h, q1, q2, crad, bo, mo);
      e2Drift6(L1, h);
    }
    e2Edge(ee + 12u);
    return;
  }
  let d = r[4];
  let i1pd = D(ONE(), A(ONE(), d));
  let i1pd2 = SQ(i1pd);
  for (var m = 0u; m < steps; m++) {
    e2Drift(L1, h, i1pd, i1pd2);
    e2Kick(K1, h, q1, q2, c6, q2f, bo, mo, d);
    e2Drift(L2, h, i1pd, i1pd2);
    e2Kick(K2, h, q1, q2, c6, q2f, bo, mo, d);
    e2Drift(L2, h, i1pd, i1pd2);
    e2Kick(K1, h, q1, q2, c6, q2f, bo, mo, d);
    e2Drift(L1, h, i1pd, i1pd2);
  }
  e2Edge(ee + 12u);
}

// ThinMPolePass: [bax, bay, A(mo+1), B(mo+1)]
fn thinMultipole(po: u32, mo: u32) {
  let ao = po + 2u;
  let bo = ao + mo + 1u;
  let x = r[0];
  let y = r[2];
  let d = r[4];
  let f = field(ao, bo, mo, x, y);
  let bax = P(po);
  let bay = P(po + 1u);
  r[1] = A(S(r[1], f[0]), M(bax, d));
  r[3] = S(A(r[3], f[1]), M(bay, d));
  r[5] = S(r[5], S(M(bax, x), M(bay, y)));
}

// CorrectorPass: [length, xkick, ykick]
fn corrector(po: u32) {
  let len = P(po);
  let xk = P(po + 1u);
  let yk = P(po + 2u);
  if (HI(len) == 0.0) {
    r[1] = A(r[1], xk);
    r[3] = A(r[3], yk);
    return;
  }
  let px = r[1];
  let py = r[3];
  let pn = D(ONE(), A(ONE(), r[4]));
  let nl = M(len, pn);
  let q = A(A(A(A(A(D(SQ(xk), F(3.0)), D(SQ(yk), F(3.0))), SQ(px)), SQ(py)), M(px, xk)), M(py, yk));
  r[5] = A(r[5], MF(M(M(nl, pn), q), 0.5));
  r[0] = A(r[0], M(nl, A(px, MF(xk, 0.5))));
  r[1] = A(px, xk);
  r[2] = A(r[2], M(nl, A(py, MF(yk, 0.5))));
  r[3] = A(py, yk);
}

// AperturePass: [xmin, xmax, ymin, ymax]
fn aperture(po: u32) {
  let x = r[0];
  let y = r[2];
  if (LT(x, P(po)) || LT(P(po + 1u), x)) { r[0] = F(INF()); }
  else if (LT(y, P(po + 2u)) || LT(P(po + 3u), y)) { r[2] = F(INF()); }
}

// ---- GWigSymplecticPass ----
// [dl1, dl0, dl, harmonics (8 each: c1, kx, ky, ratio, ratio^2, sinc flag, 0, 0) H then V,
//  sin(kz z + tz) for every map and harmonic]
struct Pot { a: R, b: R, }
fn wigPotX(hb: u32, nh: u32, nv: u32, szb: u32) -> Pot {
  let x = r[0];
  let y = r[2];
  var ax = F(0.0);
  var axpy = F(0.0);
  for (var j = 0u; j < nh; j++) {
    let o = hb + 8u * j;
    let c1 = P(o);
    if (HI(c1) == 0.0) { continue; }
    let kx = P(o + 1u);
    let ky = P(o + 2u);
    let sz = P(szb + j);
    let cx = sinCos(M(kx, x));
    let hy = sinhCosh(M(ky, y));
    ax = A(ax, M(M(M(c1, cx[1]), hy[1]), sz));
    var sxkx: R;
    if (HI(P(o + 5u)) != 0.0) { sxkx = M(x, sinc(M(kx, x))); } else { sxkx = D(cx[0], kx); }
    axpy = A(axpy, M(M(M(M(c1, ky), sxkx), hy[0]), sz));
  }
  for (var j = 0u; j < nv; j++) {
    let o = hb + 8u * (nh + j);
    let c1 = P(o);
    if (HI(c1) == 0.0) { continue; }
    let kx = P(o + 1u);
    let ky = P(o + 2u);
    let sz = P(szb + nh + j);
    let hx = sinhCosh(M(kx, x));
    let cy = sinCos(M(ky, y));
    ax = A(ax, M(M(M(M(c1, P(o + 3u)), hx[0]), cy[0]), sz));
    axpy = A(axpy, M(M(M(M(c1, P(o + 4u)), hx[1]), cy[1]), sz));
  }
  return Pot(ax, axpy);
}
fn wigPotY(hb: u32, nh: u32, nv: u32, szb: u32) -> Pot {
  let x = r[0];
  let y = r[2];
  var ay = F(0.0);
  var aypx = F(0.0);
  for (var j = 0u; j < nh; j++) {
    let o = hb + 8u * j;
    let c1 = P(o);
    if (HI(c1) == 0.0) { continue; }
    let kx = P(o + 1u);
    let ky = P(o + 2u);
    let sz = P(szb + j);
    let cx = sinCos(M(kx, x));
    let hy = sinhCosh(M(ky, y));
    ay = A(ay, M(M(M(M(c1, P(o + 3u)), cx[0]), hy[0]), sz));
    aypx = A(aypx, M(M(M(M(c1, P(o + 4u)), cx[1]), hy[1]), sz));
  }
  for (var j = 0u; j < nv; j++) {
    let o = hb + 8u * (nh + j);
    let c1 = P(o);
    if (HI(c1) == 0.0) { continue; }
    let kx = P(o + 1u);
    let ky = P(o + 2u);
    let sz = P(szb + nh + j);
    let hx = sinhCosh(M(kx, x));
    let cy = sinCos(M(ky, y));
    ay = A(ay, M(M(M(c1, hx[1]), cy[1]), sz));
    var syky: R;
    if (HI(P(o + 5u)) != 0.0) { syky = M(y, sinc(M(ky, y))); } else { syky = D(cy[0], ky); }
    aypx = A(aypx, M(M(M(M(c1, kx), hx[0]), syky), sz));
  }
  return Pot(ay, aypx);
}
fn wigHalfY(dl2d: R, opd: R, hb: u32, nh: u32, nv: u32, szb: u32) {
  var p = wigPotY(hb, nh, nv, szb);
  r[1] = S(r[1], p.b);
  r[3] = S(r[3], p.a);
  r[2] = A(r[2], M(dl2d, r[3]));
  r[5] = A(r[5], D(MF(M(dl2d, SQ(r[3])), 0.5), opd));
  p = wigPotY(hb, nh, nv, szb);
  r[1] = A(r[1], p.b);
  r[3] = A(r[3], p.a);
}
fn wigMap(dl: R, hb: u32, nh: u32, nv: u32, szb: u32) {
  let opd = A(ONE(), r[4]);
  let dld = D(dl, opd);
  let dl2d = D(MF(dl, 0.5), opd);
  wigHalfY(dl2d, opd, hb, nh, nv, szb);
  var p = wigPotX(hb, nh, nv, szb);
  r[1] = S(r[1], p.a);
  r[3] = S(r[3], p.b);
  r[0] = A(r[0], M(dld, r[1]));
  r[5] = A(r[5], D(MF(M(dld, SQ(r[1])), 0.5), opd));
  p = wigPotX(hb, nh, nv, szb);
  r[1] = A(r[1], p.a);
  r[3] = A(r[3], p.b);
  wigHalfY(dl2d, opd, hb, nh, nv, szb);
}
fn wiggler(po: u32, steps: u32, aux: u32) {
  let nh = aux & 255u;
  let nv = (aux >> 8u) & 255u;
  let fourth = ((aux >> 16u) & 1u) != 0u;
  let hb = po + 3u;
  let nharm = nh + nv;
  var szb = hb + 8u * nharm;
  for (var s = 0u; s < steps; s++) {
    if (fourth) {
      wigMap(P(po), hb, nh, nv, szb);
      szb = szb + nharm;
      wigMap(P(po + 1u), hb, nh, nv, szb);
      szb = szb + nharm;
      wigMap(P(po), hb, nh, nv, szb);
      szb = szb + nharm;
    } else {
      wigMap(P(po + 2u), hb, nh, nv, szb);
      szb = szb + nharm;
    }
  }
}

// RFCavityPass / CavityPass: [length/2, V/E, 2 pi f / c, TimeLag, phase per turn, Phi0]
fn cavity(po: u32, t: u32) {
  let hl = P(po);
  if (HI(hl) != 0.0) { drift(hl); }
  let arg = A(S(M(P(po + 2u), S(r[5], P(po + 3u))), MF(P(po + 4u), f32(t))), P(po + 5u));
  r[4] = S(r[4], M(P(po + 1u), sinR(arg)));
  if (HI(hl) != 0.0) { drift(hl); }
}

// Matrix66Pass: [36 values, row-major]
fn matrix66(po: u32) { mulR(po); }

fn trackElement(e: u32, t: u32) {
  let h = e * HW;
  let op = tab[h];
  let fl = tab[h + 1u];
  let fo = tab[h + 2u];
  let po = tab[h + 3u];
  let steps = tab[h + 4u];
  let mo = tab[h + 5u];
  let aux = tab[h + 6u];
  let framed = (fl & FRAME_FLAGS) != 0u;
  if (framed) { enterFrame(fo, fl); }
  switch op {
    case OP_DRIFT: { drift(P(po)); }
    case OP_STR: { strMultipole(po, fl, steps, mo); }
    case OP_BEND: { bendMultipole(po, fl, steps, mo, aux); }
    case OP_E2: { bendE2(po, fl, steps, mo); }
    case OP_THIN: { thinMultipole(po, mo); }
    case OP_CORRECTOR: { corrector(po); }
    case OP_APERTURE: { aperture(po); }
    case OP_MATRIX66: { matrix66(po); }
    case OP_WIGGLER: { wiggler(po, steps, aux); }
    case OP_CAVITY: { cavity(po, t); }
    default: {}
  }
  if (framed) { exitFrame(fo, fl); }
}

fn within(a: R) -> bool { return FIN(a) && !LT(ONE(), AB(a)); }
fn isAlive() -> bool {
  return within(r[0]) && within(r[1]) && within(r[2]) && within(r[3]) && within(r[4]) && fin(HI(r[5]));
}

fn record(t: u32, e: u32, i: u32) {
  let slot = tab[run.nElem * HW + e];
  if (slot != NO_SLOT) {
    let n = run.n;
    let base = ((t * run.slots + slot) * 6u) * n + i;
${unroll(6, (k) => `    rec[base + ${k}u * n] = ST(r[${k}]);`)}
  }
}

@compute @workgroup_size(${'$'}{WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * run.groupsX + wg.x) * ${'$'}{WG}u + li;
  let n = run.n;
  if (i >= n) { return; }
  if (lost[3u * i] != 0) { return; }
  pb = (i / run.perConfig) * run.paramsPerConfig;
${unroll(6, (k) => `  r[${k}] = LD(co[${k}u * n + i]);`)}
  // One flat loop over the positions [g0, g1) of (turn, element) pairs, position
  // g = t * (nElem + 1) + e (e = nElem: the end of the ring, where only the record is taken).
  let stride = run.nElem + 1u;
  for (var s = run.g0; s < run.g1; s++) {
    let t = s / stride;
    let e = s % stride;
    record(t, e, i);
    if (e < run.nElem && tab[e * HW] != OP_SKIP) {
      trackElement(e, t);
      if (!isAlive()) {
        lost[3u * i] = i32(t + 1u);
        lost[3u * i + 1u] = i32(e);
        break;
      }
    }
  }
${unroll(6, (k) => `  co[${k}u * n + i] = ST(r[${k}]);`)}
  // Sentinel: a loop of a trip count the compiler cannot know (2 + run.one = 3). A driver
  // that cut this invocation's loops (llvmpipe's iteration limit) cuts this one short too;
  // the flag tells the host, which then refuses the result.
  var probe = 0u;
  loop {
    probe = probe + 1u;
    if (probe >= 2u + u32(run.one)) { break; }
  }
  if (probe != 3u) { lost[3u * i + 2u] = 1; }
}
`;

/** The complete WGSL source of the tracking kernel in a precision. */
export function trackingKernelSource(precision: Precision): string {
  return [layoutWgsl(), RUN, arithmeticPrelude(precision), BODY.replaceAll('${WG}', String(WORKGROUP_SIZE))].join('\n');
}
