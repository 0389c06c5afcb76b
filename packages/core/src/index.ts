export {
  describeValue,
  MlayerError,
  TimeoutError,
  DisconnectedError,
  WriteRejectedError,
  OutOfLimitsError,
  type ConfigIssue,
  ConfigError,
  AbortedError,
  WritesNotAllowedError,
  DeviceBusyError,
} from './errors.js';
export { makeSample, type ChannelValue, AlarmSeverity, type Sample } from './control/sample.js';
export { type ReadOptions, type WriteOptions, type ChannelWrite, type ConnectionEvent, type ControlSystem } from './control/control-system.js';
export { processAlive } from './control/process-alive.js';
export { rigidity, PARTICLES, type Particle, type BeamState } from './units/beam.js';
export { identityConversion, type ConversionContext, type UnitConversion, type StandardisationPlan } from './units/unit-conversion.js';
export { type ConversionBuildContext, type UnitConversionFactory, UnitConversionRegistry } from './units/unit-conversion-registry.js';
export { type UnitDimension, type UnitSpec, lookupUnit, isUnitDimension, formatUnitDimension } from './units/unit-dimensions.js';
export {
  parsePrefixedUnit,
  displayUnit,
  formatter,
  formatQuantity,
  formatChange,
  formatInUnit,
  type ParsedUnit,
  type DisplayUnit,
  type FormatOptions,
  type Formatter,
} from './units/quantity-format.js';
export {
  type ElementSelector,
  type ElementInfo,
  type Tunes,
  type OpticsAt,
  type ModelOptions,
  type OrbitResponse,
  type ClosedOrbitType,
  type OrbitResponseOptions,
  type JacobianOptions,
  type OrbitResponseJacobian,
  type ParameterRef,
  type RingEquilibrium,
  type DynamicApertureRequest,
  type DynamicApertureBoundary,
  type Coordinates6,
  type LossPoint,
  type TrajectoryOptions,
  type Trajectory,
  type TrajectoryResponseOptions,
  type TrajectoryResponse,
  type TwissInput,
  UnstableLatticeError,
  type LatticeModel,
} from './model/lattice-model.js';
export {
  type ControlSystemBuildContext,
  type ControlSystemFactory,
  UnknownControlSystemError,
  ControlSystemRegistry,
} from './control/control-system-registry.js';
export {
  facilityJsonSchema,
  FieldSchema,
  type FieldConfig,
  FIELD_NAMES,
  type FieldName,
  DeviceSchema,
  type DeviceConfig,
  FamilySchema,
  type FamilyConfig,
  ControlSystemConfigSchema,
  type ControlSystemConfig,
  FacilitySchema,
  type FacilityConfig,
  type FacilityInput,
} from './config/schema.js';
export {
  settlingDefault,
  resolveSettling,
  type SettlingDefault,
  SETTLING_DEFAULTS,
  type SettlingQuantity,
  type FamilySettling,
} from './config/settling-defaults.js';
export { namingSystem, hasNoChannelNames, TemplateSyntaxError } from './config/channels.js';
export { loadFacility, parseFacility, type LoadOptions } from './config/load-facility.js';
export type { LoadedFacility } from './config/loaded-facility.js';
export { resolveFacilityPath } from './config/facility-path.js';
export { parseSource, formatPath, valueAt, type SourceDocument, type SourceSyntaxError } from './config/source-map.js';
export { facilityChannels, type FacilityChannel } from './config/facility-channels.js';
export { ToolsSchema, type ToolsConfig } from './config/tools-schema.js';
export { lazySchema, zodNow } from './config/lazy-schema.js';
export { facilityTools, type FacilityTools } from './config/facility-tools.js';
export { ShadowSchema, type ShadowConfig } from './config/shadow-schema.js';
export { TwissSchema, InjectionSchema, ApertureSchema, ChamberSchema, OpenLineSchema, type TwissConfig, type InjectionConfig, type ApertureConfig, type ChamberConfig, type OpenLineConfig } from './config/beam-schema.js';
export { injectionFamily } from './config/check-beam.js';
export { readBpmReference, type BpmReference } from './config/bpm-reference.js';
export { isFamilyOfClass, type ClassifiedFamily } from './config/family-class.js';
export { createAccelerator, acceleratorContainer, type AcceleratorOptions, Accelerator } from './accelerator/accelerator.js';
export { systemClock, type Clock } from './accelerator/clock.js';
export { latticeModelProvider, type LatticeModelProvider } from './accelerator/lattice-model-provider.js';
export {
  sleep,
  type Units,
  type DeviceId,
  type GetOptions,
  type SetOptions,
  type WatchOptions,
  UnknownDeviceError,
  Family,
} from './accelerator/family.js';
export { ChannelAccess } from './accelerator/channel-access.js';
export { DeviceLock } from './accelerator/device-lock.js';
export { type Snapshot, type FamilySnapshot, type SetpointChange, type SnapshotDiff, diffSnapshots } from './accelerator/snapshot.js';
export { planRestore, executeRestore, type RestoreTarget, type RestoreOptions, type RestorePlan } from './accelerator/restore-plan.js';
export { resolveFamilyName, groupNames, UnknownFamilyError, type NamedFamily } from './accelerator/family-names.js';
export { editDistance, suggestNames, didYouMean } from './accelerator/name-suggestions.js';
export { TOKENS } from './accelerator/tokens.js';
export { sameUnits } from './accelerator/build-family-data.js';
export {
  measure,
  type MeasurementProgress,
  type MeasurementRecord,
  type MeasurementOptions,
  type MeasurementWarning,
  type AverageResult,
  type MeasurementContext,
  Measurement,
} from './measurement/measurement.js';
export { StaleReadingError } from './measurement/fresh-reading.js';
export {
  responseCheckOptions,
  checkColumn,
  summariseChecks,
  describeChecks,
  type ResponseCheckOptions,
  type ColumnCheck,
  type CheckSummary,
  type ColumnData,
  WeakStepError,
} from './measurement/response-checks.js';
export { isDigitalTwin, type DigitalTwin } from './model/digital-twin.js';
export { ModelBindingError, type ParameterStep } from './model/model-binding.js';
export { type ElementKind, elementKind } from './model/element-kind.js';
