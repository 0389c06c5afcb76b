export * from './errors.js';
export * from './control/sample.js';
export * from './control/control-system.js';
export * from './units/beam.js';
export * from './units/unit-conversion.js';
export * from './units/unit-conversion-registry.js';
export * from './model/lattice-model.js';
export * from './control/control-system-registry.js';
