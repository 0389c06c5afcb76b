/**
 * An error-set file (`--errors FILE` of demo and serve): the twin's error set from a file (see
 * readErrorSet), applied with a seed; every failure is one error naming the file.
 */
import { type Accelerator, type FacilityConfig, MlayerError } from '@mlayer/core';
import { readErrorSet } from './error-set-file.js';

export function applyErrorSetFile(acc: Accelerator, config: FacilityConfig, file: string, seed: number): void {
  try {
    acc.twin.applyErrors(readErrorSet(file, config), seed);
  } catch (e) {
    throw new MlayerError(`${file}: ${(e as Error).message}`, { cause: e });
  }
}
