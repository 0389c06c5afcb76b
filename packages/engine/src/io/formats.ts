/**
 * The default lattice format registry with AT's formats, and the functions
 * that use it. A registry is an instance: build your own with
 * `createDefaultLatticeFormats()` (or `new LatticeFormatRegistry()`) to add
 * formats without touching the default one.
 */
import type { Lattice } from '../lattice.js';
import { loadAtJson, saveAtJson } from './atjson-format.js';
import { loadMLattice, saveMLattice } from './m-format.js';
import { loadMatLattice, saveMatLattice } from './mat-format.js';
import { loadReferenceLattice } from './reference-format.js';
import { loadMadxLattice, readMadxLattice } from './madx/madx-reader.js';
import { saveMadxLattice, writeMadxLattice } from './madx/madx-writer.js';
import { loadElegant } from './elegant/elegant-read.js';
import { saveElegant } from './elegant/elegant-write.js';
import { loadPals } from './pals/pals-read.js';
import { savePals } from './pals/pals-write.js';
import {
  LatticeFormatRegistry,
  loggingLatticeFormat,
  type LatticeFormatInfo,
  type LatticeReadOptions,
  type LatticeReadResult,
  type LatticeWriteOptions,
  type LatticeWriteResult,
} from './registry.js';

/** A new registry holding the AT formats: .m, .mat, .json (pyAT JSON, also as .atjson.json), .lattice.json (read only). */
export function createDefaultLatticeFormats(): LatticeFormatRegistry {
  const r = new LatticeFormatRegistry();
  r.registerFormat('.m', {
    load: loadMLattice,
    save: saveMLattice,
    description: "MATLAB AT lattice script or function (pyAT save_m files and hand-written decks: at* constructors, structs, FAMLIST/buildlat)",
  });
  r.registerFormat('.mat', {
    load: (path) => loadMatLattice(path),
    save: saveMatLattice,
    description: 'MATLAB v5 MAT-file with a cell array of element structs (RING, THERING or the only variable)',
  });
  const json = { load: loadAtJson, save: saveAtJson, description: 'pyAT JSON lattice (at.save_json / at.load_json)' };
  r.registerFormat('.json', json);
  r.registerFormat('.atjson.json', json);
  r.registerFormat('.lattice.json', {
    load: loadReferenceLattice,
    description: 'element list of the shared pyAT references (pyat-reference-lattice/1), read only',
  });
  const madx = {
    load: loadMadxLattice,
    read: readMadxLattice,
    save: saveMadxLattice,
    write: writeMadxLattice,
    namedLines: true,
  };
  r.registerFormat('.seq', { ...madx, description: 'MAD-X deck (BEAM, elements, variables, SEQUENCE/LINE, CALL, USE; read as pyAT load_madx), written as a SEQUENCE' });
  r.registerFormat('.madx', { ...madx, description: 'MAD-X deck, as .seq; written as a LINE with explicit drifts (pyAT save_madx use_line)' });
  r.registerFormat(
    '.lte',
    loggingLatticeFormat(loadElegant, saveElegant, 'elegant lattice (.lte): elements, LINE with repetition and reversal, % RPN; read as pyAT load_elegant (1 GeV, periodicity 1)'),
  );
  r.registerFormat(
    '.pals.yaml',
    loggingLatticeFormat(loadPals, savePals, 'PALS lattice, YAML form (.pals.yaml; campa-consortium/pals @ 63cd39cc, subset in docs/pals-subset.schema.json); JSON form as .pals.json'),
  );
  r.registerFormat('.pals.json', loggingLatticeFormat(loadPals, savePals, 'PALS lattice, JSON form (same subset as .pals.yaml)'));
  return r;
}

/** The default registry. */
export const latticeFormats: LatticeFormatRegistry = createDefaultLatticeFormats();

/** Loads a lattice file with the default registry (format from the extension). */
export function loadLattice(path: string, options: LatticeReadOptions = {}): Lattice {
  return latticeFormats.loadLattice(path, options);
}

/** Reads a lattice file with what the reading could not carry (default registry). */
export function readLattice(path: string, options: LatticeReadOptions = {}): LatticeReadResult {
  return latticeFormats.readLattice(path, options);
}

/** Writes a lattice file and returns what the format could not carry (default registry). */
export function writeLattice(path: string, lattice: Lattice, options: LatticeWriteOptions = {}): LatticeWriteResult {
  return latticeFormats.writeLattice(path, lattice, options);
}

/** Saves a lattice file with the default registry (format from the extension). */
export function saveLattice(path: string, lattice: Lattice): void {
  latticeFormats.saveLattice(path, lattice);
}

/** The formats of the default registry. */
export function listFormats(): LatticeFormatInfo[] {
  return latticeFormats.listFormats();
}
