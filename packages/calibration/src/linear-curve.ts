import { PolynomialCurve } from './polynomial-curve.js';

export interface LinearCurveOptions {
  readonly conversion: string;
  readonly label: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  /** physics = gain · hardware + offset */
  readonly gain: number;
  readonly offset?: number;
  readonly range?: readonly [number, number];
}

/** physics = gain · hardware + offset (a polynomial of order 1). */
export function linearCurve(o: LinearCurveOptions): PolynomialCurve {
  return new PolynomialCurve({
    conversion: o.conversion,
    label: o.label,
    hardwareUnits: o.hardwareUnits,
    physicsUnits: o.physicsUnits,
    coefficients: [o.offset ?? 0, o.gain],
    range: o.range,
  });
}
