/**
 * Reading element fields at compile time: every value is checked (type, shape,
 * finiteness) and every error names the element, the field and the value.
 */
import type { AtElement, FieldValue } from '../lattice.js';
import { ElementFieldError } from './errors.js';

/** Field reader bound to one element. */
export class FieldReader {
  constructor(
    readonly element: AtElement,
    readonly index: number,
  ) {}

  get famName(): string {
    return typeof this.element.FamName === 'string' ? this.element.FamName : String(this.element.FamName);
  }

  /** Throws an ElementFieldError for `field`. */
  fail(field: string, value: unknown, expected: string): never {
    throw new ElementFieldError(this.index, this.famName, this.element.PassMethod, field, value, expected);
  }

  has(field: string): boolean {
    return this.element[field] !== undefined && this.element[field] !== null;
  }

  raw(field: string): FieldValue | undefined {
    return this.element[field] ?? undefined;
  }

  /** A finite number (a one-element array is accepted, as MATLAB scalars). */
  number(field: string, fallback?: number): number {
    const v = this.raw(field);
    if (v === undefined) {
      if (fallback === undefined) this.fail(field, v, 'a finite number');
      return fallback;
    }
    const x = scalarOf(v);
    if (x === undefined || !Number.isFinite(x)) this.fail(field, v, 'a finite number');
    return x;
  }

  /** A non-negative integer (given as a number with an integral value). */
  integer(field: string, fallback?: number, min = 0): number {
    const x = this.number(field, fallback);
    if (!Number.isInteger(x) || x < min) this.fail(field, this.raw(field), `an integer >= ${min}`);
    return x;
  }

  /** A vector of finite numbers, optionally of an exact length (a column/row matrix is flattened). */
  vector(field: string, length?: number): Float64Array | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    const flat = flatten(v);
    const expected = length === undefined ? 'a vector of finite numbers' : `a vector of ${length} finite numbers`;
    if (flat === undefined || (length !== undefined && flat.length !== length)) this.fail(field, v, expected);
    for (const x of flat) if (!Number.isFinite(x)) this.fail(field, v, expected);
    return Float64Array.from(flat);
  }

  /** A required vector. */
  requiredVector(field: string, length?: number): Float64Array {
    const v = this.vector(field, length);
    if (v === undefined) this.fail(field, undefined, length === undefined ? 'a vector of finite numbers' : `a vector of ${length} finite numbers`);
    return v;
  }

  /** A 6x6 matrix given as rows (R[i][j] multiplies coordinate j into i); returned row-major, 36 values. */
  matrix66(field: string): Float64Array | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    const expected = 'a 6x6 matrix of finite numbers (6 rows of 6)';
    if (!Array.isArray(v) || v.length !== 6) this.fail(field, v, expected);
    const out = new Float64Array(36);
    for (let i = 0; i < 6; i++) {
      const row = v[i];
      if (!Array.isArray(row) || row.length !== 6) this.fail(field, v, expected);
      for (let j = 0; j < 6; j++) {
        const x = row[j];
        if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(field, v, expected);
        out[6 * i + j] = x;
      }
    }
    return out;
  }

  /** A 2-D table given as rows, returned as rows of numbers (rows may be empty). */
  table(field: string): number[][] {
    const v = this.raw(field);
    const expected = 'a table (array of rows) of finite numbers';
    if (!Array.isArray(v)) this.fail(field, v, expected);
    const rows: number[][] = [];
    for (const row of v) {
      if (typeof row === 'number') {
        if (!Number.isFinite(row)) this.fail(field, v, expected);
        rows.push([row]);
        continue;
      }
      if (!Array.isArray(row)) this.fail(field, v, expected);
      const r: number[] = [];
      for (const x of row) {
        if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(field, v, expected);
        r.push(x);
      }
      rows.push(r);
    }
    return rows;
  }
}

function scalarOf(v: FieldValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v) && v.length === 1) {
    const inner = v[0];
    if (inner === undefined) return undefined;
    return scalarOf(inner);
  }
  return undefined;
}

function flatten(v: FieldValue): number[] | undefined {
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v)) return undefined;
  const out: number[] = [];
  for (const item of v) {
    if (typeof item === 'number') out.push(item);
    else if (Array.isArray(item)) {
      const inner = flatten(item);
      if (inner === undefined) return undefined;
      out.push(...inner);
    } else return undefined;
  }
  return out;
}
