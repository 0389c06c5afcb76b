/**
 * Machine configurations (MML getmachineconfig / setmachineconfig): the setpoints of
 * every family, saved as a measurement file without data, so that one reader takes
 * the setpoints of a configuration or of any measurement (the setpoints it started from).
 *
 * ```
 * / @openPMD @openPMDextension @dataType="machine_configuration" @date @author @software @softwareVersion
 *   [@description] @modeName (the facility's mode: 'twin', 'epics', ...)
 * /meta @facility @facilityConfigSha256 (SHA-256 of the facility file) @latticeSha256 [@latticeFile]
 *       @mode (control-system type) [@errorSeed]
 * /meta/setpoints/<family>  devices [n,2] int32 (sector, index), names [n], channels [n],
 *                           values [n] float64 (@unit @unitSI @unitDimension: hardware units)
 * ```
 * Every dataset carries its SHA-256 (checksums.ts); the file is written under a temporary
 * name and renamed into place, never over an existing file unless asked.
 */
import type { Snapshot } from '@mlayer/core';
import { verifyChecksums } from './checksums.js';
import { DataFileError } from './errors.js';
import type { CreateOptions } from './h5-writer.js';
import { h5guard, openH5, readAttrs } from './h5.js';
import { type FamilySetpointsRead, type MeasurementHeader, MeasurementFile, type MeasurementMode, readProvenance } from './measurement-file.js';

export const MACHINE_CONFIG_DATA_TYPE = 'machine_configuration';

export interface MachineConfigHeader extends Omit<MeasurementHeader, 'dataType' | 'setpoints' | 'date'> {
  /** The setpoints (acc.snapshot()); its date is the file's date, its mode the file's modeName. */
  readonly snapshot: Snapshot;
}

/** Writes a machine configuration; refuses an existing file unless `overwrite`. Returns the path written. */
export async function writeMachineConfig(path: string, header: MachineConfigHeader, options: CreateOptions = {}): Promise<string> {
  const { snapshot, attributes, ...rest } = header;
  const f = await MeasurementFile.create(
    path,
    { ...rest, dataType: MACHINE_CONFIG_DATA_TYPE, date: snapshot.date, setpoints: snapshot.families, attributes: { ...attributes, modeName: snapshot.mode } },
    options,
  );
  return f.close();
}

/** The setpoints of a machine configuration or of any measurement file, with where they come from. */
export interface MachineConfigRead {
  readonly path: string;
  /** 'machine_configuration', or the kind of measurement the setpoints were recorded with. */
  readonly dataType: string;
  readonly date: string;
  readonly author?: string;
  readonly description?: string;
  readonly facility: { readonly name: string; readonly configSha256: string };
  /** Control-system type (twin, epics, tango). */
  readonly mode: MeasurementMode;
  /** The facility's mode name when the file records it (machine configurations do). */
  readonly modeName?: string;
  readonly errorSeed?: number;
  readonly setpoints: FamilySetpointsRead[];
  /** The setpoints as core's Snapshot (hardware units), ready for acc.planRestore / acc.restore / diffSnapshots. */
  readonly snapshot: Snapshot;
}

/** Reads the setpoints (/meta/setpoints) of a machine configuration or measurement file; checksums are verified. */
export async function readMachineConfig(path: string): Promise<MachineConfigRead> {
  const h5 = await openH5(path, 'r');
  try {
    return h5guard(path, () => {
      verifyChecksums(h5, path);
      const attrs = readAttrs(h5);
      const prov = readProvenance(h5, path);
      if (!prov) throw new DataFileError(path, 'holds no provenance (no /meta): not a measurement or machine configuration file', '/meta');
      if (prov.setpoints.length === 0) throw new DataFileError(path, 'holds no setpoints', '/meta/setpoints');
      const str = (k: string) => (typeof attrs[k] === 'string' ? (attrs[k] as string) : undefined);
      const dataType = str('dataType');
      const date = str('date');
      if (dataType === undefined || date === undefined) throw new DataFileError(path, 'has no dataType or date attribute', '/');
      const modeName = str('modeName');
      const snapshot: Snapshot = {
        facility: prov.facility.name,
        facilitySha256: prov.facility.configSha256,
        mode: modeName ?? prov.mode,
        date,
        families: Object.fromEntries(
          prov.setpoints.map((s) => [s.family, { devices: s.devices, names: s.names, channels: s.channels ?? [], values: Array.from(s.values), units: s.unit }]),
        ),
      };
      return {
        path,
        dataType,
        date,
        author: str('author'),
        description: str('description'),
        facility: prov.facility,
        mode: prov.mode,
        modeName,
        errorSeed: prov.errorSeed,
        setpoints: prov.setpoints,
        snapshot,
      };
    });
  } finally {
    h5.close();
  }
}
