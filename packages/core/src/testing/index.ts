export * from './memory-control-system.js';
