export * from './channel.js';
export * from './errors.js';
export * from './native-binding.js';
export * from './register.js';
export * from './sample-mapping.js';
export * from './settings.js';
export * from './tango-control-system.js';
