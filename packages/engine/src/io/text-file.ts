/** Reading and writing the text of a lattice file; a failure is a LatticeFileError naming the file. */
import { readFileSync, writeFileSync } from 'node:fs';
import { LatticeFileError } from './errors.js';

/** The text of a lattice file (UTF-8). */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new LatticeFileError(path, `cannot read: ${(e as Error).message}`, {}, { cause: e });
  }
}

/** Writes the text of a lattice file. */
export function writeTextFile(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new LatticeFileError(path, `cannot write: ${(e as Error).message}`, {}, { cause: e });
  }
}
