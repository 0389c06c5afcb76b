// A private TANGO system (MariaDB database, DataBaseds) and the processes it runs: used by the virtual accelerator and by tests.
export { spawnManaged, waitForOutput, runToCompletion, TangoSystemError, type ManagedProcess, type SpawnOptions } from './processes.js';
export {
  startTangoSystem,
  DEBIAN_PYTHON,
  type TangoDeviceDefinition,
  type TangoServerSpec,
  type TangoServerProcess,
  type TangoSystem,
  type StartTangoSystemOptions,
} from './tango-system.js';
