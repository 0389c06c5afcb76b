import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MlayerError, type DigitalTwin } from '@mlayer/core';

// yaml is required on first use (as core's source-map.ts does): the twin is loaded by every
// command on it, and importing yaml costs about 0.1 CPU-second of each start.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);

/** A faults file: a YAML/JSON list of faults, or a mapping with `faults:` (fault-spec.ts; the twin checks each). */
export function readFaultsFile(file: string): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MlayerError(`${file}: ${(e as Error).message}`, { cause: e });
  }
  const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null && Array.isArray((doc as { faults?: unknown }).faults) ? (doc as { faults: unknown[] }).faults : undefined;
  if (!list) throw new MlayerError(`${file}: not a faults file (a YAML list of faults, or a mapping with a faults list)`);
  list.forEach((f, i) => {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new MlayerError(`${file}: faults[${i}]: not a mapping ({ kind, family, device, start | after, ... })`);
  });
  return list as Record<string, unknown>[];
}

/** Injects the faults of a file into a twin (all or none); problems name the file. Returns how many. */
export function injectFaultsFile(twin: DigitalTwin, file: string): number {
  const faults = readFaultsFile(file);
  if (!twin.injectFaults) throw new MlayerError(`${file}: this twin cannot inject faults`);
  try {
    twin.injectFaults(faults);
  } catch (e) {
    throw new MlayerError(`${file}: ${(e as Error).message}`, { cause: e });
  }
  return faults.length;
}
