import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { MlayerError } from '../errors.js';

/**
 * Resolves `--facility`: a facility file (.yaml/.yml/.json), a facility package
 * directory (package.json with `"mlayer": { "facility": "facility.yaml" }`), or
 * an installed facility package name.
 */
export function resolveFacilityPath(target: string): string {
  const asPath = resolve(target);
  if (existsSync(asPath)) {
    if (statSync(asPath).isDirectory()) return facilityInPackage(asPath);
    return asPath;
  }
  if (!target.startsWith('.') && !target.startsWith('/')) {
    try {
      const require = createRequire(import.meta.url);
      return facilityInPackage(dirname(require.resolve(`${target}/package.json`)));
    } catch {
      /* fall through to the error below */
    }
  }
  throw new MlayerError(`facility '${target}' not found: give a facility file, a facility package directory or an installed facility package name`);
}

function facilityInPackage(dir: string): string {
  const pkgFile = join(dir, 'package.json');
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { mlayer?: { facility?: string } };
    if (pkg.mlayer?.facility) return join(dir, pkg.mlayer.facility);
  }
  for (const name of ['facility.yaml', 'facility.yml', 'facility.json']) if (existsSync(join(dir, name))) return join(dir, name);
  throw new MlayerError(`${dir}: not a facility package (no package.json "mlayer.facility" and no facility.yaml)`);
}
