/**
 * WGSL arithmetic preludes. The kernels are written once against a real type `R` and
 * the functions below; the prelude decides the precision:
 *
 * - `ff` (float-float): a value is an unevaluated sum hi + lo of two float32 (vec2f),
 *   about 48 significant bits (relative rounding ~ 2^-47 ~ 7e-15). The error-free
 *   transformations (TwoSum, Dekker's split and TwoProd) are written so that a shader
 *   compiler cannot simplify them away: every place where an algebraic rewrite such as
 *   (a + b) - a -> b would be legal without IEEE semantics goes through a multiplication
 *   by `run.one`, a uniform equal to 1 that the compiler cannot see. A self-test kernel
 *   (see self-test.ts) checks at start-up that the adapter really delivers them.
 * - `f32`: plain float32 (R = f32), about 24 significant bits, fastest.
 *
 * Names: A add, S subtract, M multiply, MF multiply by an f32, D divide, F an f32 as R,
 * HI the leading f32, LT less-than, AB absolute value, PV a parameter (vec2f) as R,
 * LD/ST storage element <-> R.
 */
export type Precision = 'ff' | 'f32';

/** Finiteness from the exponent bits (a compiler may assume no NaN/Inf in float comparisons). */
const FIN_BITS = /* wgsl */ `
fn fin(a: f32) -> bool { return (bitcast<u32>(a) & 0x7f800000u) != 0x7f800000u; }
// +Inf built at run time (a constant infinity is rejected by WGSL).
fn INF() -> f32 { return bitcast<f32>(0x7f800000u + u32(run.one) - 1u); }
`;

const FF = /* wgsl */ `
alias R = vec2f;
alias RS = vec2f;
fn twoSum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s * run.one - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}
fn quickTwoSum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  return vec2f(s, b - (s * run.one - a));
}
fn split(a: f32) -> vec2f {
  let t = 4097.0 * a;
  let h = t - (t * run.one - a);
  return vec2f(h, a - h);
}
fn twoProd(a: f32, b: f32) -> vec2f {
  let p = a * b;
  let sa = split(a);
  let sb = split(b);
  return vec2f(p, ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y);
}
fn A(a: R, b: R) -> R {
  var s = twoSum(a.x, b.x);
  let t = twoSum(a.y, b.y);
  s.y = s.y + t.x;
  s = quickTwoSum(s.x, s.y);
  s.y = s.y + t.y;
  return quickTwoSum(s.x, s.y);
}
fn S(a: R, b: R) -> R { return A(a, -b); }
fn M(a: R, b: R) -> R {
  var p = twoProd(a.x, b.x);
  p.y = p.y + (a.x * b.y + a.y * b.x);
  return quickTwoSum(p.x, p.y);
}
fn MF(a: R, b: f32) -> R {
  var p = twoProd(a.x, b);
  p.y = p.y + a.y * b;
  return quickTwoSum(p.x, p.y);
}
fn D(a: R, b: R) -> R {
  let q1 = a.x / b.x;
  let r1 = S(a, M(b, vec2f(q1, 0.0)));
  let q2 = r1.x / b.x;
  let r2 = S(r1, M(b, vec2f(q2, 0.0)));
  let q3 = r2.x / b.x;
  return A(quickTwoSum(q1, q2), vec2f(q3, 0.0));
}
fn F(x: f32) -> R { return vec2f(x, 0.0); }
fn HI(a: R) -> f32 { return a.x; }
fn LT(a: R, b: R) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }
fn AB(a: R) -> R { if (a.x < 0.0 || (a.x == 0.0 && a.y < 0.0)) { return -a; } return a; }
fn PV(v: vec2f) -> R { return v; }
fn LD(v: RS) -> R { return v; }
fn ST(v: R) -> RS { return v; }
fn FIN(a: R) -> bool { return fin(a.x) && fin(a.y); }
`;

const F32 = /* wgsl */ `
alias R = f32;
alias RS = f32;
fn A(a: R, b: R) -> R { return a + b; }
fn S(a: R, b: R) -> R { return a - b; }
fn M(a: R, b: R) -> R { return a * b; }
fn MF(a: R, b: f32) -> R { return a * b; }
fn D(a: R, b: R) -> R { return a / b; }
fn F(x: f32) -> R { return x; }
fn HI(a: R) -> f32 { return a; }
fn LT(a: R, b: R) -> bool { return a < b; }
fn AB(a: R) -> R { return abs(a); }
fn PV(v: vec2f) -> R { return v.x; }
fn LD(v: RS) -> R { return v; }
fn ST(v: R) -> RS { return v; }
fn FIN(a: R) -> bool { return fin(a); }
`;

/** The prelude for a precision (needs a uniform `run` with an f32 field `one` = 1). */
export function arithmeticPrelude(precision: Precision): string {
  return FIN_BITS + (precision === 'ff' ? FF : F32);
}

/** Bytes of one stored coordinate. */
export function storageBytes(precision: Precision): number {
  return precision === 'ff' ? 8 : 4;
}

/** Nominal relative rounding unit of the arithmetic (ff: 2^-47 after normalisation, f32: 2^-24). */
export function unitRoundoff(precision: Precision): number {
  return precision === 'ff' ? 2 ** -47 : 2 ** -24;
}
