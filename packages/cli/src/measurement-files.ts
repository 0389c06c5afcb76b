/**
 * Where a command writes a measurement: files named by kind and UTC time
 * (`orm-20261205T174012Z.h5`) in the facility's data folder or the folder of `-o`,
 * never over an existing file; `-o` naming a file (`-o scan.h5`) writes that file,
 * and replaces it only with `--force`. Plots go alongside, named after the file
 * (`orm-20261205T174012Z-x.svg`).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { MlayerError, facilityTools, type LoadedFacility } from '@mlayer/core';
import { freeFileName } from '@mlayer/data';

export { timeStamp } from '@mlayer/data';

export interface MeasurementTarget {
  /** The file to write. */
  readonly file: string;
  /** The file without its extension: plots are `<base>-x.svg`, ... */
  readonly base: string;
  /** The folder of the file (made when the file is written: a refused command makes nothing). */
  readonly dir: string;
  /** The file name without folder and extension (`orm-20261205T174012Z`). */
  readonly tag: string;
  /** True only when `--force` replaces an existing file named by `-o`. */
  readonly overwrite: boolean;
}

export interface TargetOptions {
  /** `-o`: a folder, or a file name with the measurement's extension. */
  readonly out?: string;
  readonly force?: boolean;
  /** Data folder when there is no `-o` (the facility's tools.dataDir, else ./out). */
  readonly dataDir: string;
  /** Extension of the file, with its dot (default '.h5'). */
  readonly ext?: string;
  readonly now?: Date;
}

/** The folder a command writes to without `-o`: the facility's data folder (tools.dataDir), else ./out. */
export function dataDirOf(facility: LoadedFacility): string {
  return facilityTools(facility).dataDir;
}

/**
 * The file a measurement of `kind` goes to. A name taken already (two runs in one second)
 * gets `-2`, `-3`, ...; an existing file named by `-o` is refused unless `force`.
 */
export function measurementTarget(kind: string, o: TargetOptions): MeasurementTarget {
  const ext = o.ext ?? '.h5';
  if (o.out !== undefined && extname(o.out).toLowerCase() === ext && !(existsSync(o.out) && statSync(o.out).isDirectory())) {
    const file = resolve(o.out);
    if (existsSync(file) && !o.force) throw new MlayerError(`${file} exists: a measurement is never written over another; give another name, a folder, or --force to replace it (nothing was measured)`);
    return { file, base: file.slice(0, -ext.length), dir: dirname(file), tag: basename(file, ext), overwrite: existsSync(file) };
  }
  const dir = resolve(o.out ?? o.dataDir);
  const { file, tag } = freeFileName(dir, kind, ext, o.now);
  return { file, base: join(dir, tag), dir, tag, overwrite: false };
}

/**
 * The target when the file is about to be written: its folder made (measurementTarget makes
 * nothing, so that a refused command leaves nothing behind), and a new name should the chosen
 * one have been taken meanwhile (a run in the same second): a measurement is never lost.
 */
export function readyTarget(t: MeasurementTarget): MeasurementTarget {
  mkdirSync(t.dir, { recursive: true });
  if (t.overwrite || !existsSync(t.file)) return t;
  const kind = t.tag.replace(/-\d{8}T\d{6}Z(-\d+)?$/, '');
  return measurementTarget(kind, { out: t.dir, dataDir: t.dir, ext: t.file.slice(t.base.length) });
}

/** A folder of its own for a measurement that writes several files (a chromaticity scan): `<kind>-<time>`, never one that exists (call it when the measurement starts: it makes the data folder). */
export function measurementDir(kind: string, o: TargetOptions): string {
  const root = resolve(o.out ?? o.dataDir);
  // The scan makes its own folder, in a parent that must exist: the data folder is made here.
  mkdirSync(root, { recursive: true });
  return freeFileName(root, kind, '', o.now).file;
}
