/**
 * The plain element lists of the shared pyAT references
 * (`format: "pyat-reference-lattice/1"`, files `*.lattice.json`): read only.
 * Elements carry an `index` key (dropped) and the convenience key H on
 * sextupoles (checked against PolynomB and dropped by the Sextupole class);
 * ring properties are energy_eV, particle, periodicity, harmonic_number, name.
 */
import type { FieldValue, Lattice, LatticeProperties } from '../lattice.js';
import { LatticeFileError } from './errors.js';
import { particleFrom } from './lattice-assembly.js';
import { recordToElement } from './mat-format.js';
import { readTextFile } from './text-file.js';

export function parseReferenceLattice(text: string, file: string): Lattice {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new LatticeFileError(file, `invalid JSON: ${(e as Error).message}`, {}, { cause: e });
  }
  if (typeof data.format !== 'string' || !data.format.startsWith('pyat-reference-lattice/')) {
    throw new LatticeFileError(file, `not a pyat-reference-lattice file (format: ${JSON.stringify(data.format)})`);
  }
  if (!Array.isArray(data.elements)) throw new LatticeFileError(file, 'no "elements" list');
  const elements = (data.elements as Record<string, FieldValue>[]).map((e, i) => {
    const rec = { ...e };
    delete rec.index;
    return recordToElement(rec, file, i);
  });
  if (typeof data.energy_eV !== 'number') throw new LatticeFileError(file, 'energy_eV is missing');
  const properties: LatticeProperties = {
    name: typeof data.name === 'string' ? data.name : '',
    energy: data.energy_eV,
    particle: particleFrom(data.particle as FieldValue | undefined, file),
    periodicity: typeof data.periodicity === 'number' ? data.periodicity : 1,
  };
  if (typeof data.harmonic_number === 'number') properties.harmonic_number = data.harmonic_number;
  return { elements, properties };
}

export function loadReferenceLattice(path: string): Lattice {
  return parseReferenceLattice(readTextFile(path), path);
}
