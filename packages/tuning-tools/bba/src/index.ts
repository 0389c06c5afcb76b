export { BbaError } from './errors.js';
export { type Plane, PLANES, type DeviceRef, type BbaPair, type UnpairedBpm, type BbaPlan, type PairOverride, type PlanOptions, individualQuads, planBba } from './configure.js';
export { type MeasureBbaOptions, type PairData, type BbaData, scanPoints, measureBba } from './measure.js';
export { type LineFit, fitLine, studentFactor, zeroCrossing, type AnalyseOptions, type BpmCentre, type PairResult, type BbaResult, analysePair, analyseBba, inducedOrbits } from './analyse.js';
export { BBA_DATA_TYPE, type BbaFile, bbaFile, saveBba, loadBba, offsetsDocument, writeOffsets } from './files.js';
export { type ParallelGroup, type ParallelPlan, type ParallelOptions, type ParallelData, planParallel, measureBbaParallel, analyseBbaParallel } from './parallel.js';
export { type CentringOptions, type CentringPlan, planCentring } from './centre.js';
export { type RoundsOptions, type RoundsResult, measureBbaRounds } from './rounds.js';
export { type ModelAnalyseOptions, analyseBbaModel } from './model-dependent.js';
