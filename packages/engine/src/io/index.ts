/** Lattice import and export: AT .m, MATLAB .mat, pyAT JSON; the format registry. */
export {
  LatticeFormatRegistry,
  type LatticeFormat,
  type LatticeFormatInfo,
  type LatticeReadOptions,
  type LatticeWriteOptions,
  type LatticeReadResult,
  type LatticeWriteResult,
} from './registry.js';
export {
  ConversionLossLog,
  groupConversionLosses,
  formatConversionLosses,
  type ConversionLoss,
  type ConversionLossGroup,
} from './conversion-report.js';
export { createDefaultLatticeFormats, latticeFormats, loadLattice, saveLattice, readLattice, writeLattice, listFormats } from './formats.js';
export { LatticeFileError, UnknownLatticeFormatError, LatticeFormatCapabilityError, ElementDataError, type LatticeFileLocation } from './errors.js';
export { parseMLattice, formatMLattice, loadMLattice, saveMLattice } from './m-format.js';
export { parseMatLattice, formatMatLattice, loadMatLattice, saveMatLattice, type MatLoadOptions } from './mat-format.js';
export { parseAtJson, formatAtJson, loadAtJson, saveAtJson } from './atjson-format.js';
export { buildElement, elementFromRecord, findClass, AT_CLASSES, type AtClassName } from './element-classes.js';
export { assembleLattice, KNOWN_PARTICLES, type AssembleOptions } from './lattice-assembly.js';
export { parseReferenceLattice, loadReferenceLattice } from './reference-format.js';
export { parseMadxLattice, readMadxLattice, loadMadxLattice, madxDeckToLattice, MADX_GAP_TOLERANCE } from './madx/madx-reader.js';
export { formatMadx, writeMadxLattice, saveMadxLattice, madxNumber, type MadxWriteOptions } from './madx/madx-writer.js';
export { parseElegant, loadElegant, type ElegantReadOptions } from './elegant/elegant-read.js';
export { formatElegant, saveElegant, type ElegantWriteOptions } from './elegant/elegant-write.js';
export { parsePals, loadPals, type PalsReadOptions } from './pals/pals-read.js';
export { formatPals, formatPalsJson, savePals, type PalsWriteOptions } from './pals/pals-write.js';
export { palsSubsetJsonSchema } from './pals/pals-schema.js';
export { type MatValue, MatFormatError, readMat5, writeMat5 } from './mat-v5.js';
