export { EpicsControlSystem, epicsEnvironment } from './epics-control-system.js';
export { registerEpics, epicsControlSystemFactory } from './register.js';
export {
  epicsSettingsSchema,
  describeEpicsSearch,
  EpicsEnvironmentError,
  pvaSettingsSchema,
  type EpicsSettings,
  type EpicsSettingsInput,
  type PvaSettings,
} from './settings.js';
export { parsePvName, InvalidPvNameError, type EpicsProtocol, type PvAddress } from './pv-name.js';
export { caSample, pvaSample, UnsupportedValueError, EPICS_EPOCH_OFFSET, type CaData } from './decode.js';
export { type IocElementType, type IocLimits, type IocAlarmLimits, type IocChannelDescription, IocChannelError } from './ioc/channel-description.js';
export { recordFields, generateDb } from './ioc/db-generator.js';
export { epicsExecutable, ensureEpicsBase, type EnsureEpicsBaseOptions } from './ioc/epics-base.js';
export { udpFree, findFreeIocPorts, loopbackEpicsEnv, iocPortsFrom, type IocPorts } from './ioc/ports.js';
export { cleanStaleIocs, type SoftIocOptions, SoftIoc } from './ioc/soft-ioc.js';
export { IocError } from './ioc/ioc-error.js';
