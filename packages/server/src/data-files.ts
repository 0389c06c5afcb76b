/**
 * The measurement files of the data folder (HDF5, plots, JSON; one level of sub-folders):
 * listed and read for HTTP (`/files`) and the WebSocket (`files`, `file-read`). A path never
 * leaves the folder.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { MlayerError } from '@mlayer/core';

/** Measurement files: the files kept in the data folder. */
export const DATA_FILE = /\.(h5|svg|png|json)$/i;

export interface DataFileEntry {
  readonly name: string;
  readonly size: number;
  readonly modified: string;
}

/** A path under root, or undefined when the (URL-encoded) path would leave it. */
export function inside(root: string, urlPath: string, encoded = true): string | undefined {
  let decoded: string;
  try {
    decoded = encoded ? decodeURIComponent(urlPath) : urlPath;
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const abs = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  const rel = relative(root, abs);
  return rel.startsWith('..') || rel.startsWith(sep) ? undefined : abs;
}

export function listData(dir: string | undefined): DataFileEntry[] {
  const out: DataFileEntry[] = [];
  if (!dir || !existsSync(dir)) return out;
  const walk = (sub: string, depth: number): void => {
    for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory() && depth < 1) walk(rel, depth + 1);
      else if (e.isFile() && DATA_FILE.test(e.name)) {
        const st = statSync(join(dir, rel));
        out.push({ name: rel, size: st.size, modified: st.mtime.toISOString() });
      }
    }
  };
  walk('', 0);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The measurement file `name` (as listData names it) of the data folder, or undefined. */
export function dataFile(dir: string | undefined, name: string, encoded = false): string | undefined {
  const file = dir ? inside(dir, name, encoded) : undefined;
  return file && DATA_FILE.test(file) && existsSync(file) && statSync(file).isFile() ? file : undefined;
}

export interface FileChunk {
  readonly size: number;
  readonly offset: number;
  readonly bytes: number;
  readonly b64: string;
  readonly eof: boolean;
  readonly sha256?: string;
}

/** Reads `length` bytes of a measurement file from `offset` (the file's SHA-256 with the first chunk). */
export function readChunk(dir: string | undefined, name: string, offset: number, length: number): FileChunk {
  const file = dataFile(dir, name);
  if (!file) throw new MlayerError(`file-read: no measurement file '${name}' in the data folder${dir ? ` ${dir}` : ''}`);
  const size = statSync(file).size;
  if (offset > size) throw new MlayerError(`file-read ${name}: offset ${offset} is past the end (${size} bytes)`);
  const buf = Buffer.alloc(Math.min(length, size - offset));
  const fd = openSync(file, 'r');
  try {
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  const sha256 = offset === 0 ? createHash('sha256').update(readFileSync(file)).digest('hex') : undefined;
  return { size, offset, bytes: buf.length, b64: buf.toString('base64'), eof: offset + buf.length >= size, ...(sha256 ? { sha256 } : {}) };
}
