/**
 * The binding of a family to lattice-model parameters (its `model` entry): the
 * error raised when it cannot be resolved, and the parameter step one unit of a
 * device's physics value makes.
 */
import { MlayerError } from '../errors.js';
import type { ParameterRef } from './lattice-model.js';

export class ModelBindingError extends MlayerError {}

/** How a unit step of a family in physics units changes one model parameter. */
export interface ParameterStep {
  readonly ref: ParameterRef;
  /** d(parameter)/d(physics value): 1, 1/L (integrated strengths) or L (per-length values). */
  readonly scale: number;
}
