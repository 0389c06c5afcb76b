export {
  registerAcceleratorServer,
  startAcceleratorServer,
  type MagnetDefinition,
  type BpmDefinition,
  type AcceleratorServerDefinition,
} from './accelerator-server.js';
export { runToCompletion, TangoSystemError, type ManagedProcess, type SpawnOptions } from '../system/processes.js';
export {
  startTangoSystem,
  DEBIAN_PYTHON,
  type TangoDeviceDefinition,
  type TangoServerSpec,
  type TangoServerProcess,
  type TangoSystem,
  type StartTangoSystemOptions,
} from '../system/tango-system.js';
