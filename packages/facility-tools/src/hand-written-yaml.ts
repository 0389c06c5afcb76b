/**
 * The importer's hand-written YAML inputs (`--tools`, `--families`): read with line
 * positions, so that a problem names the file, the line, the path and the value.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { PytacImportError } from './errors.js';

/** A schema issue (zod's), as far as a message needs it. */
interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export interface HandWrittenYaml {
  /** Absolute path. */
  readonly file: string;
  readonly doc: Document;
  /** The line (1-based) of the node at `keys`, when it is in the file. */
  lineOf(keys: readonly (string | number)[]): number | undefined;
  /** The error of a schema issue found at `base` (an unknown key named itself), naming line, path (after `label`) and value. */
  issueError(base: readonly (string | number)[], issue: SchemaIssue, label?: string): PytacImportError;
}

/** Reads `path` (`what`: 'tools', 'families' for messages); a missing file or invalid YAML is a PytacImportError. */
export function readHandWrittenYaml(path: string, what: string): HandWrittenYaml {
  const file = resolve(path);
  if (!existsSync(file)) throw new PytacImportError(file, undefined, `${what} file not found`);
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines });
  if (doc.errors.length > 0) throw new PytacImportError(file, lines.linePos(doc.errors[0].pos[0]).line, `invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const lineOf = (keys: readonly (string | number)[]): number | undefined => {
    const node = doc.getIn(keys, true) as { range?: [number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : undefined;
  };
  const issueError = (base: readonly (string | number)[], issue: SchemaIssue, label = ''): PytacImportError => {
    const unknownKey = issue.code === 'unrecognized_keys' ? [(issue as unknown as { keys: string[] }).keys[0]] : [];
    const keys = [...base, ...(issue.path as (string | number)[]), ...unknownKey];
    return new PytacImportError(file, lineOf(keys), `${label}${keys.join('.')}: ${issue.message} (got ${JSON.stringify(doc.getIn(keys))})`);
  };
  return { file, doc, lineOf, issueError };
}
