export * from './engine/index.js';
export * from './twin/index.js';
