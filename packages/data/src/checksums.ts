/**
 * Checksums of the datasets of a file: each dataset carries `@sha256`, the SHA-256
 * of its values as written, so a reader finds a corrupted block (HDF5 may read
 * a damaged chunk as zeros without failing) instead of computing with it.
 */
import { createHash } from 'node:crypto';
import { DataFileError } from './errors.js';
import { type Dataset, type Group, childNames, isDataset, isGroup, readDataset, setAttr } from './h5.js';

/** Name of the attribute that holds a dataset's checksum. */
export const CHECKSUM_ATTR = 'sha256';
/**
 * Root attribute of a file written with checksums (its value names the scheme): in such a
 * file a dataset without a checksum was not written so (a block replaced afterwards), and
 * is refused like a corrupted one. Files of older versions have neither.
 */
export const CHECKSUMS_MARKER_ATTR = 'checksums';
const SCHEME = 'sha256-v1';

/** SHA-256 of a dataset's values: type, shape and the bytes (numbers) or UTF-8 JSON (strings). */
export function datasetChecksum(ds: Dataset): string {
  const { dtype, shape, value } = readDataset(ds);
  const h = createHash('sha256').update(`${dtype}[${shape.join(',')}]`);
  if (Array.isArray(value)) h.update(JSON.stringify(value));
  else h.update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  return h.digest('hex');
}

function eachDataset(g: Group, visit: (ds: Dataset, path: string) => void): void {
  for (const name of childNames(g)) {
    const e = g.get(name);
    if (isGroup(e)) eachDataset(e, visit);
    else if (isDataset(e)) visit(e, e.path);
  }
}

/** Stores the checksum of every dataset of the file (before it is closed). */
export function writeChecksums(root: Group, file: string): void {
  eachDataset(root, (ds) => setAttr(ds, CHECKSUM_ATTR, datasetChecksum(ds), file));
  setAttr(root, CHECKSUMS_MARKER_ATTR, SCHEME, file);
}

/**
 * Verifies every dataset that carries a checksum; throws DataFileError naming the
 * first dataset whose values differ (the file is corrupted). Returns how many
 * datasets were verified and how many carry no checksum (files of older versions; in a
 * file marked as written with checksums, a dataset without one is an error).
 */
export function verifyChecksums(root: Group, file: string): { verified: number; unchecked: number } {
  let verified = 0;
  let unchecked = 0;
  const marked = root.attrs[CHECKSUMS_MARKER_ATTR]?.value === SCHEME;
  eachDataset(root, (ds, path) => {
    const attr = ds.attrs[CHECKSUM_ATTR];
    const want = attr?.value;
    if (typeof want !== 'string') {
      if (marked) throw new DataFileError(file, `no checksum, although the file was written with checksums (${SCHEME}): the dataset was replaced after writing`, path);
      unchecked++;
      return;
    }
    if (datasetChecksum(ds) !== want) {
      throw new DataFileError(file, 'the values read differ from those written (SHA-256 mismatch): the file is corrupted', path);
    }
    verified++;
  });
  return { verified, unchecked };
}
