import type { Curve } from './curve.js';
import { ConversionRangeError, CurveDefinitionError } from './errors.js';
import { PiecewiseCubic, pchipDerivatives } from './pchip.js';
import { polyRootsIn, solveMonotonic } from './solve.js';

export type Interpolation = 'pchip' | 'linear';
/**
 * What happens outside the table's hardware range:
 * - `error`: a ConversionRangeError (default);
 * - `clamp`: the end value (and the end hardware value for physics values beyond);
 * - `linear`: a straight line with the end derivative of the interpolant;
 * - `extend`: the end piece of the interpolant continued (scipy's `extrapolate=True`,
 *   what pytac does inside its wider conversion limits); needs `domain`.
 */
export type Extrapolation = 'error' | 'clamp' | 'linear' | 'extend';

export interface TableCurveOptions {
  /** Conversion id (for errors). */
  readonly conversion: string;
  readonly label: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  readonly hardware: readonly number[];
  readonly physics: readonly number[];
  readonly interpolation?: Interpolation;
  readonly extrapolation?: Extrapolation;
  /** Hardware interval allowed beyond the table (extrapolation `linear`, `extend`; required for `extend`). */
  readonly domain?: readonly [number, number];
}

/**
 * A tabulated monotonic curve with PCHIP (scipy PchipInterpolator) or linear
 * interpolation. Rows may come in any order; they are sorted by hardware value.
 * The physics column must be strictly monotonic.
 */
export class TableCurve implements Curve {
  readonly label: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  readonly domain: readonly [number, number];
  readonly direction: 1 | -1;
  readonly interpolation: Interpolation;
  readonly extrapolation: Extrapolation;
  /** Knots sorted by hardware. */
  readonly hardware: Float64Array;
  readonly physics: Float64Array;
  private readonly conversion: string;
  private readonly cubic: PiecewiseCubic | undefined;
  private readonly endSlopes: readonly [number, number];

  constructor(o: TableCurveOptions) {
    this.conversion = o.conversion;
    this.label = o.label;
    this.hardwareUnits = o.hardwareUnits;
    this.physicsUnits = o.physicsUnits;
    this.interpolation = o.interpolation ?? 'pchip';
    this.extrapolation = o.extrapolation ?? 'error';
    const fail = (detail: string, field: string, value: unknown): never => {
      throw new CurveDefinitionError(o.conversion, detail, field, value, o.label);
    };
    if (o.hardware.length !== o.physics.length) {
      fail(`hardware and physics columns differ in length (${o.hardware.length} and ${o.physics.length})`, 'physics', o.physics.length);
    }
    if (o.hardware.length < 2) fail(`a table needs at least 2 points, got ${o.hardware.length}`, 'hardware', o.hardware.length);
    o.hardware.forEach((v, i) => Number.isFinite(v) || fail(`hardware value ${i} is not a finite number`, `hardware.${i}`, v));
    o.physics.forEach((v, i) => Number.isFinite(v) || fail(`physics value ${i} is not a finite number`, `physics.${i}`, v));
    const order = o.hardware.map((_, i) => i).sort((a, b) => o.hardware[a] - o.hardware[b]);
    const x = Float64Array.from(order, (i) => o.hardware[i]);
    const y = Float64Array.from(order, (i) => o.physics[i]);
    for (let k = 0; k + 1 < x.length; k++) {
      if (x[k + 1] === x[k]) fail(`hardware value ${x[k]} appears twice`, 'hardware', x[k]);
    }
    const dir = Math.sign(y[1] - y[0]);
    for (let k = 0; k + 1 < y.length; k++) {
      const s = Math.sign(y[k + 1] - y[k]);
      if (s === 0 || s !== dir) {
        fail(
          `non-monotonic table: physics goes ${y[k]} → ${y[k + 1]} between hardware ${x[k]} and ${x[k + 1]} ` +
            `while it ${dir > 0 ? 'increases' : 'decreases'} elsewhere; the inverse would not be unique`,
          'physics',
          [...y],
        );
      }
    }
    this.direction = dir > 0 ? 1 : -1;
    this.hardware = x;
    this.physics = y;
    const n = x.length;
    if (this.interpolation === 'pchip') {
      this.cubic = new PiecewiseCubic(x, y, pchipDerivatives(x, y));
      this.endSlopes = [this.cubic.d[0], this.cubic.d[n - 1]];
    } else {
      this.cubic = undefined;
      this.endSlopes = [(y[1] - y[0]) / (x[1] - x[0]), (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2])];
    }
    const ext = this.extrapolation;
    if (o.domain !== undefined) {
      if (ext === 'error' || ext === 'clamp') {
        fail(`'domain' applies only to extrapolation 'linear' or 'extend' (here '${ext}')`, 'domain', o.domain);
      }
      const [lo, hi] = o.domain;
      if (!(lo <= x[0] && hi >= x[n - 1])) {
        fail(`domain [${lo}, ${hi}] must contain the table's hardware range [${x[0]}, ${x[n - 1]}]`, 'domain', o.domain);
      }
      this.domain = [lo, hi];
    } else if (ext === 'extend') {
      fail(`extrapolation 'extend' needs a 'domain' (the hardware interval where the end pieces may be used)`, 'domain', undefined);
      this.domain = [x[0], x[n - 1]];
    } else if (ext === 'error') {
      this.domain = [x[0], x[n - 1]];
    } else {
      this.domain = [-Infinity, Infinity];
    }
    if (ext === 'extend' && this.cubic) this.checkExtensionMonotonic(fail);
  }

  private checkExtensionMonotonic(fail: (d: string, f: string, v: unknown) => never): void {
    const cubic = this.cubic!;
    const x = this.hardware;
    const n = x.length;
    const pieces: [number, number, number][] = [
      [0, this.domain[0], x[0]],
      [cubic.intervals - 1, x[n - 1], this.domain[1]],
    ];
    for (const [i, a, b] of pieces) {
      if (!(b > a)) continue;
      const [, c1, c2, c3] = cubic.coefficients(i);
      // derivative in s = v - x[i]: c1 + 2 c2 s + 3 c3 s^2
      const roots = polyRootsIn([c1, 2 * c2, 3 * c3], a - x[i], b - x[i]).filter((s) => s > a - x[i] && s < b - x[i]);
      const slopes = [a, b].map((v) => cubic.slopeOn(i, v) * this.direction);
      if (roots.length > 0 || slopes.some((s) => s < 0)) {
        fail(
          `the extended end piece is not monotonic on [${a}, ${b}] (its slope changes sign at hardware ` +
            `${roots.map((s) => s + x[i]).join(', ') || a}); narrow the domain or use extrapolation 'linear'`,
          'domain',
          this.domain,
        );
      }
    }
  }

  get range(): readonly [number, number] {
    return [this.hardware[0], this.hardware[this.hardware.length - 1]];
  }

  toPhysics(h: number): number {
    const x = this.hardware;
    const y = this.physics;
    const n = x.length;
    if (h >= x[0] && h <= x[n - 1]) return this.inside(h);
    if (!(h >= this.domain[0] && h <= this.domain[1]) || this.extrapolation === 'error' || Number.isNaN(h)) {
      throw new ConversionRangeError(this.conversion, this.label, 'toPhysics', h, this.outerRange(), this.hardwareUnits);
    }
    const below = h < x[0];
    switch (this.extrapolation) {
      case 'clamp':
        return below ? y[0] : y[n - 1];
      case 'linear':
        return below ? y[0] + this.endSlopes[0] * (h - x[0]) : y[n - 1] + this.endSlopes[1] * (h - x[n - 1]);
      case 'extend':
        return this.cubic ? this.cubic.value(h) : below ? y[0] + this.endSlopes[0] * (h - x[0]) : y[n - 1] + this.endSlopes[1] * (h - x[n - 1]);
    }
  }

  slope(h: number): number {
    const x = this.hardware;
    const n = x.length;
    if (h >= x[0] && h <= x[n - 1]) {
      if (this.cubic) return this.cubic.slope(h);
      const i = this.linearInterval(h);
      return (this.physics[i + 1] - this.physics[i]) / (x[i + 1] - x[i]);
    }
    const below = h < x[0];
    if (this.extrapolation === 'clamp') return 0;
    if (this.extrapolation === 'extend' && this.cubic) return this.cubic.slope(h);
    return below ? this.endSlopes[0] : this.endSlopes[1];
  }

  toHardware(p: number): number {
    const x = this.hardware;
    const y = this.physics;
    const n = x.length;
    const yLo = Math.min(y[0], y[n - 1]);
    const yHi = Math.max(y[0], y[n - 1]);
    if (p >= yLo && p <= yHi) {
      if (this.cubic) return this.cubic.inverse(p);
      return this.linearInverse(p);
    }
    // A value a few ulps past an end knot (round-off of a composed conversion) is that knot.
    const eps = 8 * Number.EPSILON * Math.max(Math.abs(yLo), Math.abs(yHi), yHi - yLo);
    if (Math.abs(p - y[0]) <= eps) return x[0];
    if (Math.abs(p - y[n - 1]) <= eps) return x[n - 1];
    // Beyond the table: which end?
    const atStart = this.direction > 0 ? p < y[0] : p > y[0];
    const fail = (): never => {
      throw new ConversionRangeError(this.conversion, this.label, 'toHardware', p, this.physicsRange(), this.physicsUnits);
    };
    if (Number.isNaN(p)) return fail();
    switch (this.extrapolation) {
      case 'error':
        return fail();
      case 'clamp':
        return atStart ? x[0] : x[n - 1];
      case 'linear': {
        const s = atStart ? this.endSlopes[0] : this.endSlopes[1];
        if (s === 0) return fail();
        const h = atStart ? x[0] + (p - y[0]) / s : x[n - 1] + (p - y[n - 1]) / s;
        if (h < this.domain[0] || h > this.domain[1]) return fail();
        return h;
      }
      case 'extend': {
        const a = atStart ? this.domain[0] : x[n - 1];
        const b = atStart ? x[0] : this.domain[1];
        const ya = this.toPhysics(a);
        const yb = this.toPhysics(b);
        const tol = 8 * Number.EPSILON * Math.max(Math.abs(ya), Math.abs(yb));
        if (Math.abs(p - ya) <= tol) return a;
        if (Math.abs(p - yb) <= tol) return b;
        if (!(p >= Math.min(ya, yb) && p <= Math.max(ya, yb))) return fail();
        return solveMonotonic((v) => this.toPhysics(v), (v) => this.slope(v), p, a, b);
      }
    }
  }

  /** Physics values reachable (including the declared extrapolation domain). */
  physicsRange(): [number, number] {
    const a = this.extrapolation === 'error' || this.extrapolation === 'clamp' ? this.hardware[0] : this.domain[0];
    const b =
      this.extrapolation === 'error' || this.extrapolation === 'clamp' ? this.hardware[this.hardware.length - 1] : this.domain[1];
    const ya = Number.isFinite(a) ? this.toPhysics(a) : this.direction * -Infinity;
    const yb = Number.isFinite(b) ? this.toPhysics(b) : this.direction * Infinity;
    return [Math.min(ya, yb), Math.max(ya, yb)];
  }

  private outerRange(): [number, number] {
    return this.extrapolation === 'error' || this.extrapolation === 'clamp' ? [...this.range] : [this.domain[0], this.domain[1]];
  }

  private inside(h: number): number {
    if (this.cubic) return this.cubic.value(h);
    const i = this.linearInterval(h);
    const x = this.hardware;
    const y = this.physics;
    if (h === x[i + 1]) return y[i + 1];
    return y[i] + ((y[i + 1] - y[i]) * (h - x[i])) / (x[i + 1] - x[i]);
  }

  private linearInterval(h: number): number {
    const x = this.hardware;
    let lo = 0;
    let hi = x.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (h >= x[mid]) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  private linearInverse(p: number): number {
    const x = this.hardware;
    const y = this.physics;
    const inc = this.direction > 0;
    let lo = 0;
    let hi = y.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (inc ? p >= y[mid] : p <= y[mid]) lo = mid;
      else hi = mid;
    }
    if (p === y[lo]) return x[lo];
    if (p === y[hi]) return x[hi];
    const f = (v: number) => y[lo] + ((y[hi] - y[lo]) * (v - x[lo])) / (x[hi] - x[lo]);
    const m = (y[hi] - y[lo]) / (x[hi] - x[lo]);
    return solveMonotonic(f, () => m, p, x[lo], x[hi]);
  }
}
