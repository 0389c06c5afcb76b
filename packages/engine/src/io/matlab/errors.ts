import { MlayerError } from '@mlayer/core';

/** Errors of the MATLAB-subset interpreter; both carry the file and the line. */
export class MSyntaxError extends MlayerError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
  }
}

export class MRuntimeError extends MlayerError {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}
