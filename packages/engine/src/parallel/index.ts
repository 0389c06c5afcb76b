export { ParallelCpuTracker, ParallelTrackingError, type ParallelTrackerOptions } from './parallel-tracker.js';
