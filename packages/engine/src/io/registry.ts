/**
 * Lattice file formats by file extension (pyAT's `register_format`), as an
 * instance: each format registers `load` (and optionally `save`) for an
 * extension; the longest registered extension that ends the file name wins, so
 * `.atjson.json` can be told from `.json`. Extensions are case-insensitive.
 */
import type { Lattice } from '../lattice.js';
import { ConversionLossLog, type ConversionLoss } from './conversion-report.js';
import { LatticeFileError, LatticeFormatCapabilityError, UnknownLatticeFormatError } from './errors.js';

/** Options of a read. */
export interface LatticeReadOptions {
  /**
   * The line to read in a file that defines several (MAD-X sequence or LINE,
   * elegant LINE), case-insensitive. Default: the format's (the file's last
   * USE, else the only or the last line defined). Only for formats with
   * `namedLines`.
   */
  readonly use?: string;
}

/** Options of a write. */
export interface LatticeWriteOptions {
  /** Name of the line or sequence written (formats with `namedLines`; default: the format's). */
  readonly use?: string;
}

/** A lattice read with what the reading could not carry. */
export interface LatticeReadResult {
  readonly lattice: Lattice;
  readonly losses: readonly ConversionLoss[];
}

/** What a write could not carry. */
export interface LatticeWriteResult {
  readonly losses: readonly ConversionLoss[];
}

export interface LatticeFormat {
  /** Reads a lattice file. Errors name the file and the line or element index. */
  readonly load: (path: string, options?: LatticeReadOptions) => Lattice;
  /** Writes a lattice file (absent: the format is read-only, unless `write` is given). */
  readonly save?: (path: string, lattice: Lattice) => void;
  /** Reads with the loss report (absent: `load`, nothing reported lost). */
  readonly read?: (path: string, options?: LatticeReadOptions) => LatticeReadResult;
  /** Writes with the loss report (absent: `save`, nothing reported lost). */
  readonly write?: (path: string, lattice: Lattice, options?: LatticeWriteOptions) => LatticeWriteResult;
  /** The file may define several lines and `use` chooses one (MAD-X, elegant). */
  readonly namedLines?: boolean;
  /** One line for `listFormats` / `cli formats`. */
  readonly description: string;
}

export interface LatticeFormatInfo {
  /** Extension with its leading dot, lowercase: '.m', '.mat', '.json'. */
  readonly extension: string;
  readonly description: string;
  readonly canLoad: true;
  readonly canSave: boolean;
  /** `use` chooses one of several lines of a file. */
  readonly namedLines: boolean;
}

/** Options of a reader or writer that records its losses in a log (elegant, PALS). */
interface LoggingOptions {
  readonly use?: string;
  readonly losses?: ConversionLossLog;
}

/**
 * A format with named lines from a reader and a writer that record what they
 * cannot carry in a ConversionLossLog: `read` and `write` return the log.
 */
export function loggingLatticeFormat(
  load: (path: string, options: LoggingOptions) => Lattice,
  save: (path: string, lattice: Lattice, options: LoggingOptions) => void,
  description: string,
): LatticeFormat {
  return {
    load: (path, options) => load(path, { use: options?.use }),
    read: (path, options) => {
      const losses = new ConversionLossLog();
      const lattice = load(path, { use: options?.use, losses });
      return { lattice, losses: losses.losses };
    },
    write: (path, lattice, options) => {
      const losses = new ConversionLossLog();
      save(path, lattice, { use: options?.use, losses });
      return { losses: losses.losses };
    },
    namedLines: true,
    description,
  };
}

function normalise(ext: string): string {
  const e = ext.trim().toLowerCase();
  if (!/^\.[a-z0-9_.-]+$/.test(e)) throw new TypeError(`lattice format extension must start with a dot: '${ext}'`);
  return e;
}

export class LatticeFormatRegistry {
  private readonly formats = new Map<string, LatticeFormat>();

  /** Registers (or replaces) the format of an extension, e.g. '.m'. */
  registerFormat(extension: string, format: LatticeFormat): void {
    this.formats.set(normalise(extension), format);
  }

  /** The registered extension matching a path (longest suffix), if any. */
  extensionOf(path: string): string | undefined {
    const lower = path.toLowerCase();
    let best: string | undefined;
    for (const ext of this.formats.keys()) if (lower.endsWith(ext) && (best === undefined || ext.length > best.length)) best = ext;
    return best;
  }

  private formatOf(path: string): { ext: string; format: LatticeFormat } {
    const ext = this.extensionOf(path);
    if (ext === undefined) throw new UnknownLatticeFormatError(path, [...this.formats.keys()].sort());
    return { ext, format: this.formats.get(ext) as LatticeFormat };
  }

  private static checkUse(path: string, ext: string, format: LatticeFormat, use: string | undefined): void {
    if (use !== undefined && !format.namedLines) {
      throw new LatticeFileError(path, `a '${ext}' file holds one lattice: a line name (use '${use}') does not apply`);
    }
  }

  /** Loads a lattice, choosing the format from the file extension. */
  loadLattice(path: string, options: LatticeReadOptions = {}): Lattice {
    return this.readLattice(path, options).lattice;
  }

  /** Reads a lattice with its loss report, choosing the format from the file extension. */
  readLattice(path: string, options: LatticeReadOptions = {}): LatticeReadResult {
    const { ext, format } = this.formatOf(path);
    LatticeFormatRegistry.checkUse(path, ext, format, options.use);
    if (format.read) return format.read(path, options);
    return { lattice: format.load(path, options), losses: [] };
  }

  /** Saves a lattice, choosing the format from the file extension. */
  saveLattice(path: string, lattice: Lattice): void {
    this.writeLattice(path, lattice);
  }

  /** Writes a lattice and returns what the format could not carry. */
  writeLattice(path: string, lattice: Lattice, options: LatticeWriteOptions = {}): LatticeWriteResult {
    const { ext, format } = this.formatOf(path);
    LatticeFormatRegistry.checkUse(path, ext, format, options.use);
    if (format.write) return format.write(path, lattice, options);
    if (!format.save) throw new LatticeFormatCapabilityError(path, ext, 'save');
    format.save(path, lattice);
    return { losses: [] };
  }

  /** The registered formats, sorted by extension. */
  listFormats(): LatticeFormatInfo[] {
    return [...this.formats.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([extension, f]) => ({ extension, description: f.description, canLoad: true as const, canSave: f.save !== undefined || f.write !== undefined, namedLines: f.namedLines === true }));
  }
}
