import type { Curve } from './curve.js';
import { ConversionRangeError, CurveDefinitionError } from './errors.js';
import { polyDerivative, polyRootsIn, polyValue, solveMonotonic } from './solve.js';

export interface PolynomialCurveOptions {
  readonly conversion: string;
  readonly label: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  /** physics = Σ coefficients[k] · hardware^k (ascending powers, unlike numpy's poly1d). */
  readonly coefficients: readonly number[];
  /**
   * Hardware interval on which the curve is used and must be monotonic; required
   * from order 2 on, optional for order 1 (unbounded when absent).
   */
  readonly range?: readonly [number, number];
}

/**
 * physics = p(hardware), any order. The inverse is a monotonic solve (Newton with
 * bracketing) on `range`; order 1 is inverted in closed form.
 */
export class PolynomialCurve implements Curve {
  readonly label: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  readonly domain: readonly [number, number];
  readonly direction: 1 | -1;
  readonly coefficients: readonly number[];
  private readonly derivative: readonly number[];
  private readonly conversion: string;
  private readonly physicsLimits: readonly [number, number];

  constructor(o: PolynomialCurveOptions) {
    this.conversion = o.conversion;
    this.label = o.label;
    this.hardwareUnits = o.hardwareUnits;
    this.physicsUnits = o.physicsUnits;
    const fail = (detail: string, field: string, value: unknown): never => {
      throw new CurveDefinitionError(o.conversion, detail, field, value, o.label);
    };
    o.coefficients.forEach((c, i) => Number.isFinite(c) || fail(`coefficient ${i} is not a finite number`, `coefficients.${i}`, c));
    const c = [...o.coefficients];
    while (c.length > 1 && c[c.length - 1] === 0) c.pop();
    const order = c.length - 1;
    if (order < 1) fail('the polynomial is constant: it cannot be inverted', 'coefficients', o.coefficients);
    this.coefficients = c;
    this.derivative = polyDerivative(c);
    if (o.range !== undefined) {
      const [lo, hi] = o.range;
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) fail(`range must be [low, high] with low < high`, 'range', o.range);
      this.domain = [lo, hi];
    } else {
      if (order > 1) {
        fail(`a polynomial of order ${order} needs a hardware 'range' on which it is monotonic`, 'range', undefined);
      }
      this.domain = [-Infinity, Infinity];
    }
    if (order === 1) {
      this.direction = c[1] > 0 ? 1 : -1;
    } else {
      const [lo, hi] = this.domain;
      const crit = polyRootsIn([...this.derivative], lo, hi).filter((r) => r > lo && r < hi);
      const knots = [lo, ...crit, hi];
      const signs = new Set<number>();
      for (let i = 0; i + 1 < knots.length; i++) signs.add(Math.sign(polyValue(this.derivative, 0.5 * (knots[i] + knots[i + 1]))));
      if (signs.size !== 1 || signs.has(0)) {
        fail(
          `the polynomial is not monotonic on [${lo}, ${hi}] (its slope changes sign at hardware ${crit.join(', ')}); ` +
            `the inverse would not be unique`,
          'coefficients',
          o.coefficients,
        );
      }
      this.direction = signs.has(1) ? 1 : -1;
    }
    const [lo, hi] = this.domain;
    const ya = Number.isFinite(lo) ? polyValue(c, lo) : this.direction * -Infinity;
    const yb = Number.isFinite(hi) ? polyValue(c, hi) : this.direction * Infinity;
    this.physicsLimits = [Math.min(ya, yb), Math.max(ya, yb)];
  }

  get order(): number {
    return this.coefficients.length - 1;
  }

  toPhysics(h: number): number {
    if (!(h >= this.domain[0] && h <= this.domain[1])) {
      throw new ConversionRangeError(this.conversion, this.label, 'toPhysics', h, this.domain, this.hardwareUnits);
    }
    return polyValue(this.coefficients, h);
  }

  slope(h: number): number {
    return polyValue(this.derivative, h);
  }

  toHardware(p: number): number {
    const [ylo, yhi] = this.physicsLimits;
    if (!(p >= ylo && p <= yhi)) {
      throw new ConversionRangeError(this.conversion, this.label, 'toHardware', p, this.physicsLimits, this.physicsUnits);
    }
    const c = this.coefficients;
    if (c.length === 2) {
      const h = (p - c[0]) / c[1];
      // Closed form; keep the domain exact at its ends.
      return Math.min(Math.max(h, this.domain[0]), this.domain[1]);
    }
    return solveMonotonic(
      (v) => polyValue(c, v),
      (v) => polyValue(this.derivative, v),
      p,
      this.domain[0],
      this.domain[1],
    );
  }
}
