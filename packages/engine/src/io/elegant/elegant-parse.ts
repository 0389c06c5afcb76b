/**
 * elegant statements to definitions: elements (`NAME: TYPE, KEY=VALUE, ...`,
 * TYPE may be an element defined before, whose parameters are copied), lines
 * (`NAME: LINE=(...)`), `% RPN` statements, `USE`, `#INCLUDE`, `RETURN`.
 * Names are case-insensitive (kept as first written); a name may be quoted and
 * then hold any character but `"`. Parameter values are numbers, quoted RPN
 * expressions, or RPN variable names; they are evaluated when the statement is
 * read (as elegant and pyAT do), for the parameters the element uses.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LatticeFileError } from '../errors.js';
import { Rpn, RpnError } from './elegant-rpn.js';
import { positionIn, splitStatements, splitTopLevel, type Position, type Statement } from './elegant-text.js';

/** One KEY=VALUE of an element definition. */
export interface ParamDef {
  /** Upper-case key. */
  readonly key: string;
  /** Value as written (quotes kept). */
  readonly raw: string;
  /** Evaluated value, when the value is numeric. */
  readonly value?: number;
  /** Why the value is not numeric, when it is not. */
  readonly error?: string;
  readonly pos: Position;
}

export interface ElementDef {
  readonly name: string;
  /** Upper-case elegant type as written (after inheritance: the base type). */
  readonly type: string;
  readonly params: ReadonlyMap<string, ParamDef>;
  readonly file: string;
  readonly pos: Position;
}

/** A LINE item: element or line name, repeated and/or reversed, or a parenthesised list. */
export type LineItem =
  | { readonly kind: 'name'; readonly name: string; readonly reverse: boolean; readonly repeat: number; readonly pos: Position }
  | { readonly kind: 'list'; readonly items: readonly LineItem[]; readonly reverse: boolean; readonly repeat: number; readonly pos: Position };

export interface LineDef {
  readonly name: string;
  readonly items: readonly LineItem[];
  readonly file: string;
  readonly pos: Position;
}

export interface ElegantDeck {
  /** Keyed by upper-case name. */
  readonly elements: Map<string, ElementDef>;
  readonly lines: Map<string, LineDef>;
  /** Line names in definition order. */
  readonly lineOrder: string[];
  /** Last USE statement. */
  use?: { name: string; file: string; pos: Position };
  readonly rpn: Rpn;
}

const NAME = /^("[^"]+"|[A-Za-z0-9_.$#\-+/<>[\]]+)$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;
const STRING_KEYS = new Set(['GROUP', 'FILENAME', 'MODE', 'INSERT_FROM', 'SYSTEMATIC_MULTIPOLES', 'RANDOM_MULTIPOLES', 'EDGE_MULTIPOLES', 'STEERING_MULTIPOLES', 'INPUTFILE', 'OUTPUTFILE']);

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s;
}

class DeckReader {
  constructor(
    readonly deck: ElegantDeck,
    readonly file: string,
  ) {}

  fail(st: Statement, offset: number, detail: string, name?: string, nameKind?: string): never {
    const p = positionIn(st, offset);
    throw new LatticeFileError(this.file, detail, { line: p.line, column: p.column, name, nameKind });
  }

  /** Returns false at RETURN. */
  statement(st: Statement, depth: number): boolean {
    const t = st.text;
    if (t.startsWith('%')) {
      try {
        this.deck.rpn.run(t.slice(1));
      } catch (e) {
        if (e instanceof RpnError) this.fail(st, 1 + tokenOffset(t.slice(1), e.token), `RPN statement: ${e.message}`);
        throw e;
      }
      return true;
    }
    if (/^return\s*$/i.test(t)) return false;
    const use = /^use\s*[,\s]\s*(\S+)\s*$/i.exec(t);
    if (use) {
      this.deck.use = { name: unquote(use[1]), file: this.file, pos: positionIn(st, t.indexOf(use[1])) };
      return true;
    }
    const colon = findColon(t);
    if (colon < 0) this.fail(st, 0, `cannot read the statement '${short(t)}': expected NAME: TYPE, parameters or NAME: LINE=(...)`);
    const rawName = t.slice(0, colon).trim();
    if (/^#include$/i.test(rawName)) {
      this.include(st, unquote(t.slice(colon + 1).trim()), depth);
      return true;
    }
    if (!NAME.test(rawName)) this.fail(st, 0, `invalid element or line name '${rawName}'`);
    const name = unquote(rawName);
    const bodyOffset = colon + 1 + (t.slice(colon + 1).length - t.slice(colon + 1).trimStart().length);
    const body = t.slice(bodyOffset);
    const lineMatch = /^line\s*=\s*/i.exec(body);
    if (lineMatch) {
      this.defineLine(st, name, body.slice(lineMatch[0].length), bodyOffset + lineMatch[0].length);
      return true;
    }
    this.defineElement(st, name, body, bodyOffset);
    return true;
  }

  include(st: Statement, target: string, depth: number): void {
    if (depth > 20) this.fail(st, 0, `#INCLUDE nested more than 20 deep ('${target}')`);
    const path = resolve(dirname(this.file), target);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      this.fail(st, 0, `#INCLUDE: cannot read '${path}': ${(e as Error).message}`);
    }
    readDeckText(text, path, this.deck, depth + 1);
  }

  defineLine(st: Statement, name: string, text: string, offset: number): void {
    const key = name.toUpperCase();
    if (this.deck.elements.has(key)) this.fail(st, 0, 'an element of this name is defined before', name, 'line');
    const trimmed = text.trim();
    if (!trimmed.startsWith('(') || !trimmed.endsWith(')')) this.fail(st, offset, `the element list must be in parentheses: LINE=(A, B, ...)`, name, 'line');
    const open = offset + text.indexOf('(');
    const items = this.parseList(st, name, trimmed.slice(1, -1), open + 1);
    // A line defined again replaces the first definition and becomes the last defined.
    if (this.deck.lines.has(key)) this.deck.lineOrder.splice(this.deck.lineOrder.indexOf(key), 1);
    this.deck.lineOrder.push(key);
    this.deck.lines.set(key, { name, items, file: this.file, pos: positionIn(st, 0) });
  }

  parseList(st: Statement, line: string, text: string, offset: number): LineItem[] {
    const pieces = splitTopLevel(text, offset, ',');
    if (pieces.length === 1 && pieces[0].text === '') this.fail(st, offset, 'the line is empty', line, 'line');
    return pieces.map((p) => this.parseItem(st, line, p.text, p.offset));
  }

  parseItem(st: Statement, line: string, text: string, offset: number): LineItem {
    if (text === '') this.fail(st, offset, `empty item (two commas in a row, or a comma before ')')`, line, 'line');
    let s = text;
    let at = offset;
    let reverse = false;
    let repeat = 1;
    const eat = (n: number) => {
      const rest = s.slice(n);
      at += n + (rest.length - rest.trimStart().length);
      s = rest.trimStart();
    };
    if (s.startsWith('-')) {
      reverse = true;
      eat(1);
    }
    const rep = /^(\d+)\s*\*\s*/.exec(s);
    if (rep) {
      repeat = Number(rep[1]);
      eat(rep[0].length);
      if (s.startsWith('-')) {
        reverse = !reverse;
        eat(1);
      }
    }
    const pos = positionIn(st, at);
    if (s.startsWith('(')) {
      if (!s.endsWith(')')) this.fail(st, at, `unbalanced parentheses in '${short(text)}'`, line, 'line');
      return { kind: 'list', items: this.parseList(st, line, s.slice(1, -1), at + 1), reverse, repeat, pos };
    }
    if (!NAME.test(s) || s.includes('(') || s.includes(')')) this.fail(st, at, `invalid item '${short(text)}'`, line, 'line');
    return { kind: 'name', name: unquote(s), reverse, repeat, pos };
  }

  defineElement(st: Statement, name: string, body: string, offset: number): void {
    const pieces = splitTopLevel(body, offset, ',');
    const typeRaw = pieces[0].text;
    if (typeRaw === '' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(typeRaw)) {
      this.fail(st, pieces[0].offset, `expected an element type after ':', got '${short(typeRaw)}'`, name);
    }
    const key = name.toUpperCase();
    if (this.deck.lines.has(key)) this.fail(st, 0, 'a line of this name is defined before', name);
    const base = this.deck.elements.get(typeRaw.toUpperCase());
    const params = new Map<string, ParamDef>(base ? base.params : []);
    for (const p of pieces.slice(1)) {
      const eq = p.text.indexOf('=');
      if (eq <= 0) this.fail(st, p.offset, `expected KEY=VALUE, got '${short(p.text)}'`, name);
      const k = p.text.slice(0, eq).trim().toUpperCase();
      if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) this.fail(st, p.offset, `invalid parameter name '${p.text.slice(0, eq).trim()}'`, name);
      const rawFull = p.text.slice(eq + 1);
      const raw = rawFull.trim();
      const vOffset = p.offset + eq + 1 + (rawFull.length - rawFull.trimStart().length);
      if (raw === '') this.fail(st, vOffset, `parameter ${k} has no value`, name);
      params.set(k, this.evaluate(st, k, raw, vOffset));
    }
    this.deck.elements.set(key, {
      name,
      type: base ? base.type : typeRaw.toUpperCase(),
      params,
      file: this.file,
      pos: positionIn(st, 0),
    });
  }

  evaluate(st: Statement, key: string, raw: string, offset: number): ParamDef {
    const pos = positionIn(st, offset);
    if (STRING_KEYS.has(key)) return { key, raw, pos };
    if (NUMBER.test(raw)) return { key, raw, value: Number(raw.replace(/[dD]/, 'e')), pos };
    try {
      if (raw.startsWith('"')) {
        if (!raw.endsWith('"') || raw.length < 2) return { key, raw, error: 'unterminated quoted value', pos };
        return { key, raw, value: this.deck.rpn.evaluate(raw.slice(1, -1)), pos };
      }
      if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(raw)) return { key, raw, value: this.deck.rpn.evaluate(raw), pos };
      return { key, raw, error: `'${short(raw)}' is not a number (an expression must be a quoted RPN expression)`, pos };
    } catch (e) {
      if (e instanceof RpnError) {
        const inner = raw.startsWith('"') ? raw.slice(1, -1) : raw;
        const tokPos = positionIn(st, offset + (raw.startsWith('"') ? 1 : 0) + tokenOffset(inner, e.token));
        return { key, raw, error: e.message, pos: e.token !== undefined ? tokPos : pos };
      }
      throw e;
    }
  }
}

/** Character offset of token `k` in a whitespace-separated string (0 if unknown). */
function tokenOffset(text: string, k: number | undefined): number {
  if (k === undefined) return 0;
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  let i = 0;
  while ((m = re.exec(text))) {
    if (i++ === k) return m.index;
  }
  return 0;
}

function findColon(t: string): number {
  let inQuote = false;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '"') inQuote = !inQuote;
    else if (t[i] === ':' && !inQuote) return i;
    else if (!inQuote && (t[i] === ',' || t[i] === '=')) return -1;
  }
  return -1;
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Reads the text of a file into a deck (new or given). */
export function readDeckText(src: string, file: string, deck?: ElegantDeck, depth = 0): ElegantDeck {
  const d: ElegantDeck = deck ?? { elements: new Map(), lines: new Map(), lineOrder: [], rpn: new Rpn() };
  const reader = new DeckReader(d, file);
  for (const st of splitStatements(src, file)) if (!reader.statement(st, depth)) break;
  return d;
}
