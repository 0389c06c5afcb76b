/** The elegant `.lte` format for the lattice format registry (read and write, with the loss report). */
import { ConversionLossLog } from '../conversion-report.js';
import type { LatticeFormat } from '../registry.js';
import { loadElegant } from './elegant-read.js';
import { saveElegant } from './elegant-write.js';

export const elegantFormat: LatticeFormat = {
  load: (path, options) => loadElegant(path, { use: options?.use }),
  read: (path, options) => {
    const losses = new ConversionLossLog();
    const lattice = loadElegant(path, { use: options?.use, losses });
    return { lattice, losses: losses.losses };
  },
  save: (path, lattice) => saveElegant(path, lattice),
  write: (path, lattice, options) => {
    const losses = new ConversionLossLog();
    saveElegant(path, lattice, { use: options?.use, losses });
    return { losses: losses.losses };
  },
  namedLines: true,
  description: 'elegant lattice (.lte): elements, LINE with repetition and reversal, % RPN; read as pyAT load_elegant (1 GeV, periodicity 1)',
};
