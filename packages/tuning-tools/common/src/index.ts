// Code shared by the tuning tools (they depend on core, this package and data only).
export { TuningError, CorrectorLimitError, type LimitViolation } from './errors.js';
export { type Matrix, zeros, shapeOf, transpose, matVec, dot, norm, rms, type Svd, svd, svdSolve, lstsq, pseudoInverse } from './linalg.js';
export { type CorrectionMethod, type SolveResult, solveSystem, micado } from './solvers.js';
export { type LimitPolicy, type StepRequest, type PlannedWrite, type StepPlan, planStep } from './limits.js';
export { modelFamilyResponse, solveTwoRows, type TwoRowSolution } from './family-model.js';
export { stepAlongPairResponse, type PairStepOptions, type PairStepResult } from './pair-step.js';
export { measurePairResponse, pairResponseFamilies, type PairReading, type PairResponseOptions, type PairResponseResult } from './pair-response.js';
export {
  type FamilyPairResponse,
  type ToolErrorClass,
  type ModelPairResponseSpec,
  modelPairResponse,
  type MeasureFamilyPairOptions,
  measureFamilyPairResponse,
  type ResponseChoice,
  chooseResponse,
} from './family-pair-response.js';
export { type FamilyPairStep, stepFamilyPair, type PairIteration, type PairIterationResult, iteratePair } from './pair-correction.js';
export { type UnitInfo, unitInfo, ratioUnit, datasetUnit } from './units.js';
export { type ProvenanceOptions, type AcceleratorProvenance, acceleratorProvenance, measurementAuthor } from './provenance.js';
export { type DatasetWriter, writeResponseChecks, readResponseChecks } from './response-check-file.js';
export { cachedSvd } from './svd-cache.js';
export { type TuneMonitorOptions, type TuneMonitorReading, readTuneMonitors } from './tune-monitors.js';
