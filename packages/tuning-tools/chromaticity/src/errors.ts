import { MlayerError } from '@mlayer/core';

/** An error of the chromaticity tool (names the family, device or value at fault). */
export class ChromaticityError extends MlayerError {}
