/**
 * Datasets with units and named axes, shared by measurement files and scan point files.
 *
 * Layout: datasets live under `/data/<path>`; each carries `unit`, `unitSI`,
 * `unitDimension` (openPMD), `axisLabels` and `axes` (paths of the axis groups).
 * An axis is a group `/axes/<label>` holding `devices` ([n, 2] int32, `[sector, index]`),
 * `names` ([n] strings, also an HDF5 dimension scale) and/or `values` ([n] float64 with units).
 */
import { DataFileError, DataValueError } from './errors.js';
import {
  type AttrRead,
  type AttrValue,
  type Dataset,
  type DatasetValue,
  type Group,
  type NumericDtype,
  checkLinkName,
  childNames,
  ensureGroup,
  ensureGroupPath,
  getChild,
  isDataset,
  isGroup,
  joinPath,
  readAttrs,
  readDataset,
  setAttr,
  checkAttrValue,
  toNumeric,
  writeNumeric,
  writeStrings,
} from './h5.js';
import { type UnitDimension, isUnitDimension, lookupUnit } from '@mlayer/core';

/** A device address: `[sector, index]`. */
export type DeviceId = readonly [sector: number, index: number];

/** Numeric input accepted for datasets: scalars, (nested) arrays or typed arrays. */
export type NumericInput =
  | number
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint8Array
  | BigInt64Array
  | readonly number[]
  | readonly (readonly number[])[]
  | readonly (readonly (readonly number[])[])[];

export interface UnitOptions {
  /** Unit symbol, e.g. "mm". unitSI and unitDimension are looked up from it unless given. */
  readonly unit: string;
  readonly unitSI?: number;
  readonly unitDimension?: UnitDimension;
}

/** One axis of a dataset: devices, names and/or coordinate values, one entry per index along that dimension. */
export interface AxisSpec {
  readonly label: string;
  readonly devices?: readonly DeviceId[];
  readonly names?: readonly string[];
  readonly values?: readonly number[] | Float64Array;
  /** Units of `values` (required with values). */
  readonly unit?: string;
  readonly unitSI?: number;
  readonly unitDimension?: UnitDimension;
}

export interface DatasetOptions extends UnitOptions {
  readonly description?: string;
  /** Element type; default float64. */
  readonly dtype?: NumericDtype;
  /** Shape for flat typed-array input (default: its length). */
  readonly shape?: readonly number[];
  /** One entry per dimension (null: unnamed dimension). */
  readonly axes?: readonly (AxisSpec | null)[];
  readonly attributes?: Readonly<Record<string, AttrValue>>;
  readonly compress?: boolean;
}

export interface ResolvedUnit {
  readonly unit: string;
  readonly unitSI: number;
  readonly unitDimension: UnitDimension;
}

/** unitSI and unitDimension from explicit values or the unit table; a clear error otherwise. */
export function resolveUnit(opts: UnitOptions, file: string, path: string): ResolvedUnit {
  if (typeof opts.unit !== 'string') throw new DataValueError(file, path, opts.unit, 'a unit string is required ("" for dimensionless)');
  const hasSI = opts.unitSI !== undefined;
  const hasDim = opts.unitDimension !== undefined;
  if (hasSI !== hasDim) throw new DataValueError(file, path, opts, 'give both unitSI and unitDimension, or neither (looked up from unit)');
  if (hasSI) {
    if (typeof opts.unitSI !== 'number' || !Number.isFinite(opts.unitSI) || opts.unitSI <= 0) {
      throw new DataValueError(file, `${path}@unitSI`, opts.unitSI, 'unitSI must be a finite positive number');
    }
    if (!isUnitDimension(opts.unitDimension)) {
      throw new DataValueError(file, `${path}@unitDimension`, opts.unitDimension, 'unitDimension must be 7 finite numbers (L, M, T, I, θ, N, J)');
    }
    return { unit: opts.unit, unitSI: opts.unitSI, unitDimension: [...opts.unitDimension] as unknown as UnitDimension };
  }
  const u = lookupUnit(opts.unit);
  if (!u) throw new DataValueError(file, path, opts.unit, 'unknown unit: pass unitSI and unitDimension explicitly');
  return { unit: opts.unit, unitSI: u.unitSI, unitDimension: u.unitDimension };
}

/** Writes unit, unitSI and unitDimension attributes. */
export function setUnitAttrs(obj: Group | Dataset, u: ResolvedUnit, file: string): void {
  setAttr(obj, 'unit', u.unit, file);
  setAttr(obj, 'unitSI', u.unitSI, file);
  setAttr(obj, 'unitDimension', Float64Array.from(u.unitDimension), file);
}

export function checkDevices(devices: readonly DeviceId[], file: string, path: string): number[][] {
  if (!Array.isArray(devices)) throw new DataValueError(file, path, devices, 'devices must be an array of [sector, index] pairs');
  return devices.map((d, i) => {
    if (!Array.isArray(d) || d.length !== 2 || !d.every((x) => Number.isInteger(x))) {
      throw new DataValueError(file, `${path}[${i}]`, d, 'a device must be [sector, index] with two integers');
    }
    return [d[0], d[1]];
  });
}

function sameNumbers(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Number(a[i]) !== Number(b[i]) && !(Number.isNaN(Number(a[i])) && Number.isNaN(Number(b[i])))) return false;
  return true;
}

/** Writes datasets under a base group, with shared axis groups. */
export class DatasetWriter {
  constructor(
    private readonly root: Group,
    private readonly file: string,
    private readonly basePath = 'data',
    private readonly axesPath = 'axes',
  ) {}

  /** Writes a numeric dataset at `path` (relative to /data) with its units and axes. Everything is validated before anything is written. */
  writeDataset(path: string, data: NumericInput, opts: DatasetOptions): void {
    const { parts, name, full } = this.split(path);
    const unit = resolveUnit(opts, this.file, full);
    const dtype = opts.dtype ?? 'float64';
    if (!['float64', 'int32', 'int64', 'uint8'].includes(dtype)) {
      throw new DataValueError(this.file, full, dtype, 'dtype must be float64, int32, int64 or uint8 (float32 is not offered)');
    }
    const numeric = toNumeric(data, dtype, { file: this.file, path: full }, opts.shape);
    const axes = this.checkAxes(full, numeric.shape, opts.axes ?? []);
    for (const [k, v] of Object.entries(opts.attributes ?? {})) checkAttrValue(v, this.file, `${full}@${k}`);
    const group = this.groupFor(parts, full, name);
    const ds = writeNumeric(group, name, numeric.data, dtype, this.file, numeric.shape, { compress: opts.compress });
    setUnitAttrs(ds, unit, this.file);
    if (opts.description !== undefined) setAttr(ds, 'description', opts.description, this.file);
    this.attachAxes(ds, axes);
    for (const [k, v] of Object.entries(opts.attributes ?? {})) setAttr(ds, k, v, this.file);
  }

  /** Writes a string dataset at `path` (relative to /data). */
  writeStrings(path: string, data: readonly string[], opts: { description?: string; axes?: readonly (AxisSpec | null)[] } = {}): void {
    const { parts, name, full } = this.split(path);
    if (!Array.isArray(data)) throw new DataValueError(this.file, full, data, 'an array of strings is required');
    const bad = data.findIndex((s) => typeof s !== 'string');
    if (bad >= 0) throw new DataValueError(this.file, `${full}[${bad}]`, data[bad], 'a string is required');
    const axes = this.checkAxes(full, [data.length], opts.axes ?? []);
    const group = this.groupFor(parts, full, name);
    const ds = writeStrings(group, name, data, this.file);
    if (opts.description !== undefined) setAttr(ds, 'description', opts.description, this.file);
    this.attachAxes(ds, axes);
  }

  private split(path: string): { parts: string[]; name: string; full: string } {
    if (typeof path !== 'string' || path.length === 0) throw new DataValueError(this.file, `/${this.basePath}`, path, 'a dataset path is required');
    const parts = path.split('/').filter((p) => p.length > 0);
    const name = parts.pop() ?? '';
    const full = `/${this.basePath}/${[...parts, name].join('/')}`;
    for (const p of [...parts, name]) checkLinkName(p, { file: this.file, path: full });
    return { parts, name, full };
  }

  private groupFor(parts: readonly string[], full: string, name: string): Group {
    const base = ensureGroup(this.root, this.basePath, this.file);
    const group = ensureGroupPath(base, parts.join('/'), this.file);
    if (childNames(group).includes(name)) throw new DataValueError(this.file, full, name, 'a dataset or group of this name exists already');
    return group;
  }

  private checkAxes(full: string, shape: readonly number[], axes: readonly (AxisSpec | null)[]): PlannedAxis[] {
    if (!Array.isArray(axes)) throw new DataValueError(this.file, full, axes, 'axes must be an array (one entry per dimension)');
    if (axes.length === 0) return [];
    if (axes.length !== shape.length) {
      throw new DataValueError(this.file, full, axes.length, `${shape.length} axes are required (one per dimension of shape [${shape.join(', ')}])`);
    }
    const seen = new Map<string, AxisSpec>();
    return axes.map((axis, dim) => {
      if (axis === null) return null;
      const where = `${full} axis ${dim}`;
      if (typeof axis !== 'object') throw new DataValueError(this.file, where, axis, 'an axis must be an object with a label');
      checkLinkName(axis.label, { file: this.file, path: `${where} label` });
      if (!axis.devices && !axis.names && !axis.values) throw new DataValueError(this.file, where, axis.label, 'an axis needs devices, names or values');
      const devices = axis.devices ? checkDevices(axis.devices, this.file, `${where} devices`) : undefined;
      const n = shape[dim];
      for (const [key, arr] of [
        ['devices', devices],
        ['names', axis.names],
        ['values', axis.values],
      ] as const) {
        if (arr && arr.length !== n) throw new DataValueError(this.file, `${where} ${key}`, arr.length, `axis '${axis.label}' needs ${n} ${key} (the dimension's length)`);
      }
      if (axis.names) {
        const bad = axis.names.findIndex((s: unknown) => typeof s !== 'string');
        if (bad >= 0) throw new DataValueError(this.file, `${where} names[${bad}]`, axis.names[bad], 'a string is required');
      }
      const values = axis.values ? (toNumeric(axis.values, 'float64', { file: this.file, path: `${where} values` }).data as Float64Array) : undefined;
      const unit = values ? resolveUnit({ unit: axis.unit ?? '', unitSI: axis.unitSI, unitDimension: axis.unitDimension }, this.file, `${where} values`) : undefined;
      const twin = seen.get(axis.label);
      if (twin && twin !== axis) {
        // The same label twice in one dataset (e.g. a square BPM-BPM matrix) must describe the same axis.
        if (JSON.stringify(twin) !== JSON.stringify(axis)) throw new DataValueError(this.file, where, axis.label, 'two different axes share this label');
      }
      seen.set(axis.label, axis);
      const existing = this.existingAxis(axis.label);
      if (existing) {
        const read = readAxis(existing);
        const same =
          (devices === undefined) === (read.devices === undefined) &&
          (axis.names === undefined) === (read.names === undefined) &&
          (values === undefined) === (read.values === undefined) &&
          (devices === undefined || sameNumbers(read.devices!.flat(), devices.flat())) &&
          (axis.names === undefined || read.names!.join('\u0000') === axis.names.join('\u0000')) &&
          (values === undefined || sameNumbers(read.values!, values));
        if (!same) {
          throw new DataValueError(this.file, existing.path, axis.label, 'an axis of this label exists with different devices, names or values; use another label');
        }
      }
      return { label: axis.label, devices, names: axis.names, values, unit, n };
    });
  }

  private existingAxis(label: string): Group | undefined {
    const g = getChild(this.root, `${this.axesPath}/${label}`);
    if (g !== undefined && !isGroup(g)) throw new DataFileError(this.file, 'exists and is not an axis group', `/${this.axesPath}/${label}`);
    return g;
  }

  private attachAxes(ds: Dataset, axes: readonly PlannedAxis[]): void {
    if (axes.length === 0) return;
    const labels: string[] = [];
    const paths: string[] = [];
    axes.forEach((axis, dim) => {
      if (axis === null) {
        labels.push('-');
        paths.push('-');
        return;
      }
      const g = this.existingAxis(axis.label) ?? this.createAxis(axis);
      labels.push(axis.label);
      paths.push(g.path);
      ds.set_dimension_label(dim, axis.label);
      const kids = childNames(g);
      const scale = kids.includes('names') ? 'names' : kids.includes('values') ? 'values' : undefined;
      if (scale) ds.attach_scale(dim, `${g.path}/${scale}`);
    });
    setAttr(ds, 'axisLabels', labels, this.file);
    setAttr(ds, 'axes', paths, this.file);
  }

  private createAxis(axis: NonNullable<PlannedAxis>): Group {
    const axesRoot = ensureGroup(this.root, this.axesPath, this.file);
    const g = ensureGroup(axesRoot, axis.label, this.file);
    setAttr(g, 'label', axis.label, this.file);
    if (axis.devices) {
      const d = writeNumeric(g, 'devices', axis.devices, 'int32', this.file, [axis.n, 2]);
      setAttr(d, 'columns', ['sector', 'index'], this.file);
    }
    if (axis.names) writeStrings(g, 'names', axis.names, this.file).make_scale(axis.label);
    if (axis.values && axis.unit) {
      const d = writeNumeric(g, 'values', axis.values, 'float64', this.file);
      setUnitAttrs(d, axis.unit, this.file);
      if (!axis.names) d.make_scale(axis.label);
    }
    return g;
  }
}

type PlannedAxis = {
  label: string;
  devices?: number[][];
  names?: readonly string[];
  values?: Float64Array;
  unit?: ResolvedUnit;
  n: number;
} | null;

/** An axis as read back. */
export interface AxisRead {
  readonly label: string;
  readonly path: string;
  readonly devices?: [number, number][];
  readonly names?: string[];
  readonly values?: Float64Array;
  readonly unit?: string;
}

export function readAxis(g: Group): AxisRead {
  const kids = childNames(g);
  const attrs = readAttrs(g);
  const out: {
    label: string;
    path: string;
    devices?: [number, number][];
    names?: string[];
    values?: Float64Array;
    unit?: string;
  } = { label: typeof attrs.label === 'string' ? attrs.label : g.path.split('/').pop() ?? '', path: g.path };
  if (kids.includes('devices')) {
    const d = readDataset(g.get('devices') as Dataset).value as Int32Array;
    out.devices = [];
    for (let i = 0; i + 1 < d.length; i += 2) out.devices.push([d[i], d[i + 1]]);
  }
  if (kids.includes('names')) out.names = readDataset(g.get('names') as Dataset).value as string[];
  if (kids.includes('values')) {
    const ds = g.get('values') as Dataset;
    out.values = Float64Array.from(readDataset(ds).value as Float64Array);
    const u = readAttrs(ds).unit;
    if (typeof u === 'string') out.unit = u;
  }
  return out;
}

/** A dataset as read back, with its units and axes. */
export interface DatasetRecord {
  /** Path relative to the base group (e.g. "orbit/x"). */
  readonly path: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly value: DatasetValue;
  readonly unit?: string;
  readonly unitSI?: number;
  readonly unitDimension?: number[];
  readonly description?: string;
  readonly axes: (AxisRead | null)[];
  readonly attributes: Record<string, AttrRead>;
}

/** Reads every dataset below `base` (recursively), with units and axes. */
export function readDatasetsUnder(root: Group, basePath: string): DatasetRecord[] {
  const base = getChild(root, basePath);
  if (!isGroup(base)) return [];
  const out: DatasetRecord[] = [];
  const walk = (g: Group, rel: string): void => {
    for (const name of childNames(g)) {
      const e = g.get(name);
      const relName = rel ? `${rel}/${name}` : name;
      if (isGroup(e)) walk(e, relName);
      else if (isDataset(e)) out.push(readDatasetRecord(root, e, relName));
    }
  };
  walk(base, '');
  return out;
}

export function readDatasetRecord(root: Group, ds: Dataset, rel: string): DatasetRecord {
  const { dtype, shape, value } = readDataset(ds);
  const attrs = readAttrs(ds);
  const axes: (AxisRead | null)[] = [];
  if (Array.isArray(attrs.axes)) {
    for (const p of attrs.axes as string[]) {
      const g = p && p !== '-' ? getChild(root, p) : undefined;
      axes.push(isGroup(g) ? readAxis(g) : null);
    }
  }
  return {
    path: rel,
    dtype,
    shape,
    value,
    unit: typeof attrs.unit === 'string' ? attrs.unit : undefined,
    unitSI: typeof attrs.unitSI === 'number' ? attrs.unitSI : undefined,
    unitDimension: Array.isArray(attrs.unitDimension) ? (attrs.unitDimension as number[]) : undefined,
    description: typeof attrs.description === 'string' ? attrs.description : undefined,
    axes,
    attributes: attrs,
  };
}

export { joinPath };
