// A private TANGO system (MariaDB database, DataBaseds) and the processes it runs: used by the virtual accelerator and by tests.
export * from './processes.js';
export * from './tango-system.js';
