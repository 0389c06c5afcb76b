export { registerCalibration, calibrationFactories } from './register.js';
export {
  linearSpecSchema,
  polynomialSpecSchema,
  tableSpecSchema,
  curveSpecSchema,
  hysteresisSpecSchema,
  rigiditySpecSchema,
  combinedSpecSchema,
  type LinearSpec,
  type PolynomialSpec,
  type TableSpec,
  type CurveSpec,
  type HysteresisSpec,
  type RigiditySpec,
  type CombinedSpec,
  type TableSpecInput,
  type PolynomialSpecInput,
} from './specs.js';
export { CalibrationError, ConversionRangeError, CurveDefinitionError } from './errors.js';
export { parseUnits, sameUnits, formatUnits, multipoleFieldUnits, UnitSyntaxError, type Dimensions } from './units.js';
export type { Curve } from './curve.js';
export { TableCurve, type TableCurveOptions, type Interpolation, type Extrapolation } from './table-curve.js';
export { PolynomialCurve, type PolynomialCurveOptions } from './polynomial-curve.js';
export { linearCurve, type LinearCurveOptions } from './linear-curve.js';
export { PiecewiseCubic, pchipDerivatives } from './pchip.js';
export { CurveConversion } from './curve-conversion.js';
export { RigidityStep, RigidityStepError, type RigidityStepOptions, type StrengthKind } from './rigidity-step.js';
export { RigidityConversion } from './rigidity-conversion.js';
export {
  HysteresisConversion,
  findStandardisable,
  type HysteresisBranch,
  type HysteresisOptions,
  type HysteresisState,
  type Standardisable,
  type StandardisationSettings,
} from './hysteresis.js';
export {
  CombinedFunctionMagnet,
  CombinedOutputView,
  type CombinedInput,
  type CombinedOutput,
  type CombinedMagnetOptions,
  type CombinedSolution,
} from './combined.js';
export { buildCombinedMagnet, type BuildEnv } from './build.js';
export { CsvCache, CsvError, readCsv, type CsvTable } from './csv.js';
export {
  loadPytacPoly,
  loadPytacPchip,
  loadPytacUnitconv,
  pytacPolyReference,
  pytacPchipReference,
  withUnits,
  PYTAC_MAGNET_FIELDS,
  type PytacPolySpec,
  type PytacPchipSpec,
  type PytacUnitconvRow,
  type UnitlessSpec,
} from './pytac.js';
