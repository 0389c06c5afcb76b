// The virtual accelerator: a twin served over EPICS and TANGO through core's ports, and the bridge between two control systems.
export * from './bridge/index.js';
export * from './serve-options.js';
export * from './serve-epics.js';
export * from './serve-tango.js';
export * from './open-twin.js';
export * from './served-hardware.js';
export * from './served-timing.js';
export * from './served-channels.js';
export * from './facility-overlay.js';
export * from './epics-records.js';
export * from './tango-names.js';
export * from './tango-virtual-servers.js';
export * from './throttled-monitors.js';
