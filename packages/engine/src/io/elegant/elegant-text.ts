/**
 * elegant lattice text as statements: `!` comments removed (outside quotes),
 * lines ending in `&` joined to the next one with nothing in between (pyAT and
 * elegant join `E1=0.0692&` + `6834` into one number), each statement kept
 * with the file position of every character so that errors name line and
 * column.
 */
import { LatticeFileError } from '../errors.js';

/** One logical statement and where each of its characters came from. */
export interface Statement {
  readonly text: string;
  /** 1-based line of each character of `text`. */
  readonly lines: readonly number[];
  /** 1-based column of each character of `text`. */
  readonly columns: readonly number[];
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The file position of character `i` of a statement (the last one if past the end). */
export function positionIn(st: Statement, i: number): Position {
  if (st.text.length === 0) return { line: 1, column: 1 };
  const k = Math.max(0, Math.min(i, st.text.length - 1));
  return { line: st.lines[k], column: st.columns[k] + (i > k ? i - k : 0) };
}

/** Splits an elegant file into statements. */
export function splitStatements(src: string, file: string): Statement[] {
  const out: Statement[] = [];
  let text = '';
  let lines: number[] = [];
  let cols: number[] = [];
  const rows = src.split(/\r?\n/);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    let inQuote = false;
    let end = row.length;
    for (let i = 0; i < row.length; i++) {
      const c = row[i];
      if (c === '"') inQuote = !inQuote;
      else if (c === '!' && !inQuote) {
        end = i;
        break;
      }
    }
    if (inQuote) throw new LatticeFileError(file, 'unterminated quoted string', { line: r + 1, column: row.indexOf('"') + 1 });
    let body = row.slice(0, end);
    const trimmed = body.replace(/\s+$/, '');
    const continued = trimmed.endsWith('&');
    if (continued) body = trimmed.slice(0, -1);
    for (let i = 0; i < body.length; i++) {
      text += body[i];
      lines.push(r + 1);
      cols.push(i + 1);
    }
    if (!continued) {
      if (text.trim() !== '') out.push(trimStatement({ text, lines, columns: cols }));
      text = '';
      lines = [];
      cols = [];
    }
  }
  if (text.trim() !== '') out.push(trimStatement({ text, lines, columns: cols }));
  return out;
}

function trimStatement(st: Statement): Statement {
  const start = st.text.search(/\S/);
  const end = st.text.replace(/\s+$/, '').length;
  return { text: st.text.slice(start, end), lines: st.lines.slice(start, end), columns: st.columns.slice(start, end) };
}

/** A piece of a statement with its offset in the statement text. */
export interface Piece {
  readonly text: string;
  readonly offset: number;
}

/**
 * Splits `text` (starting at `offset` of the statement) at the separator
 * characters that are outside quotes and parentheses. Pieces are trimmed.
 */
export function splitTopLevel(text: string, offset: number, sep: string): Piece[] {
  const out: Piece[] = [];
  let depth = 0;
  let inQuote = false;
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    out.push({ text: raw.trim(), offset: offset + start + lead });
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuote = !inQuote;
    else if (inQuote) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && sep.includes(c)) {
      push(i);
      start = i + 1;
    }
  }
  push(text.length);
  return out;
}
