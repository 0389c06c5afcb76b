export { importPytac, type ImportPytacOptions, type ImportPytacResult, type FamilySummary } from './import-pytac.js';
export { PytacImportError } from './errors.js';
export {
  readPytac,
  PYTAC_FILES,
  type PytacData,
  type PytacElement,
  type PytacFamilyRow,
  type PytacEpicsDevice,
  type PytacSimpleDevice,
  type PytacUnitconv,
  type PytacUcType,
  type PytacPolyCurve,
  type PytacPchipCurve,
} from './pytac-csv.js';
export { buildPytacFacility, type BuiltFacility, type BuildOptions, type FacilityOut, type FamilyOut, type DeviceOut, type FieldOut } from './pytac-facility.js';
export { conversionId, type DeviceConversion, type FieldUnits, type ConversionSpec } from './pytac-conversions.js';
export { assignDeviceIds, cellNumber, elementSectors, trailingNumber, uniqueDeviceNames, type DeviceToNumber } from './device-ids.js';
export { facilityYaml } from './facility-yaml.js';
