/** The LatticeModel port implemented by the engine. */
export { createLatticeModel, type EngineLatticeModel, type LatticeModelOptions } from './lattice-model.js';
export { applyChamber, type ApertureSpec, type ChamberSpec } from './chamber.js';
export { selectElements, SelectorError } from './selectors.js';
