/**
 * Step sizes of the response measurements as typed (`--kick 10urad`, `--kick 0.05A`,
 * `--step 100Hz`) or taken from the facility (tools.orbit.ormStep, physics units), turned
 * into the half-amplitude per device in the units the measurement runs in.
 *
 * The rule for a bare number (`--kick 1e-5`): it is taken in the units of `-u` only when
 * `-u` is given on the command line; otherwise it is refused. A bare number once meant
 * hardware units silently (1e-5 A where 1e-5 rad was meant: ~2e-9 rad, a step lost in
 * the noise); a value that names its unit cannot be misread.
 */
import { MlayerError, lookupUnit, type Family, type Units } from '@mlayer/core';
import { parseNumber } from './cli-values.js';

/** A number with an optional unit: `10urad`, `10 µrad`, `0.05A`, `1e-5`. */
export interface Quantity {
  readonly value: number;
  readonly unit?: string;
  /** As typed. */
  readonly text: string;
}

export function parseQuantity(text: string, what: string): Quantity {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S.*?)?\s*$/.exec(text);
  if (!m) throw new MlayerError(`${what}: ${JSON.stringify(text)} is not a number with an optional unit (e.g. 10urad, 0.05A, 1e-5)`);
  const value = parseNumber(m[1], what);
  return m[2] === undefined ? { value, text } : { value, unit: m[2], text };
}

const sameDim = (a: readonly number[], b: readonly number[]) => a.every((v, i) => v === b[i]);

/**
 * Which unit system a quantity is in for a family's setpoint, and its value in that
 * system's unit: its unit has the dimension of the physics or of the hardware unit
 * (the measurement's own system first when both have the same dimension).
 */
export function quantityIn(q: Quantity, fam: Family, measurement: Units, what: string): { value: number; units: Units } {
  const u = fam.units('setpoint');
  if (q.unit === undefined) return { value: q.value, units: measurement };
  const spec = lookupUnit(q.unit);
  if (!spec) throw new MlayerError(`${what}: unknown unit '${q.unit}' (${fam.name} steps in ${u.hardware || '(no unit)'} hardware or ${u.physics || '(no unit)'} physics units)`);
  for (const system of measurement === 'physics' ? (['physics', 'hardware'] as const) : (['hardware', 'physics'] as const)) {
    const own = lookupUnit(u[system]);
    if (own && sameDim(own.unitDimension, spec.unitDimension)) return { value: (q.value * spec.unitSI) / own.unitSI, units: system };
  }
  throw new MlayerError(`${what}: '${q.unit}' is not a unit of ${fam.name}'s setpoint (hardware ${u.hardware || '(no unit)'}, physics ${u.physics || '(no unit)'})`);
}

/**
 * Half-amplitudes per device of a family, in the measurement's units, for a step of
 * `value` in `units` around the present setpoints `hw` (hardware units): a physics step
 * in a hardware measurement is (I(θ0 + k) − I(θ0 − k)) / 2 of each device's conversion.
 */
export function stepsIn(fam: Family, hw: ArrayLike<number>, value: number, units: Units, measurement: Units): Float64Array {
  if (units === measurement) return new Float64Array(hw.length).fill(value);
  if (units === 'physics') {
    const phys = fam.toPhysics(Array.from(hw));
    const up = fam.toHardware(Array.from(phys, (v) => v + value));
    const dn = fam.toHardware(Array.from(phys, (v) => v - value));
    return Float64Array.from(up, (u, i) => Math.abs(u - dn[i]) / 2);
  }
  const up = fam.toPhysics(Array.from(hw, (v) => v + value));
  const dn = fam.toPhysics(Array.from(hw, (v) => v - value));
  return Float64Array.from(up, (u, i) => Math.abs(u - dn[i]) / 2);
}

/** Refuses a bare number unless the units were given on the command line (see the rule above). */
export function requireUnitsFor(q: Quantity, option: string, unitsGiven: boolean, example: string): void {
  if (q.unit === undefined && !unitsGiven) {
    throw new MlayerError(`${option} ${q.text}: say which units the step is in: give its unit (${example}), or -u physics / -u hardware (a bare number no longer means hardware units silently); nothing was changed`);
  }
}
