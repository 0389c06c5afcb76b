export * from './errors.js';
export * from './units.js';
export { sha256File, sha256Of, isSha256Hex } from './sha256.js';
export type { AttrValue, AttrRead, NumericDtype, NumericData, DatasetValue } from './h5.js';
export type { NumericInput, UnitOptions, AxisSpec, DatasetOptions, AxisRead, DatasetRecord } from './datasets.js';
export type { CreateOptions } from './h5-writer.js';
export { H5Writer } from './h5-writer.js';
export * from './measurement-file.js';
export { SOFTWARE_NAME, OPENPMD_VERSION, MEASUREMENT_EXTENSION, SCAN_EXTENSION, softwareVersion } from './version.js';
export * from './scan-definition.js';
export { JOURNAL_FILE, type PointStatus, type PointRecord, type AnalysisEntry, readJournal, type JournalContents } from './scan-journal.js';
export { MANIFEST_FILE, OUTPUTS_DIR, readPointFile, type PointFileContents, PointOutput } from './scan-point-file.js';
export { CONFIG_FILE, readScanPlan } from './scan-config-file.js';
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
