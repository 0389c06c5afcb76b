// The virtual accelerator: a twin served over EPICS and TANGO through core's ports, and the bridge between two control systems.
export {
  type BridgeDirection,
  type BridgePair,
  type ReconnectPolicy,
  type BridgeOptions,
  type BridgeFailure,
  type BridgeStats,
  type ControlSystemBridge,
} from './bridge/bridge-types.js';
export { BridgeError, bridgeControlSystems } from './bridge/bridge-control-systems.js';
export { sameChannelValue } from './bridge/values-equal.js';
export { type ServeOptions, type Served, type ServeProtocol } from './serve-options.js';
export { serveEpics, type ServeEpicsOptions, type ServedEpics, serveEpicsCommand } from './serve-epics.js';
export { serveTango, type ServeTangoOptions, type ServedTango, serveTangoCommand } from './serve-tango.js';
export { type HardwareChannel, ServedHardware } from './served-hardware.js';
export { parseLatency, parseRampRate, positiveNumber, type ServedTiming } from './served-timing.js';
export { type ServedChannel } from './served-channels.js';
export { epicsNaming, epicsDescriptions, settleRecords, DEFAULT_PRECISION, type EpicsServedChannel, type EpicsNaming } from './epics-records.js';
export { tangoEnv, type VirtualAttribute, type VirtualDevice, type VirtualServer } from './tango-virtual-servers.js';
export { ThrottledMonitors } from './throttled-monitors.js';
