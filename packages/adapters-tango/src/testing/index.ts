export * from './accelerator-server.js';
export * from '../system/index.js';
