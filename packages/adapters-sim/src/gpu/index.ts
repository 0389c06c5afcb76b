/**
 * GPU-backed tracking and batched model evaluation (`@mlayer/adapters-sim/gpu`).
 * WebGPU through Dawn (the `webgpu` package), with the CPU engine as reference.
 */
export { openWebGpu, probeHardwareAdapter, isSoftwareRenderer, describeAdapter, type WebGpuContext, type AdapterSummary, type OpenWebGpuOptions } from './device.js';
export { WebGpuTracker, type WebGpuTrackerOptions } from './webgpu-tracker.js';
export { buildTables, GPU_PASS_METHODS, type LatticeTables } from './tables.js';
export { checkFloatFloat, type ArithmeticCheck } from './self-test.js';
export { unitRoundoff, type Precision } from './wgsl/arith.js';
export { WebGpuUnavailableError, GpuUnsupportedElementError, GpuConfigurationMismatchError, GpuLimitError } from './errors.js';
export { createTracker, type Tracker, type TrackerBackend, type CreateTrackerOptions } from './tracker.js';
export { ParallelCpuTracker, ParallelTrackingError, type ParallelTrackerOptions } from '../engine/parallel/index.js';
export { LLVMPIPE_LOOP_BUDGET, POSITION_LOOPS } from './webgpu-tracker.js';
export { closedOrbits4, tunesFromOrbits, orbitResponses, type BatchOrbit, type BatchOrbitOptions, type BatchOrmOptions, type OrbitResponse } from './batch.js';
