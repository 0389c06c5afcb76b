/**
 * The facility's tool defaults (the `tools` section) with its paths resolved: what a
 * command uses when its option is not given.
 */
import { isAbsolute, resolve } from 'node:path';
import type { LoadedFacility } from './loaded-facility.js';

export interface FacilityTools {
  /** Folder of the measurement files: tools.dataDir (relative to the facility file), else ./out of the working directory. */
  readonly dataDir: string;
  /** True when dataDir comes from the facility file. */
  readonly dataDirFromFacility: boolean;
  /** Response-matrix step per corrector family, physics units of its setpoint (rad). */
  readonly ormStep: Readonly<Record<string, number>>;
  /** RF step of the dispersion measurement, physics units of the RF setpoint (Hz). */
  readonly dispersionStep?: number;
  /** Golden orbit file (absolute path). */
  readonly golden?: string;
  /** BPM offset file (absolute path). */
  readonly offsets?: string;
  /** Measured response matrix file (absolute path). */
  readonly responseMatrix?: string;
  /** Quadrupole families of tune set. */
  readonly tuneFamilies?: readonly string[];
  /** Sextupole families of chrom set. */
  readonly chromaticityFamilies?: readonly string[];
  /** Lattice of the model commands (absolute path): tools.model.lattice, else the facility lattice. */
  readonly modelLattice?: string;
  /** BPM families of the model commands. */
  readonly modelBpms?: readonly string[];
  /** Corrector families of the model commands. */
  readonly modelCorrectors?: readonly string[];
}

/** The tool defaults of a facility; `cwd` is the folder the default data folder ./out is relative to. */
export function facilityTools(facility: LoadedFacility, cwd: string = process.cwd()): FacilityTools {
  const t = facility.config.tools ?? {};
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : isAbsolute(p) ? p : facility.resolvePath(p));
  const lattice = t.model?.lattice ?? facility.config.lattice?.file;
  return {
    dataDir: t.dataDir !== undefined ? abs(t.dataDir)! : resolve(cwd, 'out'),
    dataDirFromFacility: t.dataDir !== undefined,
    ormStep: { ...(t.orbit?.ormStep ?? {}) },
    dispersionStep: t.orbit?.dispersionStep,
    golden: abs(t.orbit?.golden),
    offsets: abs(t.orbit?.offsets),
    responseMatrix: abs(t.orbit?.responseMatrix),
    tuneFamilies: t.tune?.families,
    chromaticityFamilies: t.chromaticity?.families,
    modelLattice: abs(lattice),
    modelBpms: t.model?.bpms,
    modelCorrectors: t.model?.correctors,
  };
}
