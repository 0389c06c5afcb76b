import type { ConversionContext, UnitConversion } from '@mlayer/core';
import type { Curve } from './curve.js';

/** A UnitConversion made of one curve (no beam dependence, no state). */
export class CurveConversion implements UnitConversion {
  readonly hardwareUnits: string;
  readonly physicsUnits: string;

  constructor(
    /** Conversion id in the facility file. */
    readonly id: string,
    readonly curve: Curve,
  ) {
    this.hardwareUnits = curve.hardwareUnits;
    this.physicsUnits = curve.physicsUnits;
  }

  toPhysics(hardware: number, _context?: ConversionContext): number {
    return this.curve.toPhysics(hardware);
  }

  toHardware(physics: number, _context?: ConversionContext): number {
    return this.curve.toHardware(physics);
  }
}
