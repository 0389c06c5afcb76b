import { MlayerError, describeValue } from '@mlayer/core';

/** A data file could not be created, opened, read or renamed. Names the file and, where known, the path inside it. */
export class DataFileError extends MlayerError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly objectPath?: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${objectPath ? `: ${objectPath}` : ''}: ${detail}`, options);
  }
}

/** A value cannot be stored as asked (wrong type, NaN where an integer is required, ragged array, ...). */
export class DataValueError extends MlayerError {
  constructor(
    readonly file: string,
    readonly objectPath: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${file}: ${objectPath}: ${expected} (got ${describeValue(value)})`);
  }
}

/** A scan definition is invalid, or does not match the scan already stored in the directory. */
export class ScanDefinitionError extends MlayerError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`scan definition: ${field}: ${expected} (got ${describeValue(value)})`);
  }
}

/** Another live process is running the scan in this directory. */
export class ScanLockedError extends MlayerError {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`${dir}: scan is being run by process ${pid} (lock file scan.lock); wait for it or remove the lock if that process is gone`);
  }
}
