export * from './lattice.js';
export * from './tracking/index.js';
export * from './physics/index.js';
export * from './model/index.js';
export * from './io/index.js';
