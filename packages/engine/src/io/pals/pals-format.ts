/** The PALS YAML format for the lattice format registry (read and write, with the loss report). */
import { ConversionLossLog } from '../conversion-report.js';
import type { LatticeFormat } from '../registry.js';
import { loadPals } from './pals-read.js';
import { savePals } from './pals-write.js';

export const palsFormat: LatticeFormat = {
  load: (path, options) => loadPals(path, { use: options?.use }),
  read: (path, options) => {
    const losses = new ConversionLossLog();
    const lattice = loadPals(path, { use: options?.use, losses });
    return { lattice, losses: losses.losses };
  },
  save: (path, lattice) => savePals(path, lattice),
  write: (path, lattice, options) => {
    const losses = new ConversionLossLog();
    savePals(path, lattice, { use: options?.use, losses });
    return { losses: losses.losses };
  },
  namedLines: true,
  description: 'PALS lattice, YAML form (.pals.yaml; campa-consortium/pals @ 63cd39cc, subset in docs/pals-subset.schema.json); JSON form as .pals.json',
};
