import type { ConversionContext, StandardisationPlan, UnitConversion } from '@mlayer/core';
import type { RigidityStep } from './rigidity-step.js';

/**
 * hardware → field (inner conversion: a curve or a hysteresis model) → normalised
 * strength with the live Bρ from the context. A change of beam energy changes the
 * strength at a fixed hardware value. `commit` and `checkChange` are those of the
 * inner conversion (hysteresis).
 */
export class RigidityConversion implements UnitConversion {
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  readonly commit?: (hardware: number) => void;
  readonly checkChange?: (from: number, to: number) => string | undefined;
  readonly standardisationPlan?: () => StandardisationPlan;

  constructor(
    readonly id: string,
    /** hardware → field */
    readonly inner: UnitConversion,
    readonly step: RigidityStep,
  ) {
    this.hardwareUnits = inner.hardwareUnits;
    this.physicsUnits = step.strengthUnits;
    if (inner.commit) this.commit = (h) => inner.commit!(h);
    if (inner.checkChange) this.checkChange = (from, to) => inner.checkChange!(from, to);
    if (inner.standardisationPlan) this.standardisationPlan = () => inner.standardisationPlan!();
  }

  toPhysics(hardware: number, context: ConversionContext): number {
    return this.step.toStrength(this.inner.toPhysics(hardware, context), context.brho);
  }

  toHardware(physics: number, context: ConversionContext): number {
    return this.inner.toHardware(this.step.toField(physics, context.brho), context);
  }

  /** The field (physics units of the inner conversion) for a hardware value. */
  field(hardware: number, context: ConversionContext): number {
    return this.inner.toPhysics(hardware, context);
  }
}
