export * from './lattice.js';
export * from './physics/index.js';
export * from './model/index.js';
