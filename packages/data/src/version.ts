import { readFileSync } from 'node:fs';

/** Software name written into data files. */
export const SOFTWARE_NAME = 'mlayer';

let cached: string | undefined;

/** Version of @mlayer/core, read from its package.json (works from src/ and dist/). */
export function softwareVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  }
  return cached;
}

/** openPMD standard version written into every file. */
export const OPENPMD_VERSION = '2.0.0';
/** openPMD extension of mlayer measurement files (and of the data part of scan point files). */
export const MEASUREMENT_EXTENSION = 'mlayer_Measurement;1';
/** openPMD extension of parameter scans (seed document EXT_XSuite_Scans). */
export const SCAN_EXTENSION = 'XSuite_Scans;1';
