/**
 * Lattice file formats by file extension (pyAT's `register_format`), as an
 * instance: each format registers `load` (and optionally `save`) for an
 * extension; the longest registered extension that ends the file name wins, so
 * `.atjson.json` can be told from `.json`. Extensions are case-insensitive.
 */
import type { Lattice } from '../lattice.js';
import { LatticeFormatCapabilityError, UnknownLatticeFormatError } from './errors.js';

export interface LatticeFormat {
  /** Reads a lattice file. Errors name the file and the line or element index. */
  readonly load: (path: string) => Lattice;
  /** Writes a lattice file (absent: the format is read-only). */
  readonly save?: (path: string, lattice: Lattice) => void;
  /** One line for `listFormats` / `cli formats`. */
  readonly description: string;
}

export interface LatticeFormatInfo {
  /** Extension with its leading dot, lowercase: '.m', '.mat', '.json'. */
  readonly extension: string;
  readonly description: string;
  readonly canLoad: true;
  readonly canSave: boolean;
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

  /** Loads a lattice, choosing the format from the file extension. */
  loadLattice(path: string): Lattice {
    return this.formatOf(path).format.load(path);
  }

  /** Saves a lattice, choosing the format from the file extension. */
  saveLattice(path: string, lattice: Lattice): void {
    const { ext, format } = this.formatOf(path);
    if (!format.save) throw new LatticeFormatCapabilityError(path, ext, 'save');
    format.save(path, lattice);
  }

  /** The registered formats, sorted by extension. */
  listFormats(): LatticeFormatInfo[] {
    return [...this.formats.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([extension, f]) => ({ extension, description: f.description, canLoad: true as const, canSave: f.save !== undefined }));
  }
}
