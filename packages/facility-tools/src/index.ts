export { importPytac, type ImportPytacOptions, type ImportPytacResult, type FamilySummary } from './import-pytac.js';
export { PytacImportError } from './errors.js';
export {
  readPytac,
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
export { assignDeviceIds, cellNumber, elementSectors, trailingNumber, uniqueDeviceNames, type DeviceToNumber } from './device-ids.js';
