/** The LatticeModel port implemented by the engine. */
export { createLatticeModel, type EngineLatticeModel } from './lattice-model.js';
export { selectElements, SelectorError } from './selectors.js';
