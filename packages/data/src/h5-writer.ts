import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { commitTemp, discardTemp, removeDeadTemps, tempPathFor } from './atomic.js';
import { type AxisSpec, type DatasetOptions, DatasetWriter, type NumericInput } from './datasets.js';
import { DataFileError } from './errors.js';
import { type AttrValue, type Group, type H5File, openH5, setAttr } from './h5.js';
import { writeChecksums } from './checksums.js';

export interface CreateOptions {
  /** Replace an existing file at the target path (default false: refuse). */
  readonly overwrite?: boolean;
  /** fsync the file before the rename (default true). */
  readonly durable?: boolean;
}

/**
 * An HDF5 file being written under a temporary name in its target directory;
 * `close()` flushes it and renames it into place, so readers never see a half-written file.
 */
export abstract class H5Writer {
  private closed = false;
  protected readonly data: DatasetWriter;

  protected constructor(
    protected readonly h5: H5File,
    /** Final path of the file. */
    readonly path: string,
    /** Temporary path written until close(). */
    readonly tempPath: string,
    private readonly durable: boolean,
  ) {
    this.data = new DatasetWriter(h5, path);
  }

  protected static async openTemp(path: string, options: CreateOptions = {}): Promise<{ h5: H5File; tmp: string; target: string }> {
    if (typeof path !== 'string' || path.length === 0) throw new DataFileError(String(path), 'a file path is required');
    const target = resolve(path);
    if (!options.overwrite && existsSync(target)) throw new DataFileError(path, 'exists already (pass overwrite: true to replace it)');
    // A writer killed before its rename leaves its temporary file: remove those of dead writers of this file.
    removeDeadTemps(target);
    const tmp = tempPathFor(target);
    const h5 = await openH5(tmp, 'w');
    return { h5, tmp, target };
  }

  /** Writes a numeric dataset under /data with unit, unitSI, unitDimension and axes. */
  writeDataset(path: string, data: NumericInput, opts: DatasetOptions): this {
    this.ensureOpen();
    this.data.writeDataset(path, data, opts);
    return this;
  }

  /** Writes a string dataset under /data. */
  writeStrings(path: string, data: readonly string[], opts: { description?: string; axes?: readonly (AxisSpec | null)[] } = {}): this {
    this.ensureOpen();
    this.data.writeStrings(path, data, opts);
    return this;
  }

  /** Sets an attribute on the root group. */
  setAttribute(name: string, value: AttrValue): this {
    this.ensureOpen();
    setAttr(this.h5, name, value, this.path);
    return this;
  }

  protected get root(): Group {
    this.ensureOpen();
    return this.h5;
  }

  protected ensureOpen(): void {
    if (this.closed) throw new DataFileError(this.path, 'the file is closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the file and renames it atomically into place. Returns the final path. */
  close(): string {
    this.ensureOpen();
    try {
      // Every dataset carries the SHA-256 of its values; readers verify them.
      writeChecksums(this.h5, this.path);
    } catch (e) {
      this.abort();
      throw e;
    }
    this.closed = true;
    const status = this.h5.close();
    if (typeof status === 'number' && status < 0) {
      discardTemp(this.tempPath);
      throw new DataFileError(this.path, 'HDF5 failed to close the file; nothing was written');
    }
    commitTemp(this.tempPath, this.path, this.durable);
    return this.path;
  }

  /** Closes and deletes the temporary file; nothing appears at the target path. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.h5.close();
    } finally {
      discardTemp(this.tempPath);
    }
  }
}

export function durableOf(options: CreateOptions | undefined): boolean {
  return options?.durable ?? true;
}
