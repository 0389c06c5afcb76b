// Code shared by the tuning tools (they depend on core, this package and data only).
export { modelFamilyResponse, solveTwoRows, type TwoRowSolution } from './family-model.js';
export { stepAlongPairResponse, type PairStepOptions, type PairStepResult } from './pair-step.js';
export { measurePairResponse, pairResponseFamilies, type PairReading, type PairResponseOptions, type PairResponseResult } from './pair-response.js';
