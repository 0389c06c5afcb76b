import type { BeamState } from './beam.js';

/** What a conversion may depend on besides the value: the live beam state. */
export interface ConversionContext {
  readonly beam: BeamState;
  /** B·rho in T·m for the current beam state. */
  readonly brho: number;
}

/**
 * Hardware <-> physics conversion of one device field (amperes <-> K, counts <-> m, ...).
 * Both directions are required; stateful conversions (hysteresis) learn every
 * hardware setpoint written through `commit`.
 */
export interface UnitConversion {
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  toPhysics(hardware: number, context: ConversionContext): number;
  toHardware(physics: number, context: ConversionContext): number;
  /** Called after a hardware setpoint has been written (history-dependent conversions). */
  commit?(hardware: number): void;
  /**
   * For history-dependent magnets: throws (or returns a reason) when a change from
   * `from` to `to` needs a standardisation first.
   */
  checkChange?(from: number, to: number): string | undefined;
  /**
   * History-dependent magnets: the standardisation (cycling) procedure that puts
   * the magnet on a known branch. `complete()` is called after the last step.
   */
  standardisationPlan?(): StandardisationPlan;
}

export interface StandardisationPlan {
  /** Hardware setpoints of the cycle, in order. */
  readonly steps: readonly number[];
  /** Seconds to wait after each step. */
  readonly dwell: number;
  complete(): void;
}

/** The identity conversion, used when a field declares no conversion. */
export function identityConversion(units = ''): UnitConversion {
  return {
    hardwareUnits: units,
    physicsUnits: units,
    toPhysics: (v) => v,
    toHardware: (v) => v,
  };
}

/** Applies a conversion to an array of values (one conversion per element). */
export function convertAll(
  conversions: readonly UnitConversion[],
  values: ArrayLike<number>,
  direction: 'toPhysics' | 'toHardware',
  context: ConversionContext,
): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = conversions[i][direction](values[i], context);
  return out;
}
