export { type FieldValue, type AtElement, type ParticleSpec, type LatticeProperties, type Lattice } from './lattice.js';
export {
  type ParticleSet,
  type TrackContext,
  type PassFunction,
  type RingContext,
  type PassMethod,
  type CompiledElement,
  type CompiledLattice,
  type TrackOptions,
  type TrackResult,
} from './tracking/types.js';
export { UnknownPassMethodError, ElementFieldError, TrackingArgumentError } from './tracking/errors.js';
export { compileLattice, type CompileOptions } from './tracking/compile.js';
export { track, trackRange, createParticles, particlesFromRows, coordsToRows, LOSS_LIMIT, type LossLog } from './tracking/track.js';
export { registerPassMethod, passMethodNames } from './tracking/registry.js';
export { ClosedOrbitError, ElementUsageError } from './physics/errors.js';
export type { Mat4, Vec4 } from './physics/mat4.js';
export { findOrbit4, type OrbitOptions, type FindOrbitResult } from './physics/orbit.js';
export { computeLinearState, findM44, type LinearState, type LinearStateOptions, type M44Result } from './physics/linear-state.js';
export {
  linopt6,
  linoptLine,
  ringOptics,
  opticsTable,
  opticsAt,
  getTune,
  getChrom,
  type OpticsPoint,
  type RingData,
  type LinoptOptions,
  type LinoptResult,
  type OpticsTable,
  type TwissIn,
} from './physics/linear.js';
export {
  trackTrajectory,
  trajectoryState,
  trajectoryResponse,
  type TrajectoryLoss,
  type TrajectoryResult,
  type TrajectoryState,
  type TrajectoryResponseMatrices,
} from './physics/trajectory.js';
export { getMcf, type McfOptions } from './physics/mcf.js';
export { readParameter, writeParameter, ElementParameterError, type ElementParameter } from './physics/parameters.js';
export {
  OrbitGreen,
  correctorSources,
  orbitResponse,
  tuneResponse,
  chromaticityResponse,
  dispersionResponse,
  opticsResponse,
  type OpticsResponse,
  type OrbitResponseMatrices,
  type ResponseOptions,
  type ParameterResponseOptions,
  type DispersionResponse,
} from './physics/response.js';
export { sPositions, latticeLength } from './physics/propagate.js';
export { orbitResponseJacobian, orbitResponseDerivative, type ClosedOrbitType, type JacobianInput, type OrbitResponseJacobianResult } from './physics/orm-jacobian.js';
export { enable6d, disable6d, compile6d, hasCavity, isLattice6d, passMethod6d, passMethod4d } from './physics/enable-6d.js';
export { findOrbit6, findM66, NoCavityError, type Orbit6Options } from './physics/orbit6.js';
export { findSyncOrbit, nominalRfFrequency, Lattice6dError, type SyncOrbitOptions, type SyncOrbitResult } from './physics/sync-orbit.js';
export { eigenvalues6, type Eigen6 } from './physics/eig6.js';
export { radiationIntegrals, type RadiationIntegrals } from './physics/radiation-integrals.js';
export { cumulativeDiffusion, solveLyapunov6 } from './physics/envelope.js';
export { optics6, type Optics6Point } from './physics/optics6.js';
export { dynamicAperture, momentumScan, type DynamicApertureOptions, type DynamicApertureResult, type MomentumScanOptions, type MomentumScanResult } from './physics/acceptance.js';
export { ringParameters6, energyLossPerTurn, energyLossTracking, type RingParameters6, type EnvelopeValues } from './physics/ring-parameters.js';
export { createLatticeModel, type EngineLatticeModel, type LatticeModelOptions } from './model/lattice-model.js';
export { applyChamber, type ApertureSpec, type ChamberSpec } from './model/chamber.js';
export { selectElements, SelectorError } from './model/selectors.js';
export {
  LatticeFormatRegistry,
  type LatticeFormat,
  type LatticeFormatInfo,
  type LatticeReadOptions,
  type LatticeWriteOptions,
  type LatticeReadResult,
  type LatticeWriteResult,
} from './io/registry.js';
export {
  ConversionLossLog,
  groupConversionLosses,
  formatConversionLosses,
  type ConversionLoss,
  type ConversionLossGroup,
} from './io/conversion-report.js';
export { createDefaultLatticeFormats, latticeFormats, loadLattice, saveLattice, readLattice, writeLattice, listFormats } from './io/formats.js';
export {
  LatticeFileError,
  UnknownLatticeFormatError,
  LatticeFormatCapabilityError,
  ElementDataError,
  type LatticeFileLocation,
} from './io/errors.js';
export { parseMLattice, formatMLattice, loadMLattice, saveMLattice } from './io/m-format.js';
export { parseMatLattice, formatMatLattice, loadMatLattice, saveMatLattice, type MatLoadOptions } from './io/mat-format.js';
export { parseAtJson, formatAtJson, loadAtJson, saveAtJson } from './io/atjson-format.js';
export { parseMadxLattice, readMadxLattice, loadMadxLattice, madxDeckToLattice, MADX_GAP_TOLERANCE } from './io/madx/madx-reader.js';
export { formatMadx, writeMadxLattice, saveMadxLattice, madxNumber, type MadxWriteOptions } from './io/madx/madx-writer.js';
export { parseElegant, loadElegant, type ElegantReadOptions } from './io/elegant/elegant-read.js';
export { formatElegant, saveElegant, type ElegantWriteOptions } from './io/elegant/elegant-write.js';
export { parsePals, loadPals, type PalsReadOptions } from './io/pals/pals-read.js';
export { formatPals, formatPalsJson, savePals, type PalsWriteOptions } from './io/pals/pals-write.js';
export { palsSubsetJsonSchema } from './io/pals/pals-schema.js';
