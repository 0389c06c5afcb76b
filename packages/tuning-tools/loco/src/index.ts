// LOCO: fit the optics to a measured orbit response matrix (core, tuning-common, data and numeric libraries only).
export { LocoError, LocoFileError } from './errors.js';
export { type Matrix, type BlockName, BLOCKS, type LocoBpm, type LocoCorrector, type LocoOrm, parseJsonWithNaN, readOrmFile, parseOrm } from './orm-file.js';
export { FIT_METHODS, type FitMethod, type OrbitType, type GradientGroup, type Switch, type FitSpec, readFitFile, parseFit } from './fit-file.js';
export { type RowParameter, type ColumnParameter, type NormalEquationsInput, type NormalEquations, buildNormalEquations } from './normal-equations.js';
export { type Decomposition, decompose, solveStep, parameterErrors } from './solve-step.js';
export { type ParameterKind, type FitParameter, fitParameters, labelOf } from './parameters.js';
export {
  DEFAULT_NOISE,
  type ParameterValue,
  type IterationRecord,
  type GroupResult,
  type LocoResult,
  type LocoFitOptions,
  locoFit,
  rejectOutliers,
} from './fit.js';
export { type FittedGroup, type CorrectOpticsOptions, type OpticsCorrectionResult, correctOptics } from './correct-optics.js';
export { FIT_RESULT_FORMAT, type FitResultInputs, saveFitResult, readFitResult } from './result-file.js';
export { FIT_DATA_TYPE, type SavedFit, isH5Path, saveFitResultH5, readFitResultH5, readSavedFit } from './result-h5.js';
