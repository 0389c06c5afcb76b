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

/** Rows matching every `column = value` of `where` (numbers compare numerically). */
export function selectRows(table: CsvTable, where: Readonly<Record<string, string | number>> | undefined): number[] {
  const tests = Object.entries(where ?? {}).map(([col, value]) => {
    const i = columnIndex(table, col);
    return (row: readonly string[]) =>
      typeof value === 'number' ? row[i] !== '' && Number(row[i]) === value : row[i] === String(value).trim();
  });
  const out: number[] = [];
  table.rows.forEach((row, r) => {
    if (tests.every((t) => t(row))) out.push(r);
  });
  return out;
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
