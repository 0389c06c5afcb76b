import { readFileSync } from 'node:fs';
import { MlayerError } from '@mlayer/core';

/** A CSV file read into a header and string cells (first line: column names). */
export interface CsvTable {
  readonly path: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** 1-based line number of each row in the file. */
  readonly lines: readonly number[];
}

/** Error reading or selecting from a CSV file. */
export class CsvError extends MlayerError {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

function splitLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Parses CSV text (comma separated, optional double quotes, header line first, blank lines skipped). */
export function parseCsv(text: string, path: string): CsvTable {
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let headerLine = -1;
  for (let i = 0; i < all.length; i++) {
    if (all[i].trim() !== '') {
      headerLine = i;
      break;
    }
  }
  if (headerLine < 0) throw new CsvError(path, 'the file is empty (no header line)');
  const header = splitLine(all[headerLine]);
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = headerLine + 1; i < all.length; i++) {
    if (all[i].trim() === '') continue;
    const cells = splitLine(all[i]);
    if (cells.length !== header.length) {
      throw new CsvError(path, `line ${i + 1} has ${cells.length} cells but the header has ${header.length}`);
    }
    rows.push(cells);
    lines.push(i + 1);
  }
  return { path, header, rows, lines };
}

export function readCsv(path: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CsvError(path, `cannot read the file (${(e as Error).message})`);
  }
  return parseCsv(text, path);
}

/** Index of a column given by name or 0-based index. */
export function columnIndex(table: CsvTable, column: string | number): number {
  if (typeof column === 'number') {
    if (column < table.header.length) return column;
    throw new CsvError(table.path, `column index ${column} is beyond the ${table.header.length} columns`);
  }
  const i = table.header.indexOf(column);
  if (i < 0) throw new CsvError(table.path, `no column '${column}' (columns: ${table.header.join(', ')})`);
  return i;
}

/** Rows of one column's cells: by the cell's text, and by its number (cells that are numbers). */
interface ColumnIndex {
  readonly byText: Map<string, number[]>;
  readonly byNumber: Map<number, number[]>;
}

/** Per table, per column: its index, built on the first lookup (a facility looks up hundreds of curves in one table). */
const indexes = new WeakMap<CsvTable, Map<number, ColumnIndex>>();

function columnRows(table: CsvTable, column: number): ColumnIndex {
  let byColumn = indexes.get(table);
  if (!byColumn) {
    byColumn = new Map();
    indexes.set(table, byColumn);
  }
  let index = byColumn.get(column);
  if (!index) {
    index = { byText: new Map(), byNumber: new Map() };
    const push = <K>(map: Map<K, number[]>, key: K, r: number): void => {
      const rows = map.get(key);
      if (rows) rows.push(r);
      else map.set(key, [r]);
    };
    table.rows.forEach((row, r) => {
      const cell = row[column];
      push(index!.byText, cell, r);
      const v = cell === '' ? NaN : Number(cell);
      // NaN equals nothing (and a Map would match it with itself); +0 and -0 are one key, as they are equal.
      if (!Number.isNaN(v)) push(index!.byNumber, v, r);
    });
    byColumn.set(column, index);
  }
  return index;
}

/** Rows matching every `column = value` of `where` (numbers compare numerically), in file order. */
export function selectRows(table: CsvTable, where: Readonly<Record<string, string | number>> | undefined): number[] {
  const conditions = Object.entries(where ?? {}).map(([col, value]) => ({ column: columnIndex(table, col), value }));
  if (conditions.length === 0) return table.rows.map((_row, r) => r);
  const matches = (row: readonly string[], { column, value }: { column: number; value: string | number }): boolean =>
    typeof value === 'number' ? row[column] !== '' && Number(row[column]) === value : row[column] === String(value).trim();
  // The first condition's rows from its column's index, then the other conditions on those rows only.
  const [first, ...rest] = conditions;
  const index = columnRows(table, first.column);
  const candidates = (typeof first.value === 'number' ? index.byNumber.get(first.value) : index.byText.get(String(first.value).trim())) ?? [];
  return rest.length === 0 ? [...candidates] : candidates.filter((r) => rest.every((c) => matches(table.rows[r], c)));
}

/** Numeric cell; throws naming file, line and column when it is not a number. */
export function numberCell(table: CsvTable, row: number, column: number): number {
  const s = table.rows[row][column];
  const v = s === '' ? NaN : Number(s);
  if (!Number.isFinite(v)) {
    throw new CsvError(table.path, `line ${table.lines[row]}, column '${table.header[column]}': ${JSON.stringify(s)} is not a number`);
  }
  return v;
}

/** Reads each CSV file once (per cache instance); the tables are immutable. */
export class CsvCache {
  private readonly tables = new Map<string, CsvTable>();

  get(path: string): CsvTable {
    let t = this.tables.get(path);
    if (!t) {
      t = readCsv(path);
      this.tables.set(path, t);
    }
    return t;
  }
}
