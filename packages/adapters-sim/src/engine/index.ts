export * from './lattice.js';
