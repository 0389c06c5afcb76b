export { EpicsControlSystem, epicsEnvironment } from './epics-control-system.js';
export { registerEpics, epicsControlSystemFactory } from './register.js';
export { epicsSettingsSchema, epicsFacilitySettingsSchema, withEpicsEnvironment, describeEpicsSearch, EpicsEnvironmentError, pvaSettingsSchema, addressHosts, type EpicsSettings, type EpicsSettingsInput, type PvaSettings } from './settings.js';
export { parsePvName, InvalidPvNameError, type EpicsProtocol, type PvAddress } from './pv-name.js';
export { caSample, pvaSample, disconnectedSample, UnsupportedValueError, EPICS_EPOCH_OFFSET, CA_ALARM_STATUS, type CaData } from './decode.js';
export * from './ioc/index.js';
