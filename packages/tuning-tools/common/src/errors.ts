import { MlayerError } from '@mlayer/core';

/** An error of the tools' shared code: a response-matrix system that cannot be solved, a bad solver option, a step that cannot be planned. */
export class TuningError extends MlayerError {}

/** One corrector whose planned value lies outside its limits. */
export interface LimitViolation {
  readonly family: string;
  readonly name: string;
  /** Present setpoint, hardware units. */
  readonly current: number;
  /** Planned setpoint, hardware units. */
  readonly target: number;
  readonly limits: readonly [number, number];
}

/** A correction would push correctors past their limits; nothing was written. */
export class CorrectorLimitError extends TuningError {
  constructor(
    readonly violations: readonly LimitViolation[],
    detail = 'nothing was written',
  ) {
    const list = violations
      .slice(0, 8)
      .map((v) => `${v.family} ${v.name}: ${v.current} -> ${v.target} outside [${v.limits[0]}, ${v.limits[1]}]`)
      .join('; ');
    const more = violations.length > 8 ? `; and ${violations.length - 8} more` : '';
    super(`correction stopped: ${violations.length} corrector${violations.length === 1 ? '' : 's'} would pass ${violations.length === 1 ? 'its' : 'their'} limits (${list}${more}); ${detail}`);
  }
}
