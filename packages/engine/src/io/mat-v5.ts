/**
 * MATLAB Level 5 MAT-file reader and writer (the format of `save -v7` and of
 * scipy.io.savemat), enough for AT lattices: numeric arrays of every class,
 * char, logical, cell arrays and structs, little- or big-endian, with
 * zlib-compressed (miCOMPRESSED) variables. Sparse, complex and object arrays
 * are rejected with an error naming the variable. v7.3 (HDF5) files are
 * recognised and rejected with a clear message.
 *
 * Arrays keep MATLAB's column-major order: element (i, j) of an m x n array is
 * `data[i + j * m]`.
 */
import { inflateSync } from 'node:zlib';
import { MlayerError } from '@mlayer/core';

export type MatValue =
  | { readonly kind: 'numeric'; readonly dims: readonly number[]; readonly data: Float64Array; readonly logical: boolean }
  | { readonly kind: 'char'; readonly dims: readonly number[]; readonly text: string }
  | { readonly kind: 'cell'; readonly dims: readonly number[]; readonly data: readonly MatValue[] }
  | {
      readonly kind: 'struct';
      readonly dims: readonly number[];
      readonly fields: readonly string[];
      readonly data: readonly Readonly<Record<string, MatValue>>[];
    };

/** A structural problem in the file; `path` says where (variable, cell index, field). */
export class MatFormatError extends MlayerError {
  constructor(
    readonly detail: string,
    readonly path: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

const mi = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;

const mx = {
  CELL: 1,
  STRUCT: 2,
  OBJECT: 3,
  CHAR: 4,
  SPARSE: 5,
  DOUBLE: 6,
  SINGLE: 7,
  INT8: 8,
  UINT8: 9,
  INT16: 10,
  UINT16: 11,
  INT32: 12,
  UINT32: 13,
  INT64: 14,
  UINT64: 15,
} as const;

class Reader {
  constructor(
    readonly buf: Buffer,
    readonly le: boolean,
  ) {}

  u32(pos: number): number {
    return this.le ? this.buf.readUInt32LE(pos) : this.buf.readUInt32BE(pos);
  }
  u16(pos: number): number {
    return this.le ? this.buf.readUInt16LE(pos) : this.buf.readUInt16BE(pos);
  }
}

interface Tag {
  readonly type: number;
  readonly nbytes: number;
  /** Start of the data. */
  readonly data: number;
  /** Start of the next element. */
  readonly next: number;
}

function readTag(r: Reader, pos: number, end: number, path: string): Tag {
  if (pos + 8 > end) throw new MatFormatError(`truncated data element at byte ${pos}`, path);
  const w0 = r.u32(pos);
  const small = w0 >>> 16;
  if (small !== 0) {
    // Small data element: 2 bytes size, 2 bytes type, 4 bytes data.
    return { type: w0 & 0xffff, nbytes: small, data: pos + 4, next: pos + 8 };
  }
  const nbytes = r.u32(pos + 4);
  const data = pos + 8;
  if (data + nbytes > end) throw new MatFormatError(`truncated data element at byte ${pos} (needs ${nbytes} bytes, file has ${end - data})`, path);
  const padded = w0 === mi.COMPRESSED ? nbytes : Math.ceil(nbytes / 8) * 8;
  return { type: w0, nbytes, data, next: Math.min(data + padded, end) };
}

const SIZES: Record<number, number> = {
  [mi.INT8]: 1,
  [mi.UINT8]: 1,
  [mi.INT16]: 2,
  [mi.UINT16]: 2,
  [mi.INT32]: 4,
  [mi.UINT32]: 4,
  [mi.SINGLE]: 4,
  [mi.DOUBLE]: 8,
  [mi.INT64]: 8,
  [mi.UINT64]: 8,
};

function readNumbers(r: Reader, t: Tag, path: string): Float64Array {
  const size = SIZES[t.type];
  if (size === undefined) throw new MatFormatError(`unsupported numeric data type ${t.type}`, path);
  const n = Math.floor(t.nbytes / size);
  const out = new Float64Array(n);
  const b = r.buf;
  const le = r.le;
  let p = t.data;
  for (let i = 0; i < n; i++, p += size) {
    switch (t.type) {
      case mi.INT8:
        out[i] = b.readInt8(p);
        break;
      case mi.UINT8:
        out[i] = b[p];
        break;
      case mi.INT16:
        out[i] = le ? b.readInt16LE(p) : b.readInt16BE(p);
        break;
      case mi.UINT16:
        out[i] = le ? b.readUInt16LE(p) : b.readUInt16BE(p);
        break;
      case mi.INT32:
        out[i] = le ? b.readInt32LE(p) : b.readInt32BE(p);
        break;
      case mi.UINT32:
        out[i] = le ? b.readUInt32LE(p) : b.readUInt32BE(p);
        break;
      case mi.SINGLE:
        out[i] = le ? b.readFloatLE(p) : b.readFloatBE(p);
        break;
      case mi.DOUBLE:
        out[i] = le ? b.readDoubleLE(p) : b.readDoubleBE(p);
        break;
      case mi.INT64:
        out[i] = Number(le ? b.readBigInt64LE(p) : b.readBigInt64BE(p));
        break;
      case mi.UINT64:
        out[i] = Number(le ? b.readBigUInt64LE(p) : b.readBigUInt64BE(p));
        break;
    }
  }
  return out;
}

function readText(r: Reader, t: Tag, path: string): string {
  const slice = r.buf.subarray(t.data, t.data + t.nbytes);
  switch (t.type) {
    case mi.INT8:
    case mi.UINT8:
    case mi.UTF8:
      return slice.toString('utf8');
    case mi.UINT16:
    case mi.INT16:
    case mi.UTF16: {
      let s = '';
      for (let p = 0; p + 1 < slice.length; p += 2) s += String.fromCharCode(r.u16(t.data + p));
      return s;
    }
    case mi.UTF32:
    case mi.UINT32:
    case mi.INT32: {
      let s = '';
      for (let p = 0; p + 3 < slice.length; p += 4) s += String.fromCodePoint(r.u32(t.data + p));
      return s;
    }
    default:
      throw new MatFormatError(`unsupported character data type ${t.type}`, path);
  }
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Parses one miMATRIX element body (between data and data + nbytes). */
function readMatrix(r: Reader, start: number, end: number, path: string): { name: string; value: MatValue } {
  if (start === end) return { name: '', value: { kind: 'numeric', dims: [0, 0], data: new Float64Array(0), logical: false } };
  const flagsTag = readTag(r, start, end, path);
  if (flagsTag.type !== mi.UINT32 || flagsTag.nbytes < 8) throw new MatFormatError('bad array flags', path);
  const flags = r.u32(flagsTag.data);
  const cls = flags & 0xff;
  const complex = (flags & 0x0800) !== 0;
  const logical = (flags & 0x0200) !== 0;
  const dimsTag = readTag(r, flagsTag.next, end, path);
  const dims = Array.from(readNumbers(r, dimsTag, path));
  const nameTag = readTag(r, dimsTag.next, end, path);
  const name = readText(r, nameTag, path);
  const here = path || name;
  let pos = nameTag.next;
  const n = product(dims);
  switch (cls) {
    case mx.CELL: {
      const data: MatValue[] = [];
      for (let i = 0; i < n; i++) {
        const t = readTag(r, pos, end, `${here}{${i + 1}}`);
        if (t.type !== mi.MATRIX) throw new MatFormatError(`cell ${i + 1} is not an array (type ${t.type})`, here);
        data.push(readMatrix(r, t.data, t.data + t.nbytes, `${here}{${i + 1}}`).value);
        pos = t.next;
      }
      return { name, value: { kind: 'cell', dims, data } };
    }
    case mx.STRUCT:
    case mx.OBJECT: {
      if (cls === mx.OBJECT) {
        const ct = readTag(r, pos, end, here);
        pos = ct.next;
      }
      const lenTag = readTag(r, pos, end, here);
      const fieldLen = r.u32(lenTag.data);
      const namesTag = readTag(r, lenTag.next, end, here);
      pos = namesTag.next;
      const fields: string[] = [];
      if (fieldLen > 0) {
        for (let p = 0; p + fieldLen <= namesTag.nbytes; p += fieldLen) {
          const raw = r.buf.subarray(namesTag.data + p, namesTag.data + p + fieldLen);
          const z = raw.indexOf(0);
          fields.push(raw.subarray(0, z < 0 ? raw.length : z).toString('utf8'));
        }
      }
      const data: Record<string, MatValue>[] = [];
      for (let i = 0; i < n; i++) {
        const rec: Record<string, MatValue> = {};
        for (const f of fields) {
          const fp = n === 1 ? `${here}.${f}` : `${here}(${i + 1}).${f}`;
          const t = readTag(r, pos, end, fp);
          if (t.type !== mi.MATRIX) throw new MatFormatError(`field is not an array (type ${t.type})`, fp);
          rec[f] = readMatrix(r, t.data, t.data + t.nbytes, fp).value;
          pos = t.next;
        }
        data.push(rec);
      }
      return { name, value: { kind: 'struct', dims, fields, data } };
    }
    case mx.CHAR: {
      if (n === 0) return { name, value: { kind: 'char', dims, text: '' } };
      const t = readTag(r, pos, end, here);
      const raw = readText(r, t, here);
      // Column-major char matrix: keep the rows joined by newlines.
      const rows = dims[0] ?? 1;
      const cols = n / rows;
      let text = raw;
      if (rows > 1) {
        const lines: string[] = [];
        for (let i = 0; i < rows; i++) {
          let s = '';
          for (let j = 0; j < cols; j++) s += raw[i + j * rows] ?? '';
          lines.push(s);
        }
        text = lines.join('\n');
      }
      return { name, value: { kind: 'char', dims, text } };
    }
    case mx.SPARSE:
      throw new MatFormatError('sparse arrays are not supported', here);
    default: {
      if (cls < mx.DOUBLE || cls > mx.UINT64) throw new MatFormatError(`unsupported array class ${cls}`, here);
      if (complex) throw new MatFormatError('complex arrays are not supported', here);
      if (n === 0) return { name, value: { kind: 'numeric', dims, data: new Float64Array(0), logical } };
      const t = readTag(r, pos, end, here);
      const data = readNumbers(r, t, here);
      if (data.length !== n) throw new MatFormatError(`expected ${n} values, found ${data.length}`, here);
      return { name, value: { kind: 'numeric', dims, data, logical } };
    }
  }
}

/** Reads all variables of a Level 5 MAT-file, in file order. */
export function readMat5(buf: Buffer): Map<string, MatValue> {
  if (buf.length < 128) throw new MatFormatError(`file too short for a MAT-file header (${buf.length} bytes)`, '');
  const head = buf.subarray(0, 116).toString('latin1');
  if (head.startsWith('MATLAB 7.3') || buf.subarray(512, 516).toString('latin1') === '\x89HDF') {
    throw new MatFormatError('MATLAB v7.3 (HDF5) MAT-files are not supported; save with -v7', '');
  }
  const endian = buf.subarray(126, 128).toString('latin1');
  if (endian !== 'IM' && endian !== 'MI') throw new MatFormatError('not a MATLAB Level 5 MAT-file (no endian indicator)', '');
  const le = endian === 'IM';
  const out = new Map<string, MatValue>();
  let pos = 128;
  const top = new Reader(buf, le);
  while (pos < buf.length) {
    if (buf.length - pos < 8) break; // trailing padding
    const t = readTag(top, pos, buf.length, `variable ${out.size + 1}`);
    if (t.type === mi.COMPRESSED) {
      let inner: Buffer;
      try {
        inner = inflateSync(buf.subarray(t.data, t.data + t.nbytes));
      } catch (e) {
        throw new MatFormatError(`cannot decompress variable ${out.size + 1}: ${(e as Error).message}`, '');
      }
      const r = new Reader(inner, le);
      const it = readTag(r, 0, inner.length, `variable ${out.size + 1}`);
      if (it.type !== mi.MATRIX) throw new MatFormatError(`compressed variable is not an array (type ${it.type})`, '');
      const { name, value } = readMatrix(r, it.data, it.data + it.nbytes, '');
      out.set(name, value);
    } else if (t.type === mi.MATRIX) {
      const { name, value } = readMatrix(top, t.data, t.data + t.nbytes, '');
      out.set(name, value);
    } else {
      throw new MatFormatError(`unexpected top-level data type ${t.type} at byte ${pos}`, '');
    }
    pos = t.next;
  }
  return out;
}

// ---------------------------------------------------------------- writer

class Writer {
  private chunks: Buffer[] = [];
  push(b: Buffer): void {
    this.chunks.push(b);
  }
  result(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function element(type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(payload.length, 4);
  const padded = Buffer.alloc(pad8(payload.length));
  payload.copy(padded);
  return Buffer.concat([head, padded]);
}

function u32s(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  return b;
}

function i32s(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

function matrix(cls: number, dims: readonly number[], name: string, body: Buffer[], logical = false): Buffer {
  const flags = element(mi.UINT32, u32s([cls | (logical ? 0x0200 : 0), 0]));
  const d = element(mi.INT32, i32s(dims));
  const nm = element(mi.INT8, Buffer.from(name, 'utf8'));
  return element(mi.MATRIX, Buffer.concat([flags, d, nm, ...body]));
}

function encode(v: MatValue, name: string): Buffer {
  switch (v.kind) {
    case 'numeric': {
      const b = Buffer.alloc(v.data.length * 8);
      v.data.forEach((x, i) => b.writeDoubleLE(x, i * 8));
      return matrix(mx.DOUBLE, v.dims, name, v.data.length ? [element(mi.DOUBLE, b)] : [], v.logical);
    }
    case 'char': {
      const b = Buffer.alloc(v.text.length * 2);
      for (let i = 0; i < v.text.length; i++) b.writeUInt16LE(v.text.charCodeAt(i), i * 2);
      return matrix(mx.CHAR, v.dims, name, v.text.length ? [element(mi.UINT16, b)] : []);
    }
    case 'cell':
      return matrix(mx.CELL, v.dims, name, v.data.map((c) => encode(c, '')));
    case 'struct': {
      const len = Math.max(...v.fields.map((f) => Buffer.byteLength(f, 'utf8')), 0) + 1;
      const names = Buffer.alloc(len * v.fields.length);
      v.fields.forEach((f, i) => names.write(f, i * len, 'utf8'));
      const lenEl = Buffer.alloc(8);
      lenEl.writeUInt16LE(4, 0);
      lenEl.writeUInt16LE(mi.INT32, 2);
      lenEl.writeInt32LE(len, 4);
      const body: Buffer[] = [lenEl, element(mi.INT8, names)];
      for (const rec of v.data) for (const f of v.fields) body.push(encode(rec[f] ?? emptyDouble(), ''));
      return matrix(mx.STRUCT, v.dims, name, body);
    }
  }
}

function emptyDouble(): MatValue {
  return { kind: 'numeric', dims: [0, 0], data: new Float64Array(0), logical: false };
}

/** Writes a Level 5 MAT-file (uncompressed, little-endian) holding the given variables. */
export function writeMat5(vars: ReadonlyMap<string, MatValue>, description = 'mlayer'): Buffer {
  const w = new Writer();
  const header = Buffer.alloc(128, 0x20);
  header.write(`MATLAB 5.0 MAT-file, Platform: nodejs, Created by: ${description}, on: ${new Date().toUTCString()}`.slice(0, 116), 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  w.push(header);
  for (const [name, v] of vars) w.push(encode(v, name));
  return w.result();
}
