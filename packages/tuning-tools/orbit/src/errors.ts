import { TuningError } from '@mlayer/tuning-common';

/** An orbit-tool error (bad options, inconsistent response matrix, missing data). */
export class OrbitError extends TuningError {}
