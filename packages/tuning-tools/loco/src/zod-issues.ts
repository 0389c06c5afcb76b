/**
 * Turns the first issue of a failed zod parse into a LocoFileError naming the
 * file, the field (`orm.xx[3][2]`) and the value found there.
 */
import type { z } from 'zod';
import { LocoFileError } from './errors.js';

/** `a.b[3][2]` from a zod path. */
export function fieldName(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

/** The value at a path of the raw input (undefined where the path leaves it). */
export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** The error for a failed parse: the first issue, and how many more there are. */
export function issueError(file: string, input: unknown, error: z.ZodError): LocoFileError {
  const issue = error.issues[0];
  let path: PropertyKey[] = [...issue.path];
  let detail = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    path = [...path, keys[0] ?? ''];
    detail = `unknown field${keys.length > 1 ? `s ${keys.join(', ')}` : ''} (not part of the format; a misspelling?)`;
  }
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  const value = valueAt(input, path);
  return new LocoFileError(file, fieldName(path), `${detail}${more}`, value);
}
