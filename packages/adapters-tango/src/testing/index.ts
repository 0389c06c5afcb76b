export * from './accelerator-server.js';
export * from './processes.js';
export * from './tango-system.js';
