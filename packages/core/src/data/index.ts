export * from './errors.js';
export * from './units.js';
export { sha256File, sha256Of, isSha256Hex } from './sha256.js';
export type { AttrValue, AttrRead, NumericDtype, NumericData, DatasetValue } from './h5.js';
export type { NumericInput, UnitOptions, AxisSpec, DatasetOptions, AxisRead, DatasetRecord } from './datasets.js';
export type { CreateOptions } from './h5-writer.js';
export { H5Writer } from './h5-writer.js';
export * from './measurement-file.js';
export { SOFTWARE_NAME, OPENPMD_VERSION, MEASUREMENT_EXTENSION, SCAN_EXTENSION, softwareVersion } from './version.js';
