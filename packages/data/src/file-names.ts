/**
 * Names of measurement files: `<kind>-<UTC time><ext>` (`orm-20261205T174012Z.h5`: sorts in
 * time order, no ':' for any file system), `-2`, `-3`, ... when the name is taken (two runs in
 * one second). Shared by the CLI's data folder and the server's, so both name files alike.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** UTC time to the second, as `20261205T174012Z`. */
export function timeStamp(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** The first free `<kind>-<time>[-k]<ext>` in `dir` (nothing is made): the path and the name without the extension. */
export function freeFileName(dir: string, kind: string, ext = '.h5', now?: Date): { file: string; tag: string } {
  const stamp = `${kind}-${timeStamp(now)}`;
  for (let k = 1; ; k++) {
    const tag = k === 1 ? stamp : `${stamp}-${k}`;
    const file = join(dir, `${tag}${ext}`);
    if (!existsSync(file)) return { file, tag };
  }
}
