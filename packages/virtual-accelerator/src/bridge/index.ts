export type { BridgeDirection, BridgePair, ReconnectPolicy, BridgeOptions, BridgeFailure, BridgeStats, ControlSystemBridge } from './bridge-types.js';
export { BridgeError, bridgeControlSystems } from './bridge-control-systems.js';
export { sameChannelValue } from './values-equal.js';
