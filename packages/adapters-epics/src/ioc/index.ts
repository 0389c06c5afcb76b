export * from './channel-description.js';
export * from './db-generator.js';
export * from './epics-base.js';
export * from './ports.js';
export * from './soft-ioc.js';
