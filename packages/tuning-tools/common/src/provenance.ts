/**
 * Where a saved measurement or scan comes from: the facility (name, SHA-256 of
 * its configuration), the lattice file (SHA-256), the mode (twin, epics, tango),
 * the twin's error seed, and the setpoints of every family; and its author.
 */
import { userInfo } from 'node:os';
import { type Accelerator, type Snapshot, isDigitalTwin } from '@mlayer/core';
import { MEASUREMENT_MODES, type MeasurementMode, type Provenance, sha256File } from '@mlayer/data';
import type { ToolErrorClass } from './family-pair-response.js';

export interface ProvenanceOptions {
  /** Setpoints of the machine (default: a snapshot taken now). */
  readonly setpoints?: Snapshot;
  /** Lattice provenance (default: the SHA-256 of the facility's lattice file). */
  readonly lattice?: { readonly sha256: string; readonly file?: string };
  /** What is saved, for messages ('measurement', 'scan'). */
  readonly what: string;
  /** What the message says when the facility names no lattice file. */
  readonly missingLattice: string;
  readonly error: ToolErrorClass;
}

export interface AcceleratorProvenance extends Provenance {
  /** Twin: whether errors were applied to it (the seed is then the errors' seed). */
  readonly errorsApplied?: boolean;
}

/** The provenance of a measurement on this accelerator. */
export async function acceleratorProvenance(acc: Accelerator, options: ProvenanceOptions): Promise<AcceleratorProvenance> {
  const cs = acc.facility.config.controlSystems[acc.mode];
  const mode = cs?.type as MeasurementMode;
  if (!MEASUREMENT_MODES.includes(mode)) throw new options.error(`${acc.facility.file}: control system '${acc.mode}' has type '${cs?.type}'; ${options.what} files know the modes ${MEASUREMENT_MODES.join(', ')}`);
  let lattice = options.lattice;
  if (!lattice) {
    const ref = acc.facility.config.lattice;
    if (!ref) throw new options.error(`${acc.facility.file}: the facility names no lattice file; ${options.missingLattice}`);
    lattice = { sha256: sha256File(acc.facility.resolvePath(ref.file)), file: ref.file };
  }
  const snap = options.setpoints ?? (await acc.snapshot());
  let errorSeed: number | undefined;
  let errorsApplied: boolean | undefined;
  if (mode === 'twin') {
    // A replay of a twin names the recorded twin's error seed, as the recorded run's file did.
    const tw = isDigitalTwin(acc.controlSystem) ? acc.twin : acc.controlSystem.recordedTwin;
    const settingsSeed = cs.settings.seed;
    errorSeed = tw?.errorSeed ?? (typeof settingsSeed === 'number' ? settingsSeed : 1);
    errorsApplied = tw?.errorSeed !== undefined;
  }
  return { facility: { name: acc.facility.config.name, configSha256: acc.facility.sha256 }, lattice, mode, errorSeed, errorsApplied, setpoints: snap.families };
}

/** The author of a saved file: the one given, else $MLAYER_AUTHOR, else the login name. */
export function measurementAuthor(author?: string): string {
  return author ?? process.env.MLAYER_AUTHOR ?? userInfo().username;
}
