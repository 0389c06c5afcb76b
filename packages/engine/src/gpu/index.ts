/**
 * GPU-backed tracking and batched model evaluation (`@mlayer/engine/gpu`).
 * WebGPU through Dawn (the `webgpu` package), with the CPU engine as reference.
 *
 * - createTracker(lattice | configurations, { backend: 'cpu' | 'webgpu' | 'auto', workers, precision })
 * - WebGpuTracker: the kernel directly (tables per configuration, refpt records, losses)
 * - closedOrbits4 / tunesFromOrbits / orbitResponses: many configurations per tracking call
 * - ParallelCpuTracker: the CPU engine on worker threads
 * - 6D: RF cavities (RFCavityPass, CavityPass) and classical radiation (the ...RadPass
 *   integrators) in the kernel as in the CPU engine; dynamicApertureGpu (4D or 6D)
 *
 * Precision (measured against the CPU engine and pyAT on the shared lattices): 'ff'
 * (float-float, default) within 4e-15 over one turn element by element and 1e-13 over
 * 100 turns; 'f32' within 1.3e-7 over one turn and 2e-4 over 100 turns.
 *
 * Without a hardware GPU, WebGPU runs on Mesa's llvmpipe through Dawn's OpenGL ES backend
 * (Debian: libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri; EGL_PLATFORM=surfaceless is set
 * when absent). 'auto' never picks a software renderer.
 */
export { openWebGpu, isSoftwareRenderer, describeAdapter, type WebGpuContext, type AdapterSummary, type OpenWebGpuOptions } from './device.js';
export { WebGpuTracker, type WebGpuTrackerOptions } from './webgpu-tracker.js';
export { buildTables, type LatticeTables } from './tables.js';
export { checkFloatFloat, type ArithmeticCheck } from './self-test.js';
export { type Precision } from './wgsl/arith.js';
export { WebGpuUnavailableError, GpuUnsupportedElementError, GpuConfigurationMismatchError, GpuLimitError, GpuValidationError } from './errors.js';
export { createTracker, type Tracker, type TrackerBackend, type CreateTrackerOptions } from './tracker.js';
export { ParallelCpuTracker, ParallelTrackingError, dynamicApertureParallel, type ParallelTrackerOptions } from '../parallel/index.js';
export { POSITION_LOOPS } from './webgpu-tracker.js';
export { dynamicApertureGpu, type DynamicApertureGpuOptions, type DynamicApertureGpuResult } from './acceptance-gpu.js';
export {
  closedOrbits4,
  tunesFromOrbits,
  orbitResponses,
  type BatchOrbit,
  type BatchOrbitOptions,
  type BatchOrmOptions,
  type OrbitResponse,
} from './batch.js';
