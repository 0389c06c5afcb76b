export type {
  ParticleSet,
  TrackContext,
  PassFunction,
  RingContext,
  PassMethod,
  CompiledElement,
  CompiledLattice,
  TrackOptions,
  TrackResult,
} from './types.js';
export { elementLabel, UnknownPassMethodError, ElementFieldError, TrackingArgumentError } from './errors.js';
export { compileLattice, ringContext, type CompileOptions } from './compile.js';
export {
  track,
  trackRange,
  createParticles,
  particlesFromRows,
  coordsToRows,
  aliveFromCoords,
  LOSS_LIMIT,
  type LossLog,
} from './track.js';
export { registerPassMethod, getPassMethod, passMethodNames, CAVITY_PASS_METHODS } from './registry.js';
export { FieldReader } from './fields.js';
export type { Frame } from './frame.js';
