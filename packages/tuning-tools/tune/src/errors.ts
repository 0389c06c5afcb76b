import { MlayerError } from '@mlayer/core';

/** An error of the tune tool (names the family, device or value at fault). */
export class TuneError extends MlayerError {}
