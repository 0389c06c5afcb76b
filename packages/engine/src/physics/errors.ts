/**
 * Errors of the linear-optics algorithms. An unstable one-turn map raises
 * UnstableLatticeError (the port's error, from @mlayer/core); a closed-orbit
 * search that does not converge raises ClosedOrbitError.
 */
import { MlayerError, UnstableLatticeError } from '@mlayer/core';

export { UnstableLatticeError };

/** The Newton search for the closed orbit failed (no convergence, singular Jacobian, lost particle). */
export class ClosedOrbitError extends MlayerError {
  constructor(
    readonly dp: number,
    readonly detail: string,
  ) {
    super(`closed orbit at dp=${dp}: ${detail}`);
  }
}

/** An element cannot be used the way it was asked for (e.g. a corrector without a KickAngle response). */
export class ElementUsageError extends MlayerError {
  constructor(
    readonly index: number,
    readonly famName: string,
    detail: string,
  ) {
    super(`element ${index} (${famName}): ${detail}`);
  }
}
