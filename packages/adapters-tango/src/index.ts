export { parseTangoChannel, TangoChannelError, type TangoChannel } from './channel.js';
export {
  type TangoErrorDetails,
  TangoTimeoutError,
  TangoDisconnectedError,
  TangoNotFoundError,
  TangoWriteRejectedError,
  TangoOutOfLimitsError,
  TangoDevFailedError,
} from './errors.js';
export {
  tangoAddonAvailable,
  type TangoErrorItem,
  type NativeAttributeInfo,
  type TangoEventType,
  type NativeValue,
  type CommandResult,
  TangoAddonUnavailableError,
} from './native-binding.js';
export { registerTango } from './register.js';
export { UnrepresentableReadingError } from './sample-mapping.js';
export { tangoSettingsSchema, type TangoSettings, type TangoSettingsInput } from './settings.js';
export {
  type TangoControlSystemOptions,
  type MonitorOptions,
  type TangoAttributeInfo,
  TangoClosedError,
  TangoControlSystem,
} from './tango-control-system.js';
