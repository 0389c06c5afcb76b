import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { processAlive } from '@mlayer/core';
import { DataFileError } from './errors.js';

const TMP_MARK = '.tmp-';

/** A temporary name next to `target` (same directory, so that rename is atomic). */
export function tempPathFor(target: string): string {
  const dir = dirname(target);
  if (!existsSync(dir)) throw new DataFileError(target, `cannot create the file: directory '${dir}' does not exist`);
  return join(dir, `.${basename(target)}${TMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** True for names made by {@link tempPathFor}. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.includes(TMP_MARK);
}

/** Flushes `tmp` to disk and renames it onto `target` (atomic on POSIX file systems). */
export function commitTemp(tmp: string, target: string, durable = true): void {
  try {
    if (durable) {
      const fd = openSync(tmp, 'r+');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(tmp, target);
  } catch (cause) {
    throw new DataFileError(target, `could not move the finished file into place from '${tmp}'`, undefined, { cause });
  }
}

/** Removes a temporary file, ignoring a missing one. */
export function discardTemp(tmp: string): void {
  rmSync(tmp, { force: true });
}

/** Removes leftover temporary files (from killed writers) in a directory. Returns their names. */
export function removeStaleTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter(isTempName);
  for (const name of stale) rmSync(join(dir, name), { force: true });
  return stale;
}


/**
 * Removes the temporary files that writers of `target` left when they were killed
 * (their process no longer exists): a `.orm.h5.tmp-<pid>-<hex>` never outlives the
 * next write of the same file. Returns the names removed.
 */
export function removeDeadTemps(target: string): string[] {
  const dir = dirname(target);
  if (!existsSync(dir)) return [];
  const prefix = `.${basename(target)}${TMP_MARK}`;
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
