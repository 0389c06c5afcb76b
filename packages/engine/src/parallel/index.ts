export { ParallelCpuTracker, ParallelTrackingError, type ParallelTrackerOptions } from './parallel-tracker.js';
export { dynamicApertureParallel } from './acceptance-parallel.js';
