/** Typed errors of the GPU backend. */
import { MlayerError } from '@mlayer/core';

/** WebGPU could not be initialised (no adapter, no device, a failed self-test); the message says why. */
export class WebGpuUnavailableError extends MlayerError {}

/** An element the GPU kernel cannot track (names the element and the reason). */
export class GpuUnsupportedElementError extends MlayerError {
  constructor(
    readonly index: number,
    readonly element: string,
    readonly passMethod: string,
    readonly reason: string,
  ) {
    super(`${element} (${passMethod}): ${reason}`);
  }
}

/** Lattice configurations given together do not share one structure. */
export class GpuConfigurationMismatchError extends MlayerError {}

/** A request beyond what the device can hold or dispatch (buffer sizes, particle counts). */
export class GpuLimitError extends MlayerError {}

/** WebGPU rejected a pipeline, buffer or dispatch (a validation error); the message names the operation and WebGPU's reason. */
export class GpuValidationError extends MlayerError {}
