import { MlayerError } from '@mlayer/core';
import { formatUnits, multipoleFieldUnits } from './units.js';

export type StrengthKind = 'K' | 'KL' | 'kick';

export interface RigidityStepOptions {
  /** Multipole order n (0 dipole, 1 quadrupole, 2 sextupole, ...). */
  readonly order: number;
  /** The field is integrated over the length (T·m^(1-n)) or local (T·m^-n); default integrated. */
  readonly field?: 'integrated' | 'local';
  readonly strength: StrengthKind;
  /** Magnetic length in m. */
  readonly length?: number;
  /** Divide by n! (AT PolynomB convention). */
  readonly factorial?: boolean;
  readonly sign?: 1 | -1;
}

/** Why a rigidity step cannot be built (field of the spec and reason). */
export class RigidityStepError extends MlayerError {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`rigidity step, ${field}: ${detail}`);
  }
}

/**
 * field ↔ normalised strength with the beam rigidity Bρ (T·m):
 * strength = sign · field · lengthFactor / (Bρ · n!^factorial), where lengthFactor
 * is 1/L from integrated field to K, L from local field to KL / kick, 1 otherwise.
 */
export class RigidityStep {
  readonly order: number;
  readonly integrated: boolean;
  readonly strength: StrengthKind;
  readonly fieldUnits: string;
  readonly strengthUnits: string;
  /** strength = factor · field / Bρ */
  readonly factor: number;

  constructor(o: RigidityStepOptions) {
    this.order = o.order;
    this.integrated = (o.field ?? 'integrated') === 'integrated';
    this.strength = o.strength;
    if (!Number.isInteger(o.order) || o.order < 0) throw new RigidityStepError('order', `order must be an integer >= 0, got ${o.order}`);
    if (o.strength === 'kick' && o.order !== 0) {
      throw new RigidityStepError('strength', `a kick angle is the strength of order 0 (dipole/corrector), not of order ${o.order}`);
    }
    let lengthFactor = 1;
    if (this.integrated && o.strength === 'K') {
      if (o.length === undefined) throw new RigidityStepError('length', 'K from an integrated field needs the magnetic length');
      lengthFactor = 1 / o.length;
    } else if (!this.integrated && o.strength !== 'K') {
      if (o.length === undefined) throw new RigidityStepError('length', `${o.strength} from a local field needs the magnetic length`);
      lengthFactor = o.length;
    }
    let fact = 1;
    if (o.factorial) for (let k = 2; k <= o.order; k++) fact *= k;
    this.factor = ((o.sign ?? 1) * lengthFactor) / fact;
    this.fieldUnits = multipoleFieldUnits(o.order, this.integrated);
    this.strengthUnits =
      o.strength === 'kick' ? 'rad' : formatUnits(new Map([['m', o.strength === 'K' ? -(o.order + 1) : -o.order]]));
  }

  toStrength(field: number, brho: number): number {
    return (this.factor * field) / brho;
  }

  toField(strength: number, brho: number): number {
    return (strength * brho) / this.factor;
  }
}
