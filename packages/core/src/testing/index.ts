export * from './memory-control-system.js';
export * from './shared-data.js';
