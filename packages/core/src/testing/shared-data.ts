import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The shared reference data beside the repository (`../shared`: lattices with
 * pyAT references, the Diamond I04 description), or $MLAYER_SHARED. Found from
 * the working directory upwards (the repository root holds lerna.json).
 */
export function sharedDataDir(): string {
  if (process.env.MLAYER_SHARED) return resolve(process.env.MLAYER_SHARED);
  let dir = process.cwd();
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'lerna.json'))) return resolve(dir, '..', 'shared');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve(process.cwd(), '..', 'shared');
}
