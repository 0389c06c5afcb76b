import type { ControlSystem } from '../control/control-system.js';
import type { LatticeModel, ParameterRef } from './lattice-model.js';

/**
 * What a digital twin offers beyond the ControlSystem port: the design model (what
 * tools may know), the machine model (the errored lattice that the channels show),
 * a seeded error set, and live changes by another actor.
 */
export interface DigitalTwin {
  readonly isDigitalTwin: true;
  /** The ideal lattice: what model-based tools use. */
  readonly designModel: LatticeModel;
  /** The lattice behind the channels (design plus errors plus setpoints). */
  readonly machineModel: LatticeModel;
  /** Seed of the error set applied last (undefined when none). */
  readonly errorSeed: number | undefined;
  /** Applies an error specification (validated by the twin; magnets and BPMs keyed by family or group, as error-set files) with a seed; reproducible. */
  applyErrors(spec: unknown, seed: number): void;
  /** Removes every error (back to the design lattice with the present setpoints). */
  clearErrors(): void;
  /**
   * Restarts the twin's random streams (reading noise, turn-by-turn noise) from a seed: what
   * follows is reproducible whatever was drawn before (commissioning resumes a seed at a stage).
   */
  reseedNoise?(seed: number): void;
  /** The twin's beam (issue 22): none, the first turns after an injection, or stored. */
  readonly beamState?: 'none' | 'first-turns' | 'stored';
  /** Dumps the beam ('none': commissioning from no beam; injections through the facility's Injection family) or puts back the start-up stored beam. */
  resetBeam?(state: 'none' | 'stored'): void;
  /**
   * Injected faults (issue 24): each `{ kind, start, ... }` (start in ms on the twin's clock),
   * in order; injectFaults checks every spec (the twin's fault schema) before adding any.
   */
  readonly faults?: readonly { readonly kind: string; readonly start: number }[];
  injectFaults?(specs: readonly unknown[]): readonly { readonly kind: string; readonly start: number }[];
  clearFaults?(): void;
  /** A change by another actor (a disturbance): tools see it through the channels only. */
  setModelParameter(ref: ParameterRef, value: number): void;
}

export function isDigitalTwin(cs: ControlSystem): cs is ControlSystem & DigitalTwin {
  return (cs as Partial<DigitalTwin>).isDigitalTwin === true;
}
