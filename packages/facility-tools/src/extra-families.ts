/**
 * Hand-written families merged by the importer after pytac's (`--families FILE`): what pytac does
 * not describe, e.g. the beam-parameter monitors the twin computes from the 6D equilibrium of its
 * model (energy spread, bunch length, synchrotron tune). YAML: family name -> family in the
 * facility schema (`mlayer schema`); each needs a `description`. Written into facility.yaml as given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, isMap, parseDocument } from 'yaml';
import { FamilySchema } from '@mlayer/core';
import { PytacImportError } from './errors.js';
import type { FamilyOut } from './pytac-facility.js';

/** Reads a hand-written families file; a problem names the file, line, family, field and value. */
export function readFamiliesFile(path: string): Record<string, FamilyOut> {
  const file = resolve(path);
  if (!existsSync(file)) throw new PytacImportError(file, undefined, 'families file not found');
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines });
  if (doc.errors.length > 0) throw new PytacImportError(file, lines.linePos(doc.errors[0].pos[0]).line, `invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw new PytacImportError(file, undefined, 'expected a map of family name -> family');
  const raw = doc.toJS() as Record<string, unknown>;
  const lineOf = (keys: (string | number)[]) => {
    const node = doc.getIn(keys, true) as { range?: [number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : undefined;
  };
  for (const [name, fam] of Object.entries(raw)) {
    const parsed = FamilySchema.safeParse(fam);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const keys = [name, ...(issue.path as (string | number)[]), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]] : [])];
      throw new PytacImportError(file, lineOf(keys), `${keys.join('.')}: ${issue.message} (got ${JSON.stringify(doc.getIn(keys))})`);
    }
    if (typeof (fam as { description?: unknown }).description !== 'string') throw new PytacImportError(file, lineOf([name]), `${name}.description: a hand-written family needs a description (it goes into README.md)`);
  }
  return raw as Record<string, FamilyOut>;
}

/** pytac's families, then the hand-written ones; a name in both is refused. */
export function mergeFamilies(pytac: Record<string, FamilyOut>, extra: Record<string, FamilyOut> | undefined, file: string): Record<string, FamilyOut> {
  if (!extra) return pytac;
  for (const name of Object.keys(extra)) {
    if (name in pytac) throw new PytacImportError(resolve(file), undefined, `family ${name} is also imported from pytac: give the hand-written family another name`);
  }
  return { ...pytac, ...extra };
}
