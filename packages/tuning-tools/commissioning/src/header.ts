import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type Accelerator } from '@mlayer/core';
import { sha256File, sha256Of } from '@mlayer/data';
import { parse } from 'yaml';
import { CommissioningError } from './errors.js';
import type { SeedHeader } from './records.js';
import type { Sequence } from './sequence.js';

let version: string | undefined;
/** This package's version. */
export function commissioningVersion(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version ?? 'unknown');
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/** The header of every record of a seed: sequence, error set, seed, facility and lattice hashes, software versions. */
export function seedHeader(acc: Accelerator, sequence: Sequence, seed: number, errorsFile?: string): SeedHeader {
  let errorSet: SeedHeader['errorSet'];
  if (errorsFile) {
    let text: string;
    try {
      text = readFileSync(errorsFile, 'utf8');
    } catch (e) {
      throw new CommissioningError(`error set ${errorsFile}: cannot be read (${(e as Error).message})`, { cause: e });
    }
    errorSet = { file: basename(errorsFile), sha256: sha256Of(text), content: parse(text) as unknown };
  }
  const ref = acc.facility.config.lattice;
  const lattice = ref ? { file: basename(ref.file), sha256: sha256File(acc.facility.resolvePath(ref.file)) } : undefined;
  return {
    seed,
    sequence: { name: sequence.name, sha256: sequence.sha256, text: sequence.text },
    errorSet,
    facility: { name: acc.facility.config.name, sha256: acc.facility.sha256 },
    lattice,
    software: { '@mlayer/commissioning': commissioningVersion(), node: process.versions.node },
  };
}
