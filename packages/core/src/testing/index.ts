export { registerMemory, type MemoryChannelOptions, type RecordedWrite, MemoryControlSystem } from './memory-control-system.js';
export { sharedDataDir } from './shared-data.js';
