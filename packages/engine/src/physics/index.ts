/**
 * Linear and periodic solutions of the engine (pyAT semantics, 4D): closed
 * orbit, transfer matrices, optics, tunes, chromaticity, momentum compaction,
 * response matrices. Free functions taking the compiled lattice first.
 */
export { XY_STEP, DP_STEP, ORBIT_CONVERGENCE, ORBIT_MAX_ITERATIONS } from './constants.js';
export { ClosedOrbitError, ElementUsageError } from './errors.js';
export type { Mat4, Vec4 } from './mat4.js';
export { findOrbit4, solveOrbits4, propagateOrbit, type OrbitOptions, type OrbitSolution, type FindOrbitResult } from './orbit.js';
export {
  computeLinearState,
  findM44,
  oneTurn,
  matrixAt,
  type LinearState,
  type LinearStateOptions,
  type M44Result,
} from './linear-state.js';
export { normalModes4, checkStable4, type NormalModes } from './amat.js';
export {
  linopt6,
  linoptLine,
  ringOptics,
  opticsTable,
  opticsAt,
  cellChromaticity,
  ringTunes,
  getTune,
  getChrom,
  aFromTwiss,
  type OpticsPoint,
  type RingData,
  type LinoptOptions,
  type LinoptResult,
  type OpticsTable,
  type TwissIn,
} from './linear.js';
export {
  trackTrajectory,
  trajectoryState,
  trajectoryResponse,
  type TrajectoryLoss,
  type TrajectoryResult,
  type TrajectoryState,
  type TrajectoryResponseMatrices,
} from './trajectory.js';
export { getMcf, getMcfCoefficients, type McfOptions } from './mcf.js';
export { readParameter, writeParameter, copyElement, ElementParameterError, type ElementParameter } from './parameters.js';
export {
  correctorKicks,
  elementMatrixDerivative,
  elementKickDerivative,
  singleElementLattice,
  singleElementMatrix,
  replaceElement,
  compileElementAs,
} from './element-maps.js';
export {
  OrbitGreen,
  correctorSources,
  orbitResponse,
  cellTuneDerivative,
  tuneResponse,
  chromaticityResponse,
  dispersionResponse,
  opticsResponse,
  type OpticsResponse,
  type OrbitResponseMatrices,
  type ResponseOptions,
  type ParameterResponseOptions,
  type DispersionResponse,
} from './response.js';
export { sPositions, latticeLength } from './propagate.js';
export { addFixedPathLengthTerm, kickPathLengths, pathLengthOfKick, pathLengthSlope } from './fixed-path-length.js';
export {
  orbitResponseJacobian,
  orbitResponseDerivative,
  dispersionSource,
  type ClosedOrbitType,
  type JacobianInput,
  type OrbitResponseJacobianResult,
} from './orm-jacobian.js';
export { enable6d, disable6d, compile6d, hasCavity, isLattice6d, passMethod6d, passMethod4d } from './enable-6d.js';
export { findOrbit6, findM66, NoCavityError, rfSummary, cellEnergyLoss, type Orbit6Options, type RfSummary } from './orbit6.js';
export { eigenvalues6, type Eigen6 } from './eig6.js';
export { ringParameters6, energyLossPerTurn, energyLossTracking, type RingParameters6, type EnvelopeValues } from './ring-parameters.js';
export { radiationIntegrals, type RadiationIntegrals } from './radiation-integrals.js';
export { dynamicAperture, momentumScan, type DynamicApertureOptions, type DynamicApertureResult, type MomentumScanOptions, type MomentumScanResult } from './acceptance.js';
export { optics6, aMatrix6, modeMatrices, type Optics6Point } from './optics6.js';
export { cumulativeDiffusion, elementDiffusion, solveLyapunov6, modeEmittance } from './envelope.js';
