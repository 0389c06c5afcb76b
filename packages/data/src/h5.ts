/**
 * A thin, strict layer over h5wasm. h5wasm guesses types (a plain `[1, 2]`
 * becomes int32, `"<f8"` becomes float32), writes NaN into integers as 0 and
 * fails silently on bad paths; every write here names its HDF5 type
 * explicitly, validates values first, and checks what was written.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import h5wasm from 'h5wasm/node';
import type { Dataset, File as H5File, Group } from 'h5wasm/node';
import { DataFileError, DataValueError } from './errors.js';

export type { Dataset, Group, H5File };

/** Numeric element types that mlayer stores. There is deliberately no float32. */
export type NumericDtype = 'float64' | 'int32' | 'int64' | 'uint8';
export type NumericData = Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A value that can be stored as an HDF5 attribute. Numbers are stored as float64, booleans as uint8 (0/1), Int32Array as int32. */
export type AttrValue =
  | string
  | number
  | boolean
  | readonly string[]
  | readonly number[]
  | Float64Array
  | Int32Array
  | Uint8Array
  | BigInt64Array;

/** An attribute as read back: numbers (scalar or array) or strings (scalar or array). */
export type AttrRead = string | number | string[] | number[];

/** Where a value is written, for error messages. */
export interface Where {
  readonly file: string;
  readonly path: string;
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;

const DTYPE_STRING: Record<NumericDtype, string> = { float64: '<d', int32: '<i', int64: '<q', uint8: '<B' };
const DTYPE_META: Record<NumericDtype, { type: number; size: number; signed: boolean }> = {
  float64: { type: H5T_FLOAT, size: 8, signed: false },
  int32: { type: H5T_INTEGER, size: 4, signed: true },
  int64: { type: H5T_INTEGER, size: 8, signed: true },
  uint8: { type: H5T_INTEGER, size: 1, signed: false },
};

let ready: Promise<unknown> | undefined;

/**
 * The h5wasm module, once its WebAssembly is loaded. HDF5 errors then throw
 * (instead of printing the library's error stack on stderr and going on with
 * zeros): readers turn them into one DataFileError naming the file and object.
 */
export async function h5lib(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready.then((module) => {
    (module as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler();
  });
  await ready;
  return h5wasm;
}

/** File names of the open files by HDF5 file id (for messages about their objects). */
const openFiles = new Map<string, string>();

function fileOf(obj: { file_id: bigint }): string {
  return openFiles.get(String(obj.file_id)) ?? 'HDF5 file';
}

/** The cause of an HDF5 error in one line: the innermost message of the library's error stack. */
export function hdf5Detail(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = [...text.matchAll(/#\d+: .* in ([A-Za-z0-9_]+)\(\): (.+)$/gm)];
  const last = lines[lines.length - 1];
  return last ? `HDF5: ${last[2].trim()}` : `HDF5: ${text.split('\n')[0].slice(0, 200)}`;
}

/** The message of an error in one line: mlayer's own as it is, the HDF5 library's reduced to its cause. */
export function oneLine(e: unknown): string {
  if (e instanceof DataFileError || e instanceof DataValueError) return e.message;
  return e instanceof Error && e.name !== 'Error' ? e.message : hdf5Detail(e);
}

/** As h5guard, for an asynchronous reader. */
export async function h5guardAsync<T>(file: string, fn: () => Promise<T>, what = 'cannot be read (corrupted?)'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DataFileError || e instanceof DataValueError) throw e;
    if (e instanceof Error && e.name !== 'Error') throw e;
    throw new DataFileError(file, `${what}: ${hdf5Detail(e)}`, undefined, { cause: e });
  }
}

/** Runs `fn`; an error of the HDF5 library becomes one DataFileError naming the file (and the object when given). */
export function h5guard<T>(file: string, fn: () => T, objectPath?: string, what = 'cannot be read (corrupted?)'): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DataFileError || e instanceof DataValueError) throw e;
    if (e instanceof Error && e.name !== 'Error') throw e;
    throw new DataFileError(file, `${what}: ${hdf5Detail(e)}`, objectPath, { cause: e });
  }
}

/** Opens an HDF5 file, checking first what h5wasm would otherwise get wrong silently. */
export async function openH5(path: string, mode: 'r' | 'a' | 'w'): Promise<H5File> {
  const lib = await h5lib();
  const abs = resolve(path);
  if (mode === 'w') {
    const dir = dirname(abs);
    if (!existsSync(dir)) throw new DataFileError(path, `cannot create the file: directory '${dir}' does not exist`);
    if (!statSync(dir).isDirectory()) throw new DataFileError(path, `cannot create the file: '${dir}' is not a directory`);
  } else {
    if (!existsSync(abs)) throw new DataFileError(path, 'no such file');
    if (!statSync(abs).isFile()) throw new DataFileError(path, 'not a regular file');
  }
  // New files use the HDF5 1.10 format (compact chunk indexes; readable by HDF5 >= 1.10, h5py, h5dump).
  const f = h5guard(
    path,
    () => (mode === 'w' ? new lib.File(abs, mode, { libver: ['v110', 'v110'] }) : new lib.File(abs, mode)),
    undefined,
    mode === 'w' ? 'HDF5 could not create the file' : 'not a readable HDF5 file (corrupt or truncated?)',
  );
  if (f.file_id >= 0n) openFiles.set(String(f.file_id), path);
  if (f.file_id < 0n) {
    throw new DataFileError(
      path,
      mode === 'w' ? 'HDF5 could not create the file (permissions or disk?)' : 'not a readable HDF5 file (corrupt or truncated?)',
    );
  }
  return f;
}

/** Checks that a link name is usable in HDF5 (no '/', not empty, not '.'). */
export function checkLinkName(name: string, where: Where): void {
  if (typeof name !== 'string' || name.length === 0 || name === '.' || name.includes('/')) {
    throw new DataValueError(where.file, where.path, name, "a name must be a non-empty string without '/'");
  }
}

function hasChild(group: Group, name: string): boolean {
  return group.keys().includes(name);
}

/** Returns the child group `name`, creating it if needed. */
export function ensureGroup(parent: Group, name: string, file: string): Group {
  const path = joinPath(parent.path, name);
  checkLinkName(name, { file, path });
  if (hasChild(parent, name)) {
    const g = parent.get(name);
    if (!isGroup(g)) throw new DataFileError(file, 'exists and is not a group', path);
    return g;
  }
  const g = parent.create_group(name);
  if (!hasChild(parent, name)) throw new DataFileError(file, 'HDF5 could not create the group', path);
  return g;
}

/** Creates nested groups along a '/'-separated relative path and returns the innermost. */
export function ensureGroupPath(root: Group, rel: string, file: string): Group {
  let g = root;
  for (const part of rel.split('/').filter((p) => p.length > 0)) g = ensureGroup(g, part, file);
  return g;
}

export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

function typedName(v: unknown): string | undefined {
  return ArrayBuffer.isView(v) ? v.constructor.name : undefined;
}

function checkElement(v: unknown, dtype: NumericDtype, where: Where, index: string): number | bigint {
  const at = `${where.path}${index}`;
  if (typeof v === 'bigint') {
    if (dtype !== 'int64') throw new DataValueError(where.file, at, `${v}n`, `a bigint can only be stored as int64, not ${dtype}`);
    return v;
  }
  if (dtype === 'float64') {
    if (typeof v !== 'number') throw new DataValueError(where.file, at, v, 'a float64 value must be a number');
    return v;
  }
  if (dtype === 'uint8' && typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw new DataValueError(where.file, at, v, `an ${dtype} value must be a number`);
  if (Number.isNaN(v)) throw new DataValueError(where.file, at, v, `NaN where an integer (${dtype}) is required`);
  if (!Number.isInteger(v)) throw new DataValueError(where.file, at, v, `an integer (${dtype}) is required`);
  const [lo, hi] =
    dtype === 'int32' ? [-2147483648, 2147483647] : dtype === 'uint8' ? [0, 255] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  if (v < lo || v > hi) throw new DataValueError(where.file, at, v, `value outside the ${dtype} range [${lo}, ${hi}]`);
  return v;
}

function allocate(dtype: NumericDtype, n: number): NumericData {
  switch (dtype) {
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'uint8':
      return new Uint8Array(n);
  }
}

function put(out: NumericData, i: number, v: number | bigint): void {
  if (out instanceof BigInt64Array) out[i] = typeof v === 'bigint' ? v : BigInt(v);
  else out[i] = Number(v);
}

/**
 * Validates and flattens numeric input (scalar, nested arrays or a typed array) into
 * a typed array of `dtype` plus its shape. Ragged arrays, non-numbers, NaN or
 * non-integers where an integer is required raise a DataValueError naming the index.
 */
export function toNumeric(
  input: unknown,
  dtype: NumericDtype,
  where: Where,
  shape?: readonly number[],
): { data: NumericData; shape: number[] } {
  if (ArrayBuffer.isView(input) && !(input instanceof DataView)) {
    const arr = input as unknown as ArrayLike<number | bigint>;
    const n = arr.length;
    const sh = shape ? [...shape] : [n];
    checkShape(sh, n, where);
    const out = allocate(dtype, n);
    const direct =
      (dtype === 'float64' && input instanceof Float64Array) ||
      (dtype === 'int32' && input instanceof Int32Array) ||
      (dtype === 'int64' && input instanceof BigInt64Array) ||
      (dtype === 'uint8' && input instanceof Uint8Array);
    if (direct) {
      (out as Float64Array).set(input as unknown as Float64Array);
    } else {
      if (input instanceof BigInt64Array || input instanceof BigUint64Array) {
        if (dtype !== 'int64') throw new DataValueError(where.file, where.path, typedName(input), `a ${typedName(input)} can only be stored as int64, not ${dtype}`);
      }
      for (let i = 0; i < n; i++) put(out, i, checkElement(arr[i], dtype, where, `[${i}]`));
    }
    return { data: out, shape: sh };
  }
  if (!Array.isArray(input)) {
    if (shape && shape.length > 0) throw new DataValueError(where.file, where.path, input, `an array of shape [${shape.join(', ')}] is required`);
    const out = allocate(dtype, 1);
    put(out, 0, checkElement(input, dtype, where, ''));
    return { data: out, shape: [] };
  }
  // Nested arrays: the shape is taken from the first element at each level and every element must match it.
  const inferred: number[] = [];
  let probe: unknown = input;
  while (Array.isArray(probe)) {
    inferred.push(probe.length);
    probe = probe.length > 0 ? probe[0] : undefined;
  }
  const n = inferred.reduce((a, b) => a * b, 1);
  const out = allocate(dtype, n);
  let k = 0;
  const walk = (v: unknown, depth: number, index: string): void => {
    if (depth === inferred.length) {
      if (Array.isArray(v)) throw new DataValueError(where.file, `${where.path}${index}`, v, `ragged array: a scalar is required at depth ${depth}`);
      put(out, k++, checkElement(v, dtype, where, index));
      return;
    }
    if (!Array.isArray(v) || v.length !== inferred[depth]) {
      throw new DataValueError(
        where.file,
        `${where.path}${index}`,
        Array.isArray(v) ? `array of length ${v.length}` : v,
        `ragged array: an array of length ${inferred[depth]} is required`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${index}[${i}]`);
  };
  walk(input, 0, '');
  const sh = shape ? [...shape] : inferred;
  checkShape(sh, n, where);
  return { data: out, shape: sh };
}

function checkShape(shape: readonly number[], n: number, where: Where): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new DataValueError(where.file, where.path, shape, 'a shape must be a list of non-negative integers');
  }
  const m = shape.reduce((a, b) => a * b, 1);
  if (m !== n) throw new DataValueError(where.file, where.path, shape, `shape holds ${m} elements but the data has ${n}`);
}

/** Chunk shape of at most ~1 MiB for compressed datasets. */
function chunksFor(shape: readonly number[], itemSize: number): number[] {
  const chunks = [...shape];
  let bytes = chunks.reduce((a, b) => a * b, itemSize);
  for (let i = 0; bytes > 1 << 20 && i < chunks.length; ) {
    if (chunks[i] > 1) {
      chunks[i] = Math.ceil(chunks[i] / 2);
      bytes = chunks.reduce((a, b) => a * b, itemSize);
    } else i++;
  }
  return chunks;
}

export interface WriteOptions {
  /** Deflate-compress (default: when the dataset has 4096 elements or more). */
  readonly compress?: boolean;
}

function wantCompression(shape: readonly number[], opts: WriteOptions | undefined): boolean {
  const n = shape.reduce((a, b) => a * b, 1);
  return shape.length > 0 && shape.every((d) => d > 0) && (opts?.compress ?? n >= 4096);
}

/** Writes a numeric dataset with an explicit type, then checks the HDF5 type that was stored. */
export function writeNumeric(
  group: Group,
  name: string,
  input: unknown,
  dtype: NumericDtype,
  file: string,
  shape?: readonly number[],
  opts?: WriteOptions,
): Dataset {
  const path = joinPath(group.path, name);
  const where = { file, path };
  checkLinkName(name, where);
  if (hasChild(group, name)) throw new DataValueError(file, path, name, 'a dataset or group of this name exists already');
  const { data, shape: sh } = toNumeric(input, dtype, where, shape);
  const compress = wantCompression(sh, opts);
  const extra = compress ? { chunks: chunksFor(sh, DTYPE_META[dtype].size), compression: 6 } : {};
  group.create_dataset({ name, data, shape: sh, dtype: DTYPE_STRING[dtype], ...extra });
  return checkWritten(group, name, dtype, file);
}

function checkWritten(group: Group, name: string, dtype: NumericDtype, file: string): Dataset {
  const path = joinPath(group.path, name);
  const ds = hasChild(group, name) ? group.get(name) : null;
  if (!isDataset(ds)) throw new DataFileError(file, 'HDF5 did not create the dataset', path);
  const m = ds.metadata;
  const want = DTYPE_META[dtype];
  if (m.type !== want.type || m.size !== want.size || (m.type === H5T_INTEGER && m.signed !== want.signed)) {
    throw new DataFileError(file, `HDF5 stored type ${describeMeta(m)} instead of ${dtype}`, path);
  }
  return ds;
}

/**
 * Writes a string dataset. Fixed-length strings (`fixed`) suit long arrays of
 * similar strings (paths, timestamps, checksums) and compress well; otherwise
 * variable-length UTF-8.
 */
export function writeStrings(
  group: Group,
  name: string,
  input: readonly string[],
  file: string,
  options: { shape?: readonly number[]; fixed?: boolean; compress?: boolean } = {},
): Dataset {
  const path = joinPath(group.path, name);
  checkLinkName(name, { file, path });
  if (hasChild(group, name)) throw new DataValueError(file, path, name, 'a dataset or group of this name exists already');
  const bad = input.findIndex((s) => typeof s !== 'string');
  if (bad >= 0) throw new DataValueError(file, `${path}[${bad}]`, input[bad], 'a string is required');
  const sh = options.shape ? [...options.shape] : [input.length];
  checkShape(sh, input.length, { file, path });
  let dtype = 'S';
  if (options.fixed) {
    const maxLen = input.reduce((m, s) => Math.max(m, Buffer.byteLength(s, 'utf8')), 1);
    dtype = `S${maxLen}`;
  }
  const compress = options.fixed === true && wantCompression(sh, options);
  const extra = compress ? { chunks: chunksFor(sh, Number(dtype.slice(1))), compression: 6 } : {};
  group.create_dataset({ name, data: [...input], shape: sh, dtype, ...extra });
  const ds = hasChild(group, name) ? group.get(name) : null;
  if (!isDataset(ds) || ds.metadata.type !== H5T_STRING) {
    throw new DataFileError(file, 'HDF5 did not create the string dataset', path);
  }
  return ds;
}

function describeMeta(m: { type: number; size: number; signed: boolean; vlen?: boolean }): string {
  if (m.type === H5T_FLOAT) return `float${m.size * 8}`;
  if (m.type === H5T_INTEGER) return `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
  if (m.type === H5T_STRING) return m.vlen ? 'string' : `string${m.size}`;
  return `HDF5 class ${m.type}`;
}

type AttrTarget = Group | Dataset;

interface PreparedAttr {
  data: string | string[] | NumericData;
  dtype: string;
  shape: number[] | null;
}

function prepareAttr(value: unknown, file: string, path: string): PreparedAttr {
  if (typeof value === 'string') return { data: value, dtype: 'S', shape: null };
  if (typeof value === 'number' || typeof value === 'boolean') {
    const dt: NumericDtype = typeof value === 'boolean' ? 'uint8' : 'float64';
    return { data: toNumeric(value, dt, { file, path }).data, dtype: DTYPE_STRING[dt], shape: [] };
  }
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return { data: [...(value as string[])], dtype: 'S', shape: [value.length] };
  }
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    const dt: NumericDtype =
      value instanceof Int32Array ? 'int32' : value instanceof BigInt64Array ? 'int64' : value instanceof Uint8Array ? 'uint8' : 'float64';
    const n = toNumeric(value, dt, { file, path });
    if (n.shape.length !== 1) throw new DataValueError(file, path, value, 'an attribute array must be one-dimensional');
    if (n.data.length === 0) throw new DataValueError(file, path, value, 'an attribute array must not be empty');
    return { data: n.data, dtype: DTYPE_STRING[dt], shape: [n.data.length] };
  }
  throw new DataValueError(file, path, value, 'an attribute must be a string, number, boolean, or a non-empty array of strings or numbers');
}

/** Checks that a value can be stored as an attribute, without writing it. */
export function checkAttrValue(value: unknown, file: string, path: string): void {
  prepareAttr(value, file, path);
}

/** Sets an attribute (replacing it), with explicit types: numbers float64, booleans uint8, Int32Array int32, strings UTF-8. */
export function setAttr(obj: AttrTarget, name: string, value: AttrValue, file: string): void {
  const path = `${obj.path}@${name}`;
  if (typeof name !== 'string' || name.length === 0) throw new DataValueError(file, path, name, 'an attribute name must be a non-empty string');
  const { data, dtype, shape } = prepareAttr(value, file, path);
  if (Object.prototype.hasOwnProperty.call(obj.attrs, name)) obj.delete_attribute(name);
  obj.create_attribute(name, data, shape, dtype);
  if (!Object.prototype.hasOwnProperty.call(obj.attrs, name)) throw new DataFileError(file, 'HDF5 did not create the attribute', path);
}

/** Sets an integer attribute (int32 when it fits, else int64). */
export function setIntAttr(obj: AttrTarget, name: string, value: number | readonly number[], file: string): void {
  const path = `${obj.path}@${name}`;
  const arr = typeof value === 'number' ? [value] : value;
  const fits = arr.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647);
  const dt: NumericDtype = fits ? 'int32' : 'int64';
  const n = toNumeric(typeof value === 'number' ? value : [...value], dt, { file, path });
  if (typeof value !== 'number' && n.data.length === 0) throw new DataValueError(file, path, value, 'an attribute array must not be empty');
  if (Object.prototype.hasOwnProperty.call(obj.attrs, name)) obj.delete_attribute(name);
  obj.create_attribute(name, n.data, typeof value === 'number' ? [] : [n.data.length], DTYPE_STRING[dt]);
  if (!Object.prototype.hasOwnProperty.call(obj.attrs, name)) throw new DataFileError(file, 'HDF5 did not create the attribute', path);
}

function normalise(v: unknown): AttrRead {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => Number(x));
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return v as string[];
    return v.map((x) => Number(x));
  }
  return String(v);
}

/** All attributes of an object, normalised to numbers and strings. */
export function readAttrs(obj: AttrTarget): Record<string, AttrRead> {
  const out: Record<string, AttrRead> = {};
  for (const [k, a] of Object.entries(obj.attrs)) out[k] = normalise(a.value);
  return out;
}

/** Names of the children of a group, in HDF5 order. */
export function childNames(group: Group): string[] {
  return group.keys();
}

export type DatasetValue = NumericData | Float32Array | string[];

export interface DatasetRead {
  readonly dtype: string;
  readonly shape: number[];
  readonly value: DatasetValue;
}

/** Reads a whole dataset with its type and shape. */
export function readDataset(ds: Dataset): DatasetRead {
  const file = fileOf(ds);
  const m = h5guard(file, () => ds.metadata, ds.path);
  const shape = ds.shape ?? [];
  const dtype = describeMeta(m);
  const raw = h5guard(file, () => ds.value, ds.path, 'the values cannot be read (the file is corrupted)');
  let value: DatasetValue;
  if (m.type === H5T_STRING) {
    const arr = Array.isArray(raw) ? raw : [raw];
    value = arr.map((s) => String(s));
  } else if (ArrayBuffer.isView(raw)) {
    value = raw as DatasetValue;
  } else if (typeof raw === 'number') {
    value = m.type === H5T_FLOAT ? Float64Array.of(raw) : Int32Array.of(raw);
  } else if (typeof raw === 'bigint') {
    value = BigInt64Array.of(raw);
  } else {
    throw new DataFileError(file, `unsupported dataset type ${dtype}`, ds.path);
  }
  return { dtype, shape, value };
}

/** Gets a child object of a group by relative path, or undefined when it does not exist. */
export function getChild(root: Group, rel: string): Group | Dataset | undefined {
  let g: Group = root;
  const parts = rel.split('/').filter((p) => p.length > 0);
  for (let i = 0; i < parts.length; i++) {
    if (!hasChild(g, parts[i])) return undefined;
    const e = g.get(parts[i]);
    if (i === parts.length - 1) return isGroup(e) || isDataset(e) ? e : undefined;
    if (!isGroup(e)) return undefined;
    g = e;
  }
  return g;
}

export function isGroup(e: unknown): e is Group {
  return e instanceof h5wasm.Group;
}

export function isDataset(e: unknown): e is Dataset {
  return e instanceof h5wasm.Dataset;
}
