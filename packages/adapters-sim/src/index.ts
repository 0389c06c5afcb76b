export * from './twin/index.js';
