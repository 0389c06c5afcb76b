/**
 * Hand-written beam sections merged by the importer (`--beam FILE`): what pytac does not
 * describe about the beam before one is stored: the injection point and the injected beam
 * (`injection`), the vacuum chamber apertures per element class (`chamber`) and the open
 * line (`openLine`, for a transfer line or linac). YAML with those keys, in the facility
 * schema (`mlayer schema`); written into facility.yaml as given.
 */
import { isMap } from 'yaml';
import { ChamberSchema, InjectionSchema, OpenLineSchema, type ChamberConfig, type InjectionConfig, type OpenLineConfig } from '@mlayer/core';
import { PytacImportError } from './errors.js';
import { readHandWrittenYaml } from './hand-written-yaml.js';

export interface BeamSections {
  injection?: InjectionConfig;
  chamber?: ChamberConfig;
  openLine?: OpenLineConfig;
}

const SCHEMAS = { injection: InjectionSchema, chamber: ChamberSchema, openLine: OpenLineSchema } as const;

/** Reads a hand-written beam file; a problem names the file, line, section, field and value. */
export function readBeamFile(path: string): BeamSections {
  const { file, doc, lineOf, issueError } = readHandWrittenYaml(path, 'beam');
  if (!isMap(doc.contents)) throw new PytacImportError(file, undefined, `expected a map with one or more of ${Object.keys(SCHEMAS).join(', ')}`);
  const raw = doc.toJS() as Record<string, unknown>;
  const out: BeamSections = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in SCHEMAS)) throw new PytacImportError(file, lineOf([key]), `${key}: unknown section; allowed: ${Object.keys(SCHEMAS).join(', ')}`);
    const parsed = SCHEMAS[key as keyof typeof SCHEMAS].safeParse(value);
    if (!parsed.success) throw issueError([key], parsed.error.issues[0]);
    // Written as given (defaults are the schema's, applied at load).
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
