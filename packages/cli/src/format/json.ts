/**
 * JSON output of the CLI: typed arrays (Float64Array, Int32Array, ...) become arrays, not
 * `{"0": ...}` objects; non-finite numbers become null (as JSON.stringify does for numbers).
 */

/** A JSON.stringify replacer: typed arrays as plain arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** `value` as one line of JSON (typed arrays as arrays). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer);
}
