/**
 * The tracking functions the physics algorithms build on (one import point).
 */
export { compileLattice, trackRange } from '../tracking/index.js';
export type { CompiledLattice, CompiledElement } from '../tracking/index.js';
export { applyBendEdge, type BendEdge } from '../tracking/fringe.js';
export type { StrMultipoleParams } from '../tracking/passes/str-multipole.js';
export type { BendMultipoleParams } from '../tracking/passes/bend-multipole.js';
