import { solveMonotonic } from './solve.js';

/**
 * Piecewise cubic Hermite interpolant in the form scipy's PPoly uses: on
 * [x[i], x[i+1]] the value is ((c0·s + c1)·s + c2)·s + c3 with s = x - x[i].
 * Built from knots and knot derivatives (PCHIP or linear).
 */
export class PiecewiseCubic {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly d: Float64Array;
  /** Coefficients per interval: c[4i..4i+3] = c0, c1, c2, c3. */
  private readonly c: Float64Array;

  constructor(x: ArrayLike<number>, y: ArrayLike<number>, d: ArrayLike<number>) {
    const n = x.length;
    this.x = Float64Array.from(x);
    this.y = Float64Array.from(y);
    this.d = Float64Array.from(d);
    this.c = new Float64Array(4 * (n - 1));
    for (let i = 0; i < n - 1; i++) {
      const h = this.x[i + 1] - this.x[i];
      const slope = (this.y[i + 1] - this.y[i]) / h;
      const t = (this.d[i] + this.d[i + 1] - 2 * slope) / h;
      this.c[4 * i] = t / h;
      this.c[4 * i + 1] = (slope - this.d[i]) / h - t;
      this.c[4 * i + 2] = this.d[i];
      this.c[4 * i + 3] = this.y[i];
    }
  }

  get intervals(): number {
    return this.x.length - 1;
  }

  /** Interval i with x[i] <= v < x[i+1]; the last interval includes its right end; outside: the end intervals. */
  interval(v: number): number {
    const x = this.x;
    const last = x.length - 2;
    if (v < x[1]) return 0;
    if (v >= x[last]) return last;
    let lo = 1;
    let hi = last;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (v >= x[mid]) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Value of the cubic of interval i at v (also beyond the interval: extension of the end pieces). */
  valueOn(i: number, v: number): number {
    const s = v - this.x[i];
    const c = this.c;
    return ((c[4 * i] * s + c[4 * i + 1]) * s + c[4 * i + 2]) * s + c[4 * i + 3];
  }

  slopeOn(i: number, v: number): number {
    const s = v - this.x[i];
    const c = this.c;
    return (3 * c[4 * i] * s + 2 * c[4 * i + 1]) * s + c[4 * i + 2];
  }

  value(v: number): number {
    return this.valueOn(this.interval(v), v);
  }

  slope(v: number): number {
    return this.slopeOn(this.interval(v), v);
  }

  /** Coefficients of interval i in ascending powers of s = v - x[i]. */
  coefficients(i: number): [number, number, number, number] {
    const c = this.c;
    return [c[4 * i + 3], c[4 * i + 2], c[4 * i + 1], c[4 * i]];
  }

  /**
   * Hardware value for a physics value inside [min y, max y]: the knot interval is
   * found by bisection on the (monotonic) knot values, then the cubic is solved.
   */
  inverse(target: number): number {
    const y = this.y;
    const n = y.length;
    const inc = y[n - 1] > y[0];
    // Exact knot hit.
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (inc ? target >= y[mid] : target <= y[mid]) lo = mid;
      else hi = mid;
    }
    if (target === y[lo]) return this.x[lo];
    if (target === y[hi]) return this.x[hi];
    const i = lo;
    return solveMonotonic(
      (v) => this.valueOn(i, v),
      (v) => this.slopeOn(i, v),
      target,
      this.x[i],
      this.x[i + 1],
    );
  }
}

function sign(v: number): number {
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/**
 * Knot derivatives of the shape-preserving PCHIP interpolant as scipy's
 * PchipInterpolator computes them (Fritsch–Carlson with the Fritsch–Butland
 * weighted harmonic mean at interior knots, and the one-sided three-point
 * end-point rule limited to preserve shape; two knots: the chord slope).
 */
export function pchipDerivatives(x: ArrayLike<number>, y: ArrayLike<number>): Float64Array {
  const n = x.length;
  const h = new Float64Array(n - 1);
  const m = new Float64Array(n - 1);
  for (let k = 0; k < n - 1; k++) {
    h[k] = x[k + 1] - x[k];
    m[k] = (y[k + 1] - y[k]) / h[k];
  }
  const d = new Float64Array(n);
  if (n === 2) {
    d[0] = m[0];
    d[1] = m[0];
    return d;
  }
  for (let k = 1; k < n - 1; k++) {
    if (sign(m[k]) !== sign(m[k - 1]) || m[k] === 0 || m[k - 1] === 0) {
      d[k] = 0;
    } else {
      const w1 = 2 * h[k] + h[k - 1];
      const w2 = h[k] + 2 * h[k - 1];
      const whmean = (w1 / m[k - 1] + w2 / m[k]) / (w1 + w2);
      d[k] = 1 / whmean;
    }
  }
  d[0] = pchipEdge(h[0], h[1], m[0], m[1]);
  d[n - 1] = pchipEdge(h[n - 2], h[n - 3], m[n - 2], m[n - 3]);
  return d;
}

function pchipEdge(h0: number, h1: number, m0: number, m1: number): number {
  const d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1);
  if (sign(d) !== sign(m0)) return 0;
  if (sign(m0) !== sign(m1) && Math.abs(d) > 3 * Math.abs(m0)) return 3 * m0;
  return d;
}
