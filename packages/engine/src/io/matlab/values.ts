/**
 * Runtime values of the MATLAB-subset interpreter. Arrays are column-major:
 * element (i, j) of an r x c array is `d[i + j * r]`.
 */
import type { FieldValue } from '../../lattice.js';

export interface NumV {
  readonly k: 'num';
  readonly r: number;
  readonly c: number;
  readonly d: number[];
  readonly logical?: boolean;
}
export interface CharV {
  readonly k: 'char';
  readonly s: string;
}
export interface CellV {
  readonly k: 'cell';
  readonly r: number;
  readonly c: number;
  readonly d: Value[];
}
export interface StructV {
  readonly k: 'struct';
  readonly r: number;
  readonly c: number;
  /** One field map per array element; all share the same field names. */
  readonly d: Map<string, Value>[];
  /** Source line where each struct element was created (for error messages). */
  readonly lines?: (number | undefined)[];
}
export interface FuncV {
  readonly k: 'func';
  readonly call: (args: Value[], nargout: number) => Value[];
  readonly name: string;
}
export type Value = NumV | CharV | CellV | StructV | FuncV;

export const num = (x: number): NumV => ({ k: 'num', r: 1, c: 1, d: [x] });
export const bool = (x: boolean): NumV => ({ k: 'num', r: 1, c: 1, d: [x ? 1 : 0], logical: true });
export const str = (s: string): CharV => ({ k: 'char', s });
export const EMPTY: NumV = { k: 'num', r: 0, c: 0, d: [] };
export const row = (d: number[]): NumV => ({ k: 'num', r: d.length ? 1 : 0, c: d.length, d });
export const cellRow = (d: Value[]): CellV => ({ k: 'cell', r: d.length ? 1 : 0, c: d.length, d });

export function numel(v: Value): number {
  switch (v.k) {
    case 'char':
      return v.s.length;
    case 'func':
      return 1;
    default:
      return v.r * v.c;
  }
}

export function dims(v: Value): [number, number] {
  switch (v.k) {
    case 'char':
      return [v.s.length ? 1 : 0, v.s.length];
    case 'func':
      return [1, 1];
    default:
      return [v.r, v.c];
  }
}

export function typeName(v: Value): string {
  switch (v.k) {
    case 'num':
      return v.logical ? 'logical' : 'double';
    case 'char':
      return 'char';
    case 'cell':
      return 'cell';
    case 'struct':
      return 'struct';
    case 'func':
      return 'function_handle';
  }
}

export function structOf(fields: Map<string, Value>, line?: number): StructV {
  return { k: 'struct', r: 1, c: 1, d: [fields], lines: [line] };
}

/** A value as an element field (pyAT's cleaning: 1x1 → number, vectors flat, matrices as rows). */
export function toField(v: Value): FieldValue {
  switch (v.k) {
    case 'char':
      return v.s;
    case 'num': {
      if (v.r * v.c === 1) return v.logical ? v.d[0] !== 0 : v.d[0];
      if (v.r <= 1 || v.c <= 1) return [...v.d];
      const rows: number[][] = [];
      for (let i = 0; i < v.r; i++) {
        const rr: number[] = [];
        for (let j = 0; j < v.c; j++) rr.push(v.d[i + j * v.r]);
        rows.push(rr);
      }
      return rows;
    }
    case 'cell':
      return v.d.map(toField);
    case 'struct': {
      const recs = v.d.map((m) => {
        const o: Record<string, FieldValue> = {};
        for (const [k, x] of m) o[k] = toField(x);
        return o;
      });
      return v.r * v.c === 1 ? recs[0] : recs;
    }
    case 'func':
      return `@${v.name}`;
  }
}

/** An element field as a value (vectors as 1xN rows, lists of rows as matrices, records as structs). */
export function fromField(f: FieldValue | undefined): Value {
  if (f === undefined) return EMPTY;
  if (typeof f === 'number') return num(f);
  if (typeof f === 'boolean') return bool(f);
  if (typeof f === 'string') return str(f);
  if (Array.isArray(f)) {
    if (f.every((x) => typeof x === 'number')) return row(f as number[]);
    if (f.length > 0 && f.every((x) => Array.isArray(x) && x.every((y) => typeof y === 'number'))) {
      const rows = f as number[][];
      const r = rows.length;
      const c = rows[0].length;
      if (rows.every((x) => x.length === c)) {
        const d = new Array<number>(r * c);
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) d[i + j * r] = rows[i][j];
        return { k: 'num', r, c, d };
      }
    }
    return cellRow(f.map((x) => fromField(x)));
  }
  const m = new Map<string, Value>();
  for (const [k, x] of Object.entries(f)) m.set(k, fromField(x));
  return structOf(m);
}
