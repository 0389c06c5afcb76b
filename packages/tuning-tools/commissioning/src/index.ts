// Automated commissioning on error seeds (core, tuning-common, data and the other tools' packages only).
export { CommissioningError, StageUnavailableError } from './errors.js';
export { FIGURES, FIGURE_NAMES, figureUnit, type FigureName, type Figures } from './figure-names.js';
export { STAGE_KINDS, STAGE_INFO, STAGE_PARAMETERS, BEAM_ORDER, type BeamState, type StageKind, type StageKindInfo, type StageParameters } from './stage-kinds.js';
export { type Criterion, type OnFailure, type Stage, type Sequence, readSequence, parseSequence, unavailableStages } from './sequence.js';
export { type FigureTargets, type FigureElements, figureElements, figureTargets, measureFigures, tuneDistance } from './figures.js';
export { type SeedState, type StageCall, availableStages, runStage } from './stages.js';
export {
  type SeedHeader,
  type AttemptRecord,
  type StageRecord,
  type StageTiming,
  type StageCheckpoint,
  type StageFile,
  type SeedResult,
  type SeedResultFile,
  RESULT_FILE,
  INITIAL_FILE,
  stageFileName,
  readStageFiles,
  recordBytes,
} from './records.js';
export { canonicalJson } from './canonical-json.js';
export { commissioningVersion, seedHeader } from './header.js';
export { type RunSeedOptions, attemptSeed, checkCriteria, runSeed } from './seed-run.js';
export {
  STUDY_FILE,
  SEEDS_DIR,
  STUDY_METRICS,
  type StudySpec,
  type StudyFile,
  type SeedComputer,
  type RunStudyOptions,
  seedDir,
  openStudy,
  readStudy,
  studyDefinition,
  readSeedResult,
  runStudy,
} from './study.js';
export { type WorkerCommand, type LocalRunnerOptions, processComputer, runLocalStudy } from './local-runner.js';
export { type SlurmRunnerOptions, arrayScript, submitArray, waitForJob, runSlurmStudy } from './slurm-runner.js';
export { type SeedStatus, type SeedProgress, type StudyProgress, studyProgress } from './progress.js';
export { type StageSummary, type Distribution, type StudyAggregate, quantile, aggregate } from './aggregate.js';
