/** Errors of the MATLAB-subset interpreter; both carry the file and the line. */
export class MSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'MSyntaxError';
  }
}

export class MRuntimeError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'MRuntimeError';
  }
}
