/**
 * Error-set files for the twin (YAML or JSON): read, checked as written (a group
 * key reported once, every issue on its own line), then expanded into the
 * group's families. Messages do not name the file: callers say where it came from.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type FacilityConfig, MlayerError } from '@mlayer/core';
import { expandErrorGroups } from './error-groups.js';
import { ErrorSpecSchema } from './error-spec.js';

// yaml is required when an error set is read (a CommonJS package): the twin without one never loads it.
const require = createRequire(import.meta.url);

export function readErrorSet(file: string, config: FacilityConfig): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MlayerError(`cannot read the error set (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = (require('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    throw new MlayerError(`not a valid YAML or JSON error set: ${(e as Error).message.split('\n')[0]}`);
  }
  const spec = ErrorSpecSchema.safeParse(doc);
  if (!spec.success) throw new MlayerError(spec.error.issues.map((i) => `error specification: ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'));
  return expandErrorGroups(config, spec.data);
}
