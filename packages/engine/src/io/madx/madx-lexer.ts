/**
 * MAD-X tokens and statements: comments (`!`, `//`, `/* *\/`), quoted strings,
 * names (letters, digits, `_`, `.`, `$`; case-insensitive), numbers, the
 * operators of expressions, `:=`, `->`, and statements ended by `;`. Every
 * token keeps its file, line and column for the error messages.
 */
import { LatticeFileError } from '../errors.js';

export type TokenKind = 'name' | 'number' | 'string' | 'op';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written (names keep their case; strings without quotes). */
  readonly text: string;
  /** Names lowercased; other tokens as `text`. */
  readonly key: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The tokens of one statement (without its `;`). */
export interface Statement {
  readonly tokens: readonly Token[];
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

const OPS2 = [':=', '->', '==', '<>', '>=', '<=', '!='];
const OPS1 = '=:,(){}+-*/^<>[]';

/** Splits a MAD-X text into statements. */
export function tokenize(text: string, file: string): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const n = text.length;
  const fail = (at: number, atLine: number, atStart: number, detail: string): never => {
    throw new LatticeFileError(file, detail, { line: atLine, column: at - atStart + 1 });
  };
  const push = (kind: TokenKind, t: string, start: number, key = t) => {
    current.push({ kind, text: t, key, file, line, column: start - lineStart + 1 });
  };
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '!' && text[i + 1] !== '=') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const sl = line;
      const ss = lineStart;
      const start = i;
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      if (i >= n) fail(start, sl, ss, 'unterminated comment /* ... */');
      i += 2;
      continue;
    }
    if (c === ';') {
      if (current.length > 0) statements.push({ tokens: current, file, line: current[0].line, column: current[0].column });
      current = [];
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j++;
      if (j >= n || text[j] !== c) fail(start, line, lineStart, `unterminated string ${text.slice(start, Math.min(j, start + 20))}`);
      push('string', text.slice(i + 1, j), start);
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eEdD][+-]?[0-9]+)?/.exec(text.slice(i, i + 64))!;
      const t = m[0];
      if (/[A-Za-z_]/.test(text[i + t.length] ?? '')) {
        fail(i, line, lineStart, `invalid number '${text.slice(i, i + t.length + 1)}'`);
      }
      push('number', t.replace(/[dD]/, 'e'), i);
      i += t.length;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_.$]/.test(text[j])) j++;
      const t = text.slice(i, j);
      push('name', t, i, t.toLowerCase());
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (OPS2.includes(two)) {
      push('op', two, i);
      i += 2;
      continue;
    }
    if (OPS1.includes(c)) {
      push('op', c, i);
      i++;
      continue;
    }
    fail(i, line, lineStart, `unexpected character '${c}'`);
  }
  if (current.length > 0) statements.push({ tokens: current, file, line: current[0].line, column: current[0].column });
  return statements;
}
