/**
 * MAD-X statements into a deck: variables, element definitions, SEQUENCE ...
 * ENDSEQUENCE (with placements and inline definitions), LINE, BEAM, USE,
 * OPTION (RBARC), CALL (files relative to the calling file), RETURN/STOP.
 * Other commands (TWISS, SELECT, MATCH, ...) are skipped and listed.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LatticeFileError } from '../errors.js';
import { tokenize, type Statement, type Token } from './madx-lexer.js';
import { TokenCursor, parseExpression, type Expr } from './madx-expressions.js';
import { MADX_CLASSES, MadxDeck, type Attr, type ElementDef, type LineItem, type SequenceDef } from './madx-deck.js';

/** Attributes whose value is a word, not an expression. */
const WORD_ATTRS = new Set(['refer', 'refpos', 'from', 'particle', 'sequence', 'period', 'file', 'apertype', 'type', 'slot_id', 'assembly_id']);
const DECLARATIONS = new Set(['const', 'real', 'int', 'shared']);
const END_FILE = new Set(['return', 'stop', 'exit', 'quit']);
/** Commands the reader acts on (others are skipped). */
const ACTED_ON = new Set(['beam', 'use', 'option', 'call']);

function fail(at: Token, detail: string, name?: string, nameKind?: string): never {
  throw new LatticeFileError(at.file, detail, { line: at.line, column: at.column, name, nameKind });
}

function readText(path: string, at?: Token): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (at) throw new LatticeFileError(at.file, `CALL: cannot read ${path}: ${(e as Error).message}`, { line: at.line, column: at.column }, { cause: e });
    throw new LatticeFileError(path, `cannot read: ${(e as Error).message}`, {}, { cause: e });
  }
}

/** Parses a MAD-X text (and the files it CALLs) into a deck. */
export function parseMadx(text: string, file: string, deck = new MadxDeck(), depth = 0): MadxDeck {
  const statements = tokenize(text, file);
  let seq: SequenceDef | undefined;
  for (const st of statements) {
    const r = parseStatement(st, deck, seq, depth);
    if (r === 'return') break;
    seq = r;
  }
  if (seq && !seq.closed) fail(seq.at, `sequence ${seq.name} has no ENDSEQUENCE`, seq.name, 'sequence');
  return deck;
}

/** Reads a MAD-X file into a deck. */
export function parseMadxFile(path: string): MadxDeck {
  return parseMadx(readText(path), path);
}

function parseAttrs(c: TokenCursor, owner: string): Map<string, Attr> {
  const attrs = new Map<string, Attr>();
  while (!c.done()) {
    c.expectOp(',', `between the attributes of ${owner}`);
    let negate = false;
    if (c.isOp('-')) {
      c.next();
      negate = true;
    }
    const nameTok = c.next();
    if (nameTok.kind !== 'name') fail(nameTok, `attribute name expected, found '${nameTok.text}'`, owner);
    const name = nameTok.key;
    if (c.done() || c.isOp(',')) {
      attrs.set(name, { name, op: 'flag', value: negate ? 0 : 1, at: nameTok });
      continue;
    }
    const opTok = c.next();
    if (opTok.kind !== 'op' || (opTok.text !== '=' && opTok.text !== ':=')) fail(opTok, `expected '=' or ':=' after ${nameTok.text}, found '${opTok.text}'`, owner);
    const op = opTok.text as '=' | ':=';
    const v = c.peek();
    if (!v) fail(opTok, `value expected after ${nameTok.text}${op}`, owner);
    if (v.kind === 'string') {
      c.next();
      attrs.set(name, { name, op, word: v.text, at: nameTok });
    } else if (v.kind === 'op' && v.text === '{') {
      c.next();
      const array: Expr[] = [];
      if (!c.isOp('}')) {
        array.push(parseExpression(c));
        while (c.isOp(',')) {
          c.next();
          array.push(parseExpression(c));
        }
      }
      c.expectOp('}', `to close the array of ${nameTok.text}`);
      attrs.set(name, { name, op, array, at: nameTok });
    } else if (WORD_ATTRS.has(name) && v.kind === 'name' && (c.peek(1) === undefined || c.isOp(',', 1))) {
      c.next();
      attrs.set(name, { name, op, word: v.text, at: nameTok });
    } else {
      const start = c.pos;
      const expr = parseExpression(c);
      const word = c.pos === start + 1 && v.kind === 'name' ? v.text : undefined;
      attrs.set(name, { name, op, expr, word, at: nameTok });
    }
  }
  return attrs;
}

/** Computes `=` attributes whose names are all defined now (MAD-X immediate assignment). */
function freeze(attrs: Map<string, Attr>, deck: MadxDeck, owner: string): void {
  for (const a of attrs.values()) {
    if (a.op !== '=' || a.value !== undefined) continue;
    if (a.expr && !WORD_ATTRS.has(a.name) && deck.canEvaluate(a.expr)) a.value = deck.attrValue(a, owner);
    else if (a.array && a.array.every((e) => deck.canEvaluate(e))) a.value = deck.attrValue(a, owner);
  }
}

function parseLineItems(c: TokenCursor, owner: string): LineItem[] {
  const items: LineItem[] = [];
  c.expectOp('(', `to open the items of line ${owner}`);
  if (c.isOp(')')) fail(c.peek()!, `line ${owner} is empty`, owner, 'line');
  for (;;) {
    const at = c.peek() ?? c.end;
    let reverse = false;
    let repeat = 1;
    if (c.isOp('-')) {
      c.next();
      reverse = true;
    }
    const t = c.peek();
    if (t && t.kind === 'number' && c.isOp('*', 1)) {
      repeat = Number(t.text);
      if (!Number.isInteger(repeat) || repeat < 0) fail(t, `repetition count ${t.text} is not a non-negative integer`, owner, 'line');
      c.next();
      c.next();
      if (c.isOp('-')) {
        c.next();
        reverse = !reverse;
      }
    }
    if (c.isOp('(')) {
      const sub = parseLineItems(c, owner);
      items.push({ kind: 'group', items: sub, at, reverse, repeat });
    } else {
      const n = c.next();
      if (n.kind !== 'name') fail(n, `element or line name expected in line ${owner}, found '${n.text}'`, owner, 'line');
      items.push({ kind: 'ref', key: n.key, name: n.text, at: n, reverse, repeat });
    }
    if (c.isOp(')')) {
      c.next();
      return items;
    }
    c.expectOp(',', `between the items of line ${owner}`);
  }
}

function parseStatement(st: Statement, deck: MadxDeck, seq: SequenceDef | undefined, depth: number): SequenceDef | undefined | 'return' {
  const c = new TokenCursor(st.tokens, st.tokens[st.tokens.length - 1]);
  let t0 = c.next();
  while (t0.kind === 'name' && DECLARATIONS.has(t0.key) && c.peek()?.kind === 'name') t0 = c.next();
  if (t0.kind !== 'name') fail(t0, `a statement starts with a name, found '${t0.text}'`);
  c.owner = { name: t0.text, kind: c.isOp('=') || c.isOp(':=') ? 'variable' : c.isOp(':') && c.peek(1)?.key === 'line' ? 'line' : c.isOp(':') && c.peek(1)?.key === 'sequence' ? 'sequence' : 'element' };

  // name = expr; name := expr;
  if (c.isOp('=') || c.isOp(':=')) {
    const deferred = c.next().text === ':=';
    const expr = parseExpression(c);
    if (!c.done()) fail(c.peek()!, `unexpected '${c.peek()!.text}' after the value of ${t0.text}`, t0.text, 'variable');
    deck.defineVariable(t0.key, expr, deferred, t0);
    return seq;
  }
  // elem->attr = expr;
  if (c.isOp('->')) {
    c.next();
    const a = c.next();
    if (a.kind !== 'name') fail(a, `attribute name expected after '${t0.text}->'`, t0.text);
    const opTok = c.next();
    if (opTok.text !== '=' && opTok.text !== ':=') fail(opTok, `expected '=' or ':=' after ${t0.text}->${a.text}`, t0.text);
    const expr = parseExpression(c);
    const def = deck.elements.get(t0.key);
    const target = def?.attrs ?? deck.sequences.get(t0.key)?.attrs;
    if (!target) fail(t0, `no element or sequence ${t0.text}`, t0.text);
    const attr: Attr = { name: a.key, op: opTok.text as '=' | ':=', expr, at: a };
    target.set(a.key, attr);
    freeze(new Map([[a.key, attr]]), deck, t0.key);
    return seq;
  }
  // label: class, ...;  label: line = (...);  label: sequence, ...;
  if (c.isOp(':')) {
    c.next();
    const cls = c.next();
    if (cls.kind !== 'name') fail(cls, `class name expected after '${t0.text}:'`, t0.text);
    if (cls.key === 'line') {
      if (seq) fail(cls, `LINE ${t0.text} inside sequence ${seq.name}`, t0.text, 'line');
      c.expectOp('=', `after ${t0.text}: LINE`);
      const items = parseLineItems(c, t0.text);
      if (!c.done()) fail(c.peek()!, `unexpected '${c.peek()!.text}' after line ${t0.text}`, t0.text, 'line');
      deck.lines.set(t0.key, { name: t0.text, key: t0.key, items, at: t0 });
      deck.beamlines.push(t0.key);
      return seq;
    }
    if (cls.key === 'sequence') {
      if (seq) fail(cls, `sequence ${t0.text} starts inside sequence ${seq.name} (ENDSEQUENCE missing)`, seq.name, 'sequence');
      const attrs = parseAttrs(c, t0.text);
      freeze(attrs, deck, t0.key);
      const s: SequenceDef = { name: t0.text, key: t0.key, attrs, items: [], at: t0, closed: false };
      deck.sequences.set(t0.key, s);
      deck.beamlines.push(t0.key);
      return s;
    }
    const attrs = parseAttrs(c, t0.text);
    if (!MADX_CLASSES.has(cls.key) && !deck.elements.has(cls.key) && !deck.sequences.has(cls.key)) {
      fail(cls, `unknown element class '${cls.text}'`, t0.text);
    }
    if (seq) {
      // Inline definition and placement: at/from/refpos go to the placement.
      const place = new Map<string, Attr>();
      for (const k of ['at', 'from', 'refpos']) {
        const a = attrs.get(k);
        if (a) {
          place.set(k, a);
          attrs.delete(k);
        }
      }
      freeze(attrs, deck, t0.key);
      freeze(place, deck, t0.key);
      deck.elements.set(t0.key, { name: t0.text, key: t0.key, parent: cls.key, attrs, at: t0 });
      seq.items.push({ ref: t0.key, name: t0.text, attrs: place, at: t0 });
      return seq;
    }
    freeze(attrs, deck, t0.key);
    const def: ElementDef = { name: t0.text, key: t0.key, parent: cls.key, attrs, at: t0 };
    deck.elements.set(t0.key, def);
    return seq;
  }

  // command or placement
  if (t0.key === 'endsequence') {
    if (!seq) fail(t0, 'ENDSEQUENCE without SEQUENCE');
    seq.closed = true;
    return undefined;
  }
  if (!seq && !ACTED_ON.has(t0.key) && !END_FILE.has(t0.key) && !deck.elements.has(t0.key)) {
    // TITLE, TWISS, SELECT, VALUE, ...: not lattice data; their arguments are not checked.
    deck.ignored.push({ command: t0.text, at: t0 });
    return seq;
  }
  const attrs = parseAttrs(c, t0.text);
  if (seq) {
    freeze(attrs, deck, t0.key);
    seq.items.push({ ref: t0.key, name: t0.text, attrs, at: t0 });
    return seq;
  }
  switch (t0.key) {
    case 'beam':
      freeze(attrs, deck, 'beam');
      deck.beam = new Map([...(deck.beam ?? []), ...attrs]);
      return seq;
    case 'use': {
      const a = attrs.get('sequence') ?? attrs.get('period') ?? [...attrs.values()].find((x) => x.op === 'flag');
      if (!a) fail(t0, 'USE needs sequence=NAME or period=NAME');
      deck.uses.push({ name: (a.word ?? a.name).toLowerCase(), at: t0 });
      return seq;
    }
    case 'option': {
      const r = attrs.get('rbarc');
      if (r) deck.rbarc = r.op === 'flag' ? r.value !== 0 : deck.attrValue(r, 'option') !== 0;
      return seq;
    }
    case 'call': {
      const f = attrs.get('file');
      if (!f || f.word === undefined) fail(t0, 'CALL needs file="NAME"');
      if (depth > 20) fail(t0, 'CALL nested more than 20 deep');
      const path = isAbsolute(f.word) ? f.word : resolve(dirname(t0.file), f.word);
      parseMadx(readText(path, t0), path, deck, depth + 1);
      return seq;
    }
    default:
      if (END_FILE.has(t0.key)) return 'return';
      if (deck.elements.has(t0.key)) {
        // `qf, k1 = 0.5;` changes attributes of a defined element.
        freeze(attrs, deck, t0.key);
        const def = deck.elements.get(t0.key)!;
        for (const [k, a] of attrs) def.attrs.set(k, a);
        return seq;
      }
      return seq;
  }
}
