export { OrbitError } from './errors.js';
export { type Plane, PLANES, type PerPlane, type DeviceAxis, type CorrectorAxis, type RfColumn, type OrbitResponseMatrix, type BlockName, blockName, block, checkOrm, indicesOf, selectOrm } from './orm.js';
export { type CorrectionInput, type SystemInfo, type CorrectionResult, computeCorrection, predictError } from './compute-correction.js';
export { type FamilyRef, type OrbitFamiliesOptions, type OrbitFamilies, resolveOrbitFamilies, planesOf } from './orbit-families.js';
export { type PlaneOrbit, type OrbitReading, type AveragingOptions, type ProgressOptions, type MeasureOrbitOptions, checkAveraging, readOrbit, runMeasurement, measureOrbit } from './measure-orbit.js';
export { type MeasureOrmOptions, measureOrm } from './measure-orm.js';
export { type MeasureDispersionOptions, type PlaneDispersion, type DispersionMeasurement, measureDispersion } from './measure-dispersion.js';
export { type ModelOrmOptions, elementIndices, modelOrm } from './model-orm.js';
export { type CorrectOrbitOptions, type CorrectionStep, type StopReason, type CorrectionStatus, type CorrectOrbitResult, correctOrbit } from './correct-orbit.js';
export { type TrajectoryFamilyOptions, type TrajectoryStepPlan } from './trajectory.js';
export { type ThreadBeamOptions, type ThreadStage, type ThreadStep, type ThreadStatus, type ThreadResult, threadBeam } from './thread-beam.js';
export { type CorrectTrajectoryOptions, type CorrectTrajectoryResult, correctTrajectory } from './correct-trajectory.js';
export { type BumpTarget, type BumpSolution, solveBump, type LocalBumpOptions, type LocalBumpResult, localBump } from './bump.js';
export { referenceRows } from './reference-rows.js';
export { type OrbitTarget, orbitTarget, readOrbitReference } from './orbit-target.js';
export { ORM_DATA_TYPE, ORBIT_DATA_TYPE, DISPERSION_DATA_TYPE, CORRECTION_DATA_TYPE, type SaveOptions, measurementHeader, saveOrm, loadOrm, saveOrbit, saveDispersion, saveCorrection } from './files.js';
export { type UnitInfo, unitInfo, ratioUnit } from '@mlayer/tuning-common';
// The orbit tool's API as before the shared code moved to @mlayer/tuning-common: linear algebra, solvers, limit planning.
export {
  type Matrix,
  type Svd,
  svd,
  svdSolve,
  lstsq,
  rms,
  matVec,
  transpose,
  zeros,
  type CorrectionMethod,
  type SolveResult,
  solveSystem,
  micado,
  type LimitPolicy,
  type StepRequest,
  type PlannedWrite,
  type StepPlan,
  planStep,
  CorrectorLimitError,
  type LimitViolation,
} from '@mlayer/tuning-common';
