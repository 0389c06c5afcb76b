import { MlayerError } from '@mlayer/core';

/** A commissioning problem the user can act on (the message names the study, seed, stage and value). */
export class CommissioningError extends MlayerError {}

/** A stage the sequence names but this build cannot run (its tool has not landed): said before anything runs. */
export class StageUnavailableError extends CommissioningError {}
