/**
 * Typed errors of lattice import and export. Every message names the file and,
 * where it applies, the line and column (text formats), the element index
 * (.mat, .json) and the element's name: `ring.seq:12:5: element QF: ...`.
 */
import { MlayerError } from '@mlayer/core';

export interface LatticeFileLocation {
  /** 1-based line in a text file. */
  readonly line?: number;
  /** 1-based column in a text file. */
  readonly column?: number;
  /** 0-based element index in the lattice (or in the cell array of a .mat file). */
  readonly element?: number;
  /** Name of the element (or line, sequence, variable) concerned, in the file's spelling. */
  readonly name?: string;
  /** What `name` names: 'element' (default), 'line', 'sequence', 'variable', ... */
  readonly nameKind?: string;
}

/** A lattice file could not be read or written. */
export class LatticeFileError extends MlayerError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly location: LatticeFileLocation = {},
    options?: { cause?: unknown },
  ) {
    super(`${LatticeFileError.where(file, location)}: ${detail}`, options);
  }

  private static where(file: string, loc: LatticeFileLocation): string {
    const named = loc.name !== undefined ? `: ${loc.nameKind ?? 'element'} ${loc.name}` : '';
    if (loc.line !== undefined) return `${file}:${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}${named}`;
    if (loc.element !== undefined) return `${file}: element ${loc.element}${loc.name !== undefined ? ` (${loc.name})` : ''}`;
    return `${file}${named}`;
  }
}

/** No format is registered for the extension of a file. */
export class UnknownLatticeFormatError extends MlayerError {
  constructor(
    readonly file: string,
    readonly known: readonly string[],
  ) {
    super(`${file}: no lattice format for this file extension; known extensions: ${known.join(', ')}`);
  }
}

/** The format of a file can be read but not written (or the reverse). */
export class LatticeFormatCapabilityError extends MlayerError {
  constructor(
    readonly file: string,
    readonly extension: string,
    readonly operation: 'load' | 'save',
  ) {
    super(`${file}: the lattice format '${extension}' does not support ${operation}`);
  }
}

/** An element record is inconsistent (bad field shape, conflicting data). */
export class ElementDataError extends MlayerError {
  constructor(
    readonly famName: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`element '${famName}', field ${field}: ${detail}`);
  }
}
