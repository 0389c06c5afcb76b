import { MlayerError } from '@mlayer/core';

/** A beam-based alignment problem the user can act on (the message names the family, device, field and value). */
export class BbaError extends MlayerError {}
