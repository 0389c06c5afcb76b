/**
 * Tokenizer for the MATLAB subset used by AT lattice files. Tracks line and
 * column of every token, whether whitespace precedes it (significant inside
 * [] and {}), comments (% and %{ %} blocks), line continuations (...), and the
 * quote ambiguity (a' is a transpose, 'a' a string).
 */
import { MSyntaxError } from './errors.js';

export type TokenType = 'num' | 'str' | 'id' | 'kw' | 'op' | 'nl' | 'eof';

export interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly value?: number;
  readonly line: number;
  readonly col: number;
  /** Whitespace (or a continuation) separates this token from the previous one. */
  readonly space: boolean;
}

export const KEYWORDS = new Set([
  'function',
  'end',
  'if',
  'elseif',
  'else',
  'for',
  'parfor',
  'while',
  'switch',
  'case',
  'otherwise',
  'return',
  'break',
  'continue',
  'global',
  'persistent',
  'try',
  'catch',
  'endfunction',
  'endif',
  'endfor',
  'endwhile',
]);

const OPS = ['...', '.^', ".'", '.*', './', '.\\', '==', '~=', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '\\', '^', '<', '>', '&', '|', '~', '!', '=', '(', ')', '[', ']', '{', '}', ',', ';', ':', '.', '@', "'"];

const NUMBER = /(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?/y;
/** Operators by first character, longest first. */
const OPS_BY_CHAR = new Map<string, string[]>();
for (const o of OPS) {
  const list = OPS_BY_CHAR.get(o[0]) ?? [];
  list.push(o);
  OPS_BY_CHAR.set(o[0], list);
}

function isIdStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdChar(c: string): boolean {
  return isIdStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function tokenize(src: string, file: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let space = false;
  /** Stack of open brackets, to know when a newline ends a statement. */
  const n = src.length;
  const push = (type: TokenType, text: string, start: number, value?: number): void => {
    toks.push({ type, text, value, line, col: start - lineStart + 1, space });
    space = false;
  };
  const atLineStart = (pos: number): boolean => {
    for (let k = pos - 1; k >= 0 && src[k] !== '\n'; k--) if (src[k] !== ' ' && src[k] !== '\t') return false;
    return true;
  };
  while (i < n) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      space = true;
      i++;
      continue;
    }
    if (c === '\n') {
      push('nl', '\n', i);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === '%' || (c === '#' && atLineStart(i))) {
      // Block comment: %{ alone on its line ... %} alone on its line.
      if (src.startsWith('%{', i) && atLineStart(i) && /^%\{[ \t\r]*(\n|$)/.test(src.slice(i, i + 8))) {
        let depth = 0;
        while (i < n) {
          const eol = src.indexOf('\n', i);
          const lineText = src.slice(i, eol < 0 ? n : eol).trim();
          if (lineText === '%{') depth++;
          else if (lineText === '%}') depth--;
          i = eol < 0 ? n : eol + 1;
          if (eol >= 0) {
            line++;
            lineStart = i;
          }
          if (depth === 0) break;
          // skip leading whitespace of the next line for the trim test
        }
        push('nl', '\n', i);
        continue;
      }
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (src.startsWith('...', i)) {
      // Continuation: ignore the rest of the line and the newline.
      while (i < n && src[i] !== '\n') i++;
      if (i < n) {
        i++;
        line++;
        lineStart = i;
      }
      space = true;
      continue;
    }
    const prev = toks[toks.length - 1];
    if (c === "'") {
      const transpose =
        prev !== undefined &&
        !space &&
        (prev.type === 'id' ||
          prev.type === 'num' ||
          (prev.type === 'op' && (prev.text === ')' || prev.text === ']' || prev.text === '}' || prev.text === "'" || prev.text === ".'")) ||
          (prev.type === 'kw' && prev.text === 'end'));
      if (transpose) {
        push('op', "'", i);
        i++;
        continue;
      }
    }
    if (c === "'" || c === '"') {
      const start = i;
      let s = '';
      i++;
      for (;;) {
        if (i >= n || src[i] === '\n') throw new MSyntaxError(file, line, start - lineStart + 1, 'unterminated string');
        if (src[i] === c) {
          if (src[i + 1] === c) {
            s += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      push('str', s, start);
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(src);
      if (!m) throw new MSyntaxError(file, line, i - lineStart + 1, 'bad number');
      const text = m[0];
      // "1." followed by an operator like * or ' : keep MATLAB's reading (1. then op) — handled by the regex.
      const value = Number(text.replace(/[dD]/, 'e'));
      push('num', text, i, value);
      i += text.length;
      // Imaginary suffixes are not supported.
      if (src[i] === 'i' || src[i] === 'j') {
        if (!isIdChar(src[i + 1] ?? '')) throw new MSyntaxError(file, line, i - lineStart + 1, 'complex numbers are not supported');
      }
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdChar(src[j])) j++;
      const text = src.slice(i, j);
      push(KEYWORDS.has(text) ? 'kw' : 'id', text, i);
      i = j;
      continue;
    }
    const op = OPS_BY_CHAR.get(c)?.find((o) => src.startsWith(o, i));
    if (!op) throw new MSyntaxError(file, line, i - lineStart + 1, `unexpected character '${c}'`);
    push('op', op, i);
    i += op.length;
  }
  push('nl', '\n', i);
  push('eof', '', i);
  return toks;
}
