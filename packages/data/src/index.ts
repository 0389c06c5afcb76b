// FAIR data: HDF5 measurement files and parameter scans (openPMD 2.0.0; scan extension XSuite_Scans).
export { DataFileError, DataValueError, ScanDefinitionError, ScanLockedError } from './errors.js';
export { sha256File, sha256Of } from './sha256.js';
export { timeStamp, freeFileName } from './file-names.js';
export { MEASUREMENT_EXTENSION } from './version.js';
export type { AttrValue, AttrRead, NumericDtype, NumericData, DatasetValue } from './h5.js';
export type { NumericInput, UnitOptions, AxisSpec, DatasetOptions, AxisRead, DatasetRecord } from './datasets.js';
export { H5Writer, type CreateOptions } from './h5-writer.js';
export {
  MeasurementFile,
  readMeasurement,
  MEASUREMENT_MODES,
  type MeasurementMode,
  type MeasurementHeader,
  type MeasurementContents,
  type FamilySetpoints,
  type FamilySetpointsRead,
  type SetpointsInput,
  type Provenance,
  type ProvenanceRead,
} from './measurement-file.js';
export { MACHINE_CONFIG_DATA_TYPE, writeMachineConfig, readMachineConfig, type MachineConfigHeader, type MachineConfigRead } from './machine-config.js';
export {
  planScan,
  pointFileName,
  type ScanType,
  type ScanParameter,
  type ScanMetric,
  type ScanConfig,
  type ScanDefinition,
  type PlannedParameter,
  type ScanPlan,
  type ScanPoint,
  canonicalJson,
} from './scan-definition.js';
export { JOURNAL_FILE, type PointStatus, type PointRecord, type AnalysisEntry } from './scan-journal.js';
export { PointOutput, readPointFile, type PointFileContents } from './scan-point-file.js';
export { readManifest, writeManifest, type ManifestContents, type ManifestWriteOptions } from './scan-manifest.js';
export {
  LOCK_FILE,
  runScan,
  addAnalysis,
  type PointContext,
  type PointResult,
  type PointFunction,
  type RunScanOptions,
  type ScanRunSummary,
} from './scan-runner.js';
export { checkScan, type ScanProblem, type ScanCheckReport } from './scan-check.js';
export { summariseFile } from './summary.js';
