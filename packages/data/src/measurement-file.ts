/**
 * One HDF5 file per measurement (openPMD 2.0.0 attributes, provenance in /meta,
 * datasets with units and device axes under /data).
 *
 * ```
 * / @openPMD @openPMDextension @dataType @date @author @software @softwareVersion [@description]
 * /meta @facility @facilityConfigSha256 @latticeSha256 [@latticeFile] @mode [@errorSeed]
 * /meta/setpoints/<family>  @family  devices [n,2] int32, names [n], values [n] float64 (+units)
 * /data/<path>              datasets (@unit @unitSI @unitDimension @axisLabels @axes)
 * /axes/<label>             devices / names / values of an axis
 * ```
 */
import { DataFileError, DataValueError } from './errors.js';
import { type AxisRead, type DatasetRecord, type DeviceId, checkDevices, readAxis, readDatasetsUnder, resolveUnit, setUnitAttrs } from './datasets.js';
import { type CreateOptions, H5Writer, durableOf } from './h5-writer.js';
import {
  type AttrRead,
  type AttrValue,
  type Dataset,
  type Group,
  type H5File,
  checkAttrValue,
  checkLinkName,
  childNames,
  ensureGroup,
  getChild,
  h5guard,
  isDataset,
  isGroup,
  openH5,
  readAttrs,
  readDataset,
  setAttr,
  setIntAttr,
  toNumeric,
  writeNumeric,
  writeStrings,
} from './h5.js';
import { isSha256Hex } from './sha256.js';
import { verifyChecksums } from './checksums.js';
import type { UnitDimension } from '@mlayer/core';
import { MEASUREMENT_EXTENSION, OPENPMD_VERSION, SOFTWARE_NAME, softwareVersion } from './version.js';

export type MeasurementMode = 'twin' | 'epics' | 'tango';
export const MEASUREMENT_MODES: readonly MeasurementMode[] = ['twin', 'epics', 'tango'];

/** Setpoints of one family before the measurement (compatible with the accelerator's FamilySnapshot: `units` is accepted for `unit`). */
export interface FamilySetpoints {
  readonly family: string;
  readonly devices: readonly DeviceId[];
  readonly names: readonly string[];
  readonly values: readonly number[] | Float64Array;
  /** Unit symbol; `units` is accepted as well. unitSI and unitDimension are looked up unless given. */
  readonly unit?: string;
  readonly units?: string;
  readonly channels?: readonly string[];
  readonly unitSI?: number;
  readonly unitDimension?: UnitDimension;
}

/** Setpoints as a list of families, or as a record keyed by family (e.g. `snapshot.families`). */
export type SetpointsInput = readonly FamilySetpoints[] | Readonly<Record<string, Omit<FamilySetpoints, 'family'>>>;

interface NormalisedSetpoints extends FamilySetpoints {
  readonly unit: string;
}

/** Normalises setpoints to a list with `unit` set. */
export function normaliseSetpoints(input: SetpointsInput, file: string): NormalisedSetpoints[] {
  if (typeof input !== 'object' || input === null) throw new DataValueError(file, 'header.setpoints', input, 'a list of family setpoints or a record keyed by family is required');
  const list: FamilySetpoints[] = Array.isArray(input)
    ? [...(input as readonly FamilySetpoints[])]
    : Object.entries(input as Record<string, Omit<FamilySetpoints, 'family'>>).map(([family, s]) => ({ ...s, family }));
  return list.map((s, i) => {
    if (typeof s !== 'object' || s === null) throw new DataValueError(file, `header.setpoints[${i}]`, s, '{ family, devices, names, values, unit } is required');
    const unit = s.unit ?? s.units;
    if (typeof unit !== 'string') throw new DataValueError(file, `header.setpoints[${i}].unit`, unit, 'a unit string is required ("" for dimensionless)');
    return { ...s, unit };
  });
}

export interface MeasurementHeader {
  /** Kind of measurement, e.g. "orbit_response_matrix". */
  readonly dataType: string;
  /** "Name <email>". */
  readonly author: string;
  /** ISO 8601 date (default: now). */
  readonly date?: Date | string;
  readonly software?: string;
  readonly softwareVersion?: string;
  readonly description?: string;
  readonly facility: { readonly name: string; readonly configSha256: string };
  readonly lattice: { readonly sha256: string; readonly file?: string };
  readonly mode: MeasurementMode;
  /** Seed of the machine errors; required on the twin, not allowed online. */
  readonly errorSeed?: number;
  /** All setpoints before the measurement, per family. */
  readonly setpoints: SetpointsInput;
  /** Extra root attributes. */
  readonly attributes?: Readonly<Record<string, AttrValue>>;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 string for a Date or string; a clear error for anything else. */
export function isoDate(date: Date | string | undefined, file: string, field: string): string {
  if (date === undefined) return new Date().toISOString();
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new DataValueError(file, field, String(date), 'a valid date is required');
    return date.toISOString();
  }
  if (typeof date !== 'string' || !ISO_8601.test(date) || Number.isNaN(Date.parse(date))) {
    throw new DataValueError(file, field, date, 'an ISO 8601 date-time with time zone is required (e.g. 2025-11-12T10:00:00Z)');
  }
  return date;
}

function requireString(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v.trim().length === 0) throw new DataValueError(file, field, v, 'a non-empty string is required');
  return v;
}

function requireSha(v: unknown, file: string, field: string): string {
  if (!isSha256Hex(v)) throw new DataValueError(file, field, v, 'a SHA-256 as 64 lowercase hex digits is required');
  return v;
}

/** Validates a header completely before anything is written. Returns the resolved date. */
export function checkMeasurementHeader(h: MeasurementHeader, file: string): string {
  if (typeof h !== 'object' || h === null) throw new DataValueError(file, 'header', h, 'a header object is required');
  requireString(h.dataType, file, 'header.dataType');
  requireString(h.author, file, 'header.author');
  const date = isoDate(h.date, file, 'header.date');
  if (h.software !== undefined) requireString(h.software, file, 'header.software');
  if (h.softwareVersion !== undefined) requireString(h.softwareVersion, file, 'header.softwareVersion');
  if (h.description !== undefined && typeof h.description !== 'string') throw new DataValueError(file, 'header.description', h.description, 'a string is required');
  if (typeof h.facility !== 'object' || h.facility === null) throw new DataValueError(file, 'header.facility', h.facility, '{ name, configSha256 } is required');
  requireString(h.facility.name, file, 'header.facility.name');
  requireSha(h.facility.configSha256, file, 'header.facility.configSha256');
  if (typeof h.lattice !== 'object' || h.lattice === null) throw new DataValueError(file, 'header.lattice', h.lattice, '{ sha256, file? } is required');
  requireSha(h.lattice.sha256, file, 'header.lattice.sha256');
  if (h.lattice.file !== undefined) requireString(h.lattice.file, file, 'header.lattice.file');
  if (!MEASUREMENT_MODES.includes(h.mode)) throw new DataValueError(file, 'header.mode', h.mode, `one of ${MEASUREMENT_MODES.join(', ')} is required`);
  if (h.mode === 'twin') {
    if (typeof h.errorSeed !== 'number' || !Number.isSafeInteger(h.errorSeed)) {
      throw new DataValueError(file, 'header.errorSeed', h.errorSeed, 'an integer error seed is required on the twin');
    }
  } else if (h.errorSeed !== undefined) {
    throw new DataValueError(file, 'header.errorSeed', h.errorSeed, `an error seed only applies to mode 'twin', not '${h.mode}'`);
  }
  const families = new Set<string>();
  normaliseSetpoints(h.setpoints, file).forEach((s, i) => {
    const at = `header.setpoints[${i}]`;
    if (typeof s !== 'object' || s === null) throw new DataValueError(file, at, s, '{ family, devices, names, values, unit } is required');
    checkLinkName(s.family, { file, path: `${at}.family` });
    if (families.has(s.family)) throw new DataValueError(file, `${at}.family`, s.family, 'each family may appear once');
    families.add(s.family);
    const devices = checkDevices(s.devices, file, `${at}.devices`);
    if (!Array.isArray(s.names) || s.names.some((n: unknown) => typeof n !== 'string')) throw new DataValueError(file, `${at}.names`, s.names, 'an array of strings is required');
    const values = toNumeric(s.values, 'float64', { file, path: `${at}.values` });
    if (values.shape.length !== 1) throw new DataValueError(file, `${at}.values`, values.shape, 'a one-dimensional array is required');
    if (s.names.length !== devices.length || values.data.length !== devices.length) {
      throw new DataValueError(file, at, { devices: devices.length, names: s.names.length, values: values.data.length }, 'devices, names and values must have the same length');
    }
    resolveUnit(s, file, `${at}.unit`);
    if (s.channels !== undefined && (!Array.isArray(s.channels) || s.channels.length !== devices.length || s.channels.some((c: unknown) => typeof c !== 'string'))) {
      throw new DataValueError(file, `${at}.channels`, s.channels, 'channels must be one string per device');
    }
  });
  for (const [k, v] of Object.entries(h.attributes ?? {})) checkAttrValue(v, file, `header.attributes.${k}`);
  return date;
}

/** Writes the /meta group of a measurement header (also used for the provenance of scans). */
export function writeMeta(root: Group, h: MeasurementHeader, file: string): void {
  const meta = ensureGroup(root, 'meta', file);
  setAttr(meta, 'facility', h.facility.name, file);
  setAttr(meta, 'facilityConfigSha256', h.facility.configSha256, file);
  setAttr(meta, 'latticeSha256', h.lattice.sha256, file);
  if (h.lattice.file !== undefined) setAttr(meta, 'latticeFile', h.lattice.file, file);
  setAttr(meta, 'mode', h.mode, file);
  if (h.mode === 'twin' && h.errorSeed !== undefined) setIntAttr(meta, 'errorSeed', h.errorSeed, file);
  const sp = ensureGroup(meta, 'setpoints', file);
  setAttr(sp, 'description', 'setpoints of all families before the measurement', file);
  for (const s of normaliseSetpoints(h.setpoints, file)) {
    const g = ensureGroup(sp, s.family, file);
    setAttr(g, 'family', s.family, file);
    const n = s.devices.length;
    const d = writeNumeric(g, 'devices', checkDevices(s.devices, file, g.path), 'int32', file, [n, 2]);
    setAttr(d, 'columns', ['sector', 'index'], file);
    writeStrings(g, 'names', s.names, file);
    if (s.channels !== undefined) writeStrings(g, 'channels', s.channels, file);
    const v = writeNumeric(g, 'values', s.values, 'float64', file);
    const unit = resolveUnit(s, file, v.path);
    setUnitAttrs(v, unit, file);
    setUnitAttrs(g, unit, file);
  }
}

/** Writes the openPMD root attributes common to measurement and point files. */
export function writeRootAttrs(root: Group, file: string, a: { extension: string; dataType: string; date: string; author: string; software?: string; softwareVersion?: string }): void {
  setAttr(root, 'openPMD', OPENPMD_VERSION, file);
  setAttr(root, 'openPMDextension', a.extension, file);
  setAttr(root, 'dataType', a.dataType, file);
  setAttr(root, 'date', a.date, file);
  setAttr(root, 'author', a.author, file);
  setAttr(root, 'software', a.software ?? SOFTWARE_NAME, file);
  setAttr(root, 'softwareVersion', a.softwareVersion ?? softwareVersion(), file);
}

/** A measurement file being written. Create with {@link MeasurementFile.create}; `close()` moves it into place atomically. */
export class MeasurementFile extends H5Writer {
  /** Creates the file (under a temporary name) and writes the header. Everything is validated first. */
  static async create(path: string, header: MeasurementHeader, options: CreateOptions = {}): Promise<MeasurementFile> {
    const date = checkMeasurementHeader(header, path);
    const { h5, tmp, target } = await H5Writer.openTemp(path, options);
    const f = new MeasurementFile(h5, target, tmp, durableOf(options));
    try {
      writeRootAttrs(h5, target, {
        extension: MEASUREMENT_EXTENSION,
        dataType: header.dataType,
        date,
        author: header.author,
        software: header.software,
        softwareVersion: header.softwareVersion,
      });
      if (header.description !== undefined) setAttr(h5, 'description', header.description, target);
      for (const [k, v] of Object.entries(header.attributes ?? {})) setAttr(h5, k, v, target);
      writeMeta(h5, header, target);
    } catch (e) {
      f.abort();
      throw e;
    }
    return f;
  }
}

/** Setpoints of one family as read back. */
export interface FamilySetpointsRead {
  readonly family: string;
  readonly devices: [number, number][];
  readonly names: string[];
  readonly values: Float64Array;
  readonly channels?: string[];
  readonly unit: string;
  readonly unitSI: number;
  readonly unitDimension: number[];
}

export interface MeasurementContents {
  readonly path: string;
  readonly openPMD: string;
  readonly openPMDextension: string;
  readonly dataType: string;
  readonly date: string;
  readonly author: string;
  readonly software: string;
  readonly softwareVersion: string;
  readonly description?: string;
  readonly facility: { readonly name: string; readonly configSha256: string };
  readonly lattice: { readonly sha256: string; readonly file?: string };
  readonly mode: MeasurementMode;
  readonly errorSeed?: number;
  readonly setpoints: FamilySetpointsRead[];
  readonly datasets: DatasetRecord[];
  /** All root attributes, as stored. */
  readonly attributes: Record<string, AttrRead>;
  /** Get a dataset by path (relative to /data); throws if missing. */
  dataset(path: string): DatasetRecord;
}

function str(attrs: Record<string, AttrRead>, key: string, file: string, where: string): string {
  const v = attrs[key];
  if (typeof v !== 'string') throw new DataFileError(file, `attribute '${key}' is missing or not a string`, where);
  return v;
}

/** Reads the setpoint snapshot under /meta/setpoints. */
export function readSetpoints(root: Group, file: string): FamilySetpointsRead[] {
  const sp = getChild(root, 'meta/setpoints');
  if (!isGroup(sp)) return [];
  return childNames(sp).map((name) => {
    const g = sp.get(name);
    if (!isGroup(g)) throw new DataFileError(file, 'is not a setpoint group', `/meta/setpoints/${name}`);
    const devices = readAxis(g) as AxisRead;
    const values = g.get('values') as Dataset;
    const vattrs = readAttrs(values);
    return {
      family: name,
      devices: devices.devices ?? [],
      names: devices.names ?? [],
      values: Float64Array.from(readDataset(values).value as Float64Array),
      ...(childNames(g).includes('channels') ? { channels: readDataset(g.get('channels') as Dataset).value as string[] } : {}),
      unit: typeof vattrs.unit === 'string' ? vattrs.unit : '',
      unitSI: typeof vattrs.unitSI === 'number' ? vattrs.unitSI : NaN,
      unitDimension: Array.isArray(vattrs.unitDimension) ? (vattrs.unitDimension as number[]) : [],
    };
  });
}

/** Provenance of data taken on a machine or its twin: the /meta part of a measurement header. */
export type Provenance = Pick<MeasurementHeader, 'facility' | 'lattice' | 'mode' | 'errorSeed' | 'setpoints'>;

/** Provenance as read back from /meta. */
export interface ProvenanceRead {
  readonly facility: { readonly name: string; readonly configSha256: string };
  readonly lattice: { readonly sha256: string; readonly file?: string };
  readonly mode: MeasurementMode;
  readonly errorSeed?: number;
  readonly setpoints: FamilySetpointsRead[];
}

/** Reads /meta (facility, lattice, mode, error seed, setpoints) of a file; undefined when it has none. */
export function readProvenance(root: Group, file: string): ProvenanceRead | undefined {
  const meta = getChild(root, 'meta');
  if (!isGroup(meta)) return undefined;
  const m = readAttrs(meta);
  return {
    facility: { name: str(m, 'facility', file, '/meta'), configSha256: str(m, 'facilityConfigSha256', file, '/meta') },
    lattice: {
      sha256: str(m, 'latticeSha256', file, '/meta'),
      ...(typeof m.latticeFile === 'string' ? { file: m.latticeFile } : {}),
    },
    mode: str(m, 'mode', file, '/meta') as MeasurementMode,
    errorSeed: typeof m.errorSeed === 'number' ? m.errorSeed : undefined,
    setpoints: readSetpoints(root, file),
  };
}

/** Reads a measurement file completely. */
export async function readMeasurement(path: string): Promise<MeasurementContents> {
  const h5 = await openH5(path, 'r');
  try {
    return h5guard(path, () => measurementContents(h5, path));
  } finally {
    h5.close();
  }
}

function measurementContents(h5: H5File, path: string): MeasurementContents {
  const attrs = readAttrs(h5);
  const ext = str(attrs, 'openPMDextension', path, '/');
  // A corrupted block must fail the reader, not become zeros in a response matrix.
  verifyChecksums(h5, path);
  if (ext !== MEASUREMENT_EXTENSION) throw new DataFileError(path, `not a measurement file (openPMDextension '${ext}', expected '${MEASUREMENT_EXTENSION}')`);
  const prov = readProvenance(h5, path);
  if (!prov) throw new DataFileError(path, 'group is missing', '/meta');
  const datasets = readDatasetsUnder(h5, 'data');
  return {
    path,
    openPMD: str(attrs, 'openPMD', path, '/'),
    openPMDextension: ext,
    dataType: str(attrs, 'dataType', path, '/'),
    date: str(attrs, 'date', path, '/'),
    author: str(attrs, 'author', path, '/'),
    software: str(attrs, 'software', path, '/'),
    softwareVersion: str(attrs, 'softwareVersion', path, '/'),
    description: typeof attrs.description === 'string' ? attrs.description : undefined,
    ...prov,
    datasets,
    attributes: attrs,
    dataset(p: string): DatasetRecord {
      const rel = p.replace(/^\/?(data\/)?/, '');
      const d = datasets.find((x) => x.path === rel);
      if (!d) throw new DataFileError(path, `no dataset '${rel}' (have: ${datasets.map((x) => x.path).join(', ') || 'none'})`, `/data/${rel}`);
      return d;
    },
  };
}


