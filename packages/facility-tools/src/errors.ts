import { MlayerError } from '@mlayer/core';

/**
 * A pytac machine description that cannot be imported: names the CSV file and
 * the line (1-based, the header is line 1) where the problem is.
 */
export class PytacImportError extends MlayerError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
  }
}
