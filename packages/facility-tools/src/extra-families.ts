/**
 * Hand-written families merged by the importer after pytac's (`--families FILE`): what pytac does
 * not describe, e.g. the beam-parameter monitors the twin computes from the 6D equilibrium of its
 * model (energy spread, bunch length, synchrotron tune). YAML: family name -> family in the
 * facility schema (`mlayer schema`); each needs a `description`. Written into facility.yaml as given.
 */
import { resolve } from 'node:path';
import { isMap } from 'yaml';
import { FamilySchema } from '@mlayer/core';
import { PytacImportError } from './errors.js';
import { readHandWrittenYaml } from './hand-written-yaml.js';
import type { FamilyOut } from './pytac-facility.js';

/** Reads a hand-written families file; a problem names the file, line, family, field and value. */
export function readFamiliesFile(path: string): Record<string, FamilyOut> {
  const { file, doc, lineOf, issueError } = readHandWrittenYaml(path, 'families');
  if (!isMap(doc.contents)) throw new PytacImportError(file, undefined, 'expected a map of family name -> family');
  const raw = doc.toJS() as Record<string, unknown>;
  for (const [name, fam] of Object.entries(raw)) {
    const parsed = FamilySchema.safeParse(fam);
    if (!parsed.success) throw issueError([name], parsed.error.issues[0]);
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
