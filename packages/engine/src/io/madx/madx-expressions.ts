/**
 * MAD-X arithmetic: parsing (`+ - * / ^`, unary signs, parentheses, function
 * calls, `elem->attr`) and evaluation with MAD-X's functions and constants.
 * `^` binds tighter than the unary signs and associates to the right
 * (`-2^2 = -4`, `2^3^2 = 512`), as in MAD-X.
 */
import { LatticeFileError } from '../errors.js';
import type { Token } from './madx-lexer.js';

export type Expr =
  | { readonly kind: 'number'; readonly value: number; readonly at: Token }
  | { readonly kind: 'name'; readonly name: string; readonly at: Token }
  | { readonly kind: 'attr'; readonly element: string; readonly attr: string; readonly at: Token }
  | { readonly kind: 'unary'; readonly op: '+' | '-'; readonly arg: Expr; readonly at: Token }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly at: Token }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly Expr[]; readonly at: Token };

const CLIGHT = 299792458;
const QELECT = 1.602176634e-19;
const HBAR_JS = 1.054571817e-34;
const EMASS = 0.51099895e-3; // GeV
const PMASS = 0.93827208816; // GeV

/** MAD-X constants (lowercase), in MAD-X units (masses in GeV). */
export const MADX_CONSTANTS: Readonly<Record<string, number>> = {
  pi: Math.PI,
  twopi: 2 * Math.PI,
  degrad: 180 / Math.PI,
  raddeg: Math.PI / 180,
  e: Math.E,
  emass: EMASS,
  pmass: PMASS,
  nmass: 0.93956542052,
  umass: 0.93149410242,
  mumass: 0.1056583755,
  clight: CLIGHT,
  qelect: QELECT,
  hbar: (HBAR_JS / QELECT) * 1e-9,
  erad: 2.8179403262e-15,
  prad: (2.8179403262e-15 * EMASS) / PMASS,
  true: 1,
  false: 0,
};

const FUNCTIONS: Readonly<Record<string, (...a: number[]) => number>> = {
  sqrt: Math.sqrt,
  log: Math.log,
  log10: Math.log10,
  exp: Math.exp,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  atan2: Math.atan2,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  abs: Math.abs,
  sinc: (x: number) => (x === 0 ? 1 : Math.sin(x) / x),
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  frac: (x: number) => x - Math.trunc(x),
  int: Math.trunc,
  erf,
  erfc: (x: number) => 1 - erf(x),
  max: Math.max,
  min: Math.min,
};

/** Abramowitz-Stegun 7.1.26 would be too coarse: series / continued fraction to double precision. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series.
    let sum = ax;
    let term = ax;
    for (let k = 1; k < 200; k++) {
      term *= (-ax * ax) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc.
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

/** A cursor over the tokens of a statement. */
export class TokenCursor {
  pos = 0;
  /** The element (variable, line, ...) the statement defines, named by errors. */
  owner?: { readonly name: string; readonly kind: string };
  constructor(
    readonly tokens: readonly Token[],
    readonly end: Token,
  ) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  next(): Token {
    const t = this.tokens[this.pos];
    if (!t) this.fail(this.end, 'unexpected end of statement');
    this.pos++;
    return t;
  }

  isOp(op: string, offset = 0): boolean {
    const t = this.tokens[this.pos + offset];
    return t !== undefined && t.kind === 'op' && t.text === op;
  }

  expectOp(op: string, what: string): Token {
    const t = this.peek();
    if (!t || t.kind !== 'op' || t.text !== op) this.fail(t ?? this.end, `expected '${op}' ${what}, found ${t ? `'${t.text}'` : 'the end of the statement'}`);
    return this.next();
  }

  done(): boolean {
    return this.pos >= this.tokens.length;
  }

  fail(at: Token, detail: string, name?: string): never {
    const o = name === undefined ? this.owner : { name, kind: 'element' };
    throw new LatticeFileError(at.file, detail, { line: at.line, column: at.column, name: o?.name, nameKind: o?.kind });
  }
}

/** Parses one expression at the cursor. */
export function parseExpression(c: TokenCursor): Expr {
  return parseSum(c);
}

function parseSum(c: TokenCursor): Expr {
  let left = parseProduct(c);
  while (c.isOp('+') || c.isOp('-')) {
    const at = c.next();
    left = { kind: 'binary', op: at.text, left, right: parseProduct(c), at };
  }
  return left;
}

function parseProduct(c: TokenCursor): Expr {
  let left = parseUnary(c);
  while (c.isOp('*') || c.isOp('/')) {
    const at = c.next();
    left = { kind: 'binary', op: at.text, left, right: parseUnary(c), at };
  }
  return left;
}

function parseUnary(c: TokenCursor): Expr {
  if (c.isOp('+') || c.isOp('-')) {
    const at = c.next();
    return { kind: 'unary', op: at.text as '+' | '-', arg: parseUnary(c), at };
  }
  return parsePower(c);
}

function parsePower(c: TokenCursor): Expr {
  const base = parsePrimary(c);
  if (c.isOp('^')) {
    const at = c.next();
    return { kind: 'binary', op: '^', left: base, right: parseUnary(c), at };
  }
  return base;
}

function parsePrimary(c: TokenCursor): Expr {
  const t = c.peek();
  if (!t) return c.fail(c.end, 'expression expected, found the end of the statement');
  if (t.kind === 'number') {
    c.next();
    return { kind: 'number', value: Number(t.text), at: t };
  }
  if (t.kind === 'op' && t.text === '(') {
    c.next();
    const e = parseSum(c);
    c.expectOp(')', 'to close the parenthesis');
    return e;
  }
  if (t.kind === 'name') {
    c.next();
    if (c.isOp('(')) {
      c.next();
      const args: Expr[] = [];
      if (!c.isOp(')')) {
        args.push(parseSum(c));
        while (c.isOp(',')) {
          c.next();
          args.push(parseSum(c));
        }
      }
      c.expectOp(')', `to close the arguments of ${t.text}`);
      if (!(t.key in FUNCTIONS)) c.fail(t, `unknown function '${t.text}' (known: ${Object.keys(FUNCTIONS).join(', ')})`);
      return { kind: 'call', fn: t.key, args, at: t };
    }
    if (c.isOp('->')) {
      c.next();
      const a = c.next();
      if (a.kind !== 'name') c.fail(a, `attribute name expected after '${t.text}->'`);
      return { kind: 'attr', element: t.key, attr: a.key, at: t };
    }
    return { kind: 'name', name: t.key, at: t };
  }
  return c.fail(t, `expression expected, found '${t.text}'`);
}

/** Looks names and element attributes up during an evaluation. */
export interface EvalScope {
  variable(name: string, at: Token): number;
  attribute(element: string, attr: string, at: Token): number;
}

/** Evaluates an expression; non-finite results are errors that name the place. */
export function evaluate(e: Expr, scope: EvalScope): number {
  switch (e.kind) {
    case 'number':
      return e.value;
    case 'name':
      return scope.variable(e.name, e.at);
    case 'attr':
      return scope.attribute(e.element, e.attr, e.at);
    case 'unary': {
      const v = evaluate(e.arg, scope);
      return e.op === '-' ? -v : v;
    }
    case 'binary': {
      const a = evaluate(e.left, scope);
      const b = evaluate(e.right, scope);
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        default:
          return a ** b;
      }
    }
    case 'call': {
      const f = FUNCTIONS[e.fn];
      const args = e.args.map((a) => evaluate(a, scope));
      return f(...args);
    }
  }
}
