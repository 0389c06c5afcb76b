/**
 * Parser for the MATLAB subset of AT lattice files: scripts and function files
 * (with subfunctions and nested functions), assignments to variables, indexed
 * and field targets, if/for/while/switch/try, global declarations, and the full
 * expression grammar with MATLAB precedence, matrices [..] and cells {..} where
 * whitespace separates elements.
 */
import { MSyntaxError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

export type Expr =
  | { readonly t: 'num'; readonly v: number; readonly line: number }
  | { readonly t: 'str'; readonly v: string; readonly line: number }
  | { readonly t: 'id'; readonly name: string; readonly line: number }
  | { readonly t: 'colon'; readonly line: number }
  | { readonly t: 'end'; readonly line: number }
  | { readonly t: 'un'; readonly op: string; readonly e: Expr; readonly line: number }
  | { readonly t: 'bin'; readonly op: string; readonly l: Expr; readonly r: Expr; readonly line: number }
  | { readonly t: 'post'; readonly op: string; readonly e: Expr; readonly line: number }
  | { readonly t: 'range'; readonly start: Expr; readonly step?: Expr; readonly stop: Expr; readonly line: number }
  | { readonly t: 'index'; readonly base: Expr; readonly args: readonly Expr[]; readonly brace: boolean; readonly line: number }
  | { readonly t: 'field'; readonly base: Expr; readonly name: string | Expr; readonly line: number }
  | { readonly t: 'matrix'; readonly rows: readonly (readonly Expr[])[]; readonly line: number }
  | { readonly t: 'cell'; readonly rows: readonly (readonly Expr[])[]; readonly line: number }
  | { readonly t: 'handle'; readonly name?: string; readonly params?: readonly string[]; readonly body?: Expr; readonly line: number };

export type Stmt =
  | { readonly s: 'assign'; readonly targets: readonly Expr[]; readonly rhs: Expr; readonly line: number }
  | { readonly s: 'expr'; readonly e: Expr; readonly line: number }
  | { readonly s: 'if'; readonly clauses: readonly { cond: Expr; body: Stmt[] }[]; readonly otherwise?: Stmt[]; readonly line: number }
  | { readonly s: 'for'; readonly v: string; readonly range: Expr; readonly body: Stmt[]; readonly line: number }
  | { readonly s: 'while'; readonly cond: Expr; readonly body: Stmt[]; readonly line: number }
  | { readonly s: 'switch'; readonly e: Expr; readonly cases: readonly { match: Expr; body: Stmt[] }[]; readonly otherwise?: Stmt[]; readonly line: number }
  | { readonly s: 'try'; readonly body: Stmt[]; readonly handler: Stmt[]; readonly errVar?: string; readonly line: number }
  | { readonly s: 'global'; readonly names: readonly string[]; readonly line: number }
  | { readonly s: 'break' | 'continue' | 'return' | 'nop'; readonly line: number };

export interface FunctionDef {
  readonly name: string;
  readonly params: readonly string[];
  readonly outputs: readonly string[];
  readonly body: readonly Stmt[];
  readonly line: number;
}

export interface Program {
  /** Statements of a script (empty for a function file). */
  readonly script: readonly Stmt[];
  /** Functions in file order; the first is the main function of a function file. */
  readonly functions: readonly FunctionDef[];
}

/** Commands written in command syntax that do nothing when loading a lattice. */
const NOP_COMMANDS = new Set(['clear', 'clc', 'close', 'format', 'more', 'warning', 'hold', 'echo', 'diary', 'clearvars']);

const BLOCK_END = new Set(['end', 'endfunction', 'endif', 'endfor', 'endwhile']);

class Parser {
  private p = 0;
  /** Depth of [] / {} being parsed: whitespace separates elements there. */
  private matrixDepth = 0;
  /** Depth of () / index arguments (inside a matrix, whitespace does not separate there). */
  private parenDepth = 0;

  constructor(
    private readonly toks: Token[],
    private readonly file: string,
  ) {}

  private get tok(): Token {
    return this.toks[this.p];
  }
  private peek(k = 1): Token {
    return this.toks[Math.min(this.p + k, this.toks.length - 1)];
  }
  private fail(msg: string, t: Token = this.tok): never {
    throw new MSyntaxError(this.file, t.line, t.col, msg);
  }
  private isOp(text: string, t: Token = this.tok): boolean {
    return t.type === 'op' && t.text === text;
  }
  private isKw(text: string, t: Token = this.tok): boolean {
    return t.type === 'kw' && t.text === text;
  }
  private expectOp(text: string, opened?: Token): Token {
    if (!this.isOp(text)) {
      const what = this.tok.type === 'eof' ? 'end of file' : this.tok.type === 'nl' ? 'end of line' : `'${this.tok.text}'`;
      if (opened) this.fail(`unbalanced '${opened.text}' opened at line ${opened.line}, column ${opened.col}: expected '${text}', found ${what}`);
      this.fail(`expected '${text}', found ${what}`);
    }
    return this.toks[this.p++];
  }
  private skipNewlines(): void {
    while (this.tok.type === 'nl' || this.isOp(';') || this.isOp(',')) this.p++;
  }

  program(): Program {
    const script: Stmt[] = [];
    const functions: FunctionDef[] = [];
    this.skipNewlines();
    while (this.tok.type !== 'eof') {
      if (this.isKw('function')) functions.push(...this.functionDef());
      else script.push(this.statement());
      this.skipNewlines();
    }
    return { script, functions };
  }

  /** A function definition; nested functions are returned after it. */
  private functionDef(): FunctionDef[] {
    const start = this.tok;
    this.p++; // function
    let outputs: string[] = [];
    let name: string;
    // Forms: function name, function name(args), function out = name(args), function [a,b] = name(args)
    if (this.isOp('[')) {
      this.p++;
      while (!this.isOp(']')) {
        if (this.tok.type !== 'id') this.fail('expected an output name');
        outputs.push(this.tok.text);
        this.p++;
        if (this.isOp(',')) this.p++;
      }
      this.p++;
      this.expectOp('=');
      name = this.ident();
    } else {
      const first = this.ident();
      if (this.isOp('=')) {
        this.p++;
        outputs = [first];
        name = this.ident();
      } else name = first;
    }
    const params: string[] = [];
    if (this.isOp('(')) {
      const open = this.tok;
      this.p++;
      while (!this.isOp(')')) {
        if (this.tok.type === 'id') params.push(this.tok.text);
        else if (this.isOp('~')) params.push('~');
        else this.fail(`bad parameter list of function '${name}'`);
        this.p++;
        if (this.isOp(',')) this.p++;
        else if (!this.isOp(')')) this.expectOp(')', open);
      }
      this.p++;
    }
    const nested: FunctionDef[] = [];
    const body: Stmt[] = [];
    this.skipNewlines();
    while (this.tok.type !== 'eof' && !this.isKw('function') && !(this.tok.type === 'kw' && BLOCK_END.has(this.tok.text))) {
      body.push(this.statement());
      this.skipNewlines();
    }
    // Nested functions (or, in a file without 'end', the following subfunctions:
    // all functions share one table, so both readings give the same program).
    while (this.isKw('function')) {
      nested.push(...this.functionDef());
      this.skipNewlines();
    }
    if (this.tok.type === 'kw' && BLOCK_END.has(this.tok.text)) this.p++;
    return [{ name, params, outputs, body, line: start.line }, ...nested];
  }

  private ident(): string {
    if (this.tok.type !== 'id') this.fail(`expected a name, found '${this.tok.text}'`);
    return this.toks[this.p++].text;
  }

  private block(terminators: readonly string[]): Stmt[] {
    const body: Stmt[] = [];
    this.skipNewlines();
    while (!(this.tok.type === 'kw' && terminators.includes(this.tok.text))) {
      if (this.tok.type === 'eof') this.fail(`missing '${terminators[0]}'`);
      body.push(this.statement());
      this.skipNewlines();
    }
    return body;
  }

  private endBlock(opened: Token): void {
    if (!(this.tok.type === 'kw' && BLOCK_END.has(this.tok.text))) this.fail(`'${opened.text}' at line ${opened.line} has no 'end'`);
    this.p++;
  }

  private statement(): Stmt {
    const t = this.tok;
    const line = t.line;
    if (t.type === 'kw') {
      switch (t.text) {
        case 'if': {
          this.p++;
          const clauses: { cond: Expr; body: Stmt[] }[] = [];
          let cond = this.expr();
          let body = this.block(['elseif', 'else', 'end', 'endif']);
          clauses.push({ cond, body });
          let otherwise: Stmt[] | undefined;
          while (this.isKw('elseif')) {
            this.p++;
            cond = this.expr();
            body = this.block(['elseif', 'else', 'end', 'endif']);
            clauses.push({ cond, body });
          }
          if (this.isKw('else')) {
            this.p++;
            otherwise = this.block(['end', 'endif']);
          }
          this.endBlock(t);
          return { s: 'if', clauses, otherwise, line };
        }
        case 'for':
        case 'parfor': {
          this.p++;
          const paren = this.isOp('(');
          if (paren) this.p++;
          const v = this.ident();
          this.expectOp('=');
          const range = this.expr();
          if (paren) this.expectOp(')');
          const body = this.block(['end', 'endfor']);
          this.endBlock(t);
          return { s: 'for', v, range, body, line };
        }
        case 'while': {
          this.p++;
          const cond = this.expr();
          const body = this.block(['end', 'endwhile']);
          this.endBlock(t);
          return { s: 'while', cond, body, line };
        }
        case 'switch': {
          this.p++;
          const e = this.expr();
          this.skipNewlines();
          const cases: { match: Expr; body: Stmt[] }[] = [];
          let otherwise: Stmt[] | undefined;
          while (this.isKw('case')) {
            this.p++;
            const match = this.expr();
            cases.push({ match, body: this.block(['case', 'otherwise', 'end']) });
          }
          if (this.isKw('otherwise')) {
            this.p++;
            otherwise = this.block(['end']);
          }
          this.endBlock(t);
          return { s: 'switch', e, cases, otherwise, line };
        }
        case 'try': {
          this.p++;
          const body = this.block(['catch', 'end']);
          let handler: Stmt[] = [];
          let errVar: string | undefined;
          if (this.isKw('catch')) {
            this.p++;
            if (this.tok.type === 'id' && this.peek().type === 'nl') errVar = this.ident();
            handler = this.block(['end']);
          }
          this.endBlock(t);
          return { s: 'try', body, handler, errVar, line };
        }
        case 'global':
        case 'persistent': {
          this.p++;
          const names: string[] = [];
          while (this.tok.type === 'id') names.push(this.toks[this.p++].text);
          return { s: 'global', names, line };
        }
        case 'break':
        case 'continue':
        case 'return':
          this.p++;
          return { s: t.text, line };
        default:
          this.fail(`unexpected '${t.text}'`);
      }
    }
    // Command syntax for harmless commands: "clear all", "format long", "close all".
    if (t.type === 'id' && NOP_COMMANDS.has(t.text) && (this.peek().type === 'id' || this.peek().type === 'nl' || this.isOp(';', this.peek()))) {
      while (this.tok.type !== 'nl' && !this.isOp(';') && !this.isOp(',') && this.tok.type !== 'eof') this.p++;
      return { s: 'nop', line };
    }
    // Multiple assignment [a, b] = f(...)
    if (this.isOp('[')) {
      const save = this.p;
      const targets = this.tryTargetList();
      if (targets && this.isOp('=') && !this.isOp('=', this.peek())) {
        this.p++;
        const rhs = this.expr();
        return { s: 'assign', targets, rhs, line };
      }
      this.p = save;
    }
    const e = this.expr();
    if (this.isOp('=')) {
      if (!isTarget(e)) this.fail('invalid assignment target', t);
      this.p++;
      const rhs = this.expr();
      return { s: 'assign', targets: [e], rhs, line };
    }
    return { s: 'expr', e, line };
  }

  private tryTargetList(): Expr[] | undefined {
    this.p++; // [
    const targets: Expr[] = [];
    try {
      while (!this.isOp(']')) {
        if (this.isOp('~')) {
          this.p++;
          targets.push({ t: 'id', name: '~', line: this.tok.line });
        } else {
          this.matrixDepth++;
          const e = this.postfix();
          this.matrixDepth--;
          if (!isTarget(e)) return undefined;
          targets.push(e);
        }
        if (this.isOp(',')) this.p++;
        else if (!this.isOp(']') && !this.tok.space) return undefined;
      }
      this.p++;
      return targets;
    } catch {
      return undefined;
    }
  }

  // ---------------------------------------------------------------- expressions

  expr(): Expr {
    return this.oror();
  }

  private binaryLevel(ops: readonly string[], next: () => Expr): Expr {
    let l = next();
    for (;;) {
      const t = this.tok;
      if (t.type !== 'op' || !ops.includes(t.text) || this.elementBreak()) return l;
      this.p++;
      this.skipMatrixNewlines();
      const r = next();
      l = { t: 'bin', op: t.text === '!=' ? '~=' : t.text, l, r, line: t.line };
    }
  }

  private skipMatrixNewlines(): void {
    // A newline right after a binary operator inside brackets continues the expression.
    if (this.matrixDepth > 0 && this.parenDepth === 0) while (this.tok.type === 'nl') this.p++;
  }

  /**
   * Inside [] or {}, "a -b" starts a new element while "a - b" and "a-b" do not:
   * a + or - preceded by whitespace and followed directly by its operand.
   */
  private elementBreak(): boolean {
    if (this.matrixDepth === 0 || this.parenDepth > 0) return false;
    const t = this.tok;
    if (!(t.type === 'op' && (t.text === '+' || t.text === '-'))) return false;
    return t.space && !this.peek().space;
  }

  private oror(): Expr {
    return this.binaryLevel(['||'], () => this.andand());
  }
  private andand(): Expr {
    return this.binaryLevel(['&&'], () => this.or());
  }
  private or(): Expr {
    return this.binaryLevel(['|'], () => this.and());
  }
  private and(): Expr {
    return this.binaryLevel(['&'], () => this.comparison());
  }
  private comparison(): Expr {
    return this.binaryLevel(['==', '~=', '!=', '<', '<=', '>', '>='], () => this.range());
  }
  private range(): Expr {
    const start = this.additive();
    if (!this.isOp(':')) return start;
    const line = this.tok.line;
    this.p++;
    const second = this.additive();
    if (this.isOp(':')) {
      this.p++;
      const third = this.additive();
      return { t: 'range', start, step: second, stop: third, line };
    }
    return { t: 'range', start, stop: second, line };
  }
  private additive(): Expr {
    return this.binaryLevel(['+', '-'], () => this.multiplicative());
  }
  private multiplicative(): Expr {
    return this.binaryLevel(['*', '/', '.*', './', '\\', '.\\'], () => this.unary());
  }
  private unary(): Expr {
    const t = this.tok;
    if (t.type === 'op' && (t.text === '-' || t.text === '+' || t.text === '~' || t.text === '!')) {
      this.p++;
      const e = this.unary();
      return { t: 'un', op: t.text === '!' ? '~' : t.text, e, line: t.line };
    }
    return this.power();
  }
  private power(): Expr {
    let base = this.postfix();
    while (this.isOp('^') || this.isOp('.^')) {
      const t = this.toks[this.p++];
      // The exponent may carry its own unary sign: 2^-1.
      let exp: Expr;
      const u = this.tok;
      if (u.type === 'op' && (u.text === '-' || u.text === '+' || u.text === '~')) {
        this.p++;
        exp = { t: 'un', op: u.text, e: this.postfix(), line: u.line };
      } else exp = this.postfix();
      base = { t: 'bin', op: t.text, l: base, r: exp, line: t.line };
    }
    return base;
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      const t = this.tok;
      // Inside a matrix, "a (1)" is two elements.
      if (this.matrixDepth > 0 && this.parenDepth === 0 && t.space && (this.isOp('(') || this.isOp('{'))) return e;
      if (this.isOp('(') || this.isOp('{')) {
        const brace = t.text === '{';
        this.p++;
        const args = this.args(brace ? '}' : ')', t);
        e = { t: 'index', base: e, args, brace, line: t.line };
      } else if (this.isOp('.') && !t.space) {
        this.p++;
        if (this.isOp('(')) {
          const open = this.toks[this.p++];
          this.parenDepth++;
          const name = this.expr();
          this.parenDepth--;
          this.expectOp(')', open);
          e = { t: 'field', base: e, name, line: t.line };
        } else {
          const nt = this.tok;
          if (nt.type !== 'id' && nt.type !== 'kw') this.fail('expected a field name after "."');
          this.p++;
          e = { t: 'field', base: e, name: nt.text, line: t.line };
        }
      } else if ((this.isOp("'") || this.isOp(".'")) && !t.space) {
        this.p++;
        e = { t: 'post', op: t.text, e, line: t.line };
      } else return e;
    }
  }

  private args(close: string, open: Token): Expr[] {
    const args: Expr[] = [];
    this.parenDepth++;
    const saveMatrix = this.matrixDepth;
    this.matrixDepth = 0;
    if (!this.isOp(close)) {
      for (;;) {
        if (this.isOp(':') && (this.isOp(',', this.peek()) || this.isOp(close, this.peek()))) {
          args.push({ t: 'colon', line: this.tok.line });
          this.p++;
        } else args.push(this.expr());
        if (this.isOp(',')) {
          this.p++;
          continue;
        }
        break;
      }
    }
    this.matrixDepth = saveMatrix;
    this.parenDepth--;
    this.expectOp(close, open);
    return args;
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.type) {
      case 'num':
        this.p++;
        return { t: 'num', v: t.value as number, line: t.line };
      case 'str':
        this.p++;
        return { t: 'str', v: t.text, line: t.line };
      case 'id':
        this.p++;
        return { t: 'id', name: t.text, line: t.line };
      case 'kw':
        if (t.text === 'end') {
          this.p++;
          return { t: 'end', line: t.line };
        }
        this.fail(`unexpected keyword '${t.text}'`);
        break;
      case 'op':
        if (t.text === '(') {
          this.p++;
          this.parenDepth++;
          const save = this.matrixDepth;
          this.matrixDepth = 0;
          const e = this.expr();
          this.matrixDepth = save;
          this.parenDepth--;
          this.expectOp(')', t);
          return { t: 'post', op: '()', e, line: t.line };
        }
        if (t.text === '[' || t.text === '{') return this.matrix(t);
        if (t.text === '@') {
          this.p++;
          if (this.isOp('(')) {
            const open = this.toks[this.p++];
            const params: string[] = [];
            while (!this.isOp(')')) {
              params.push(this.ident());
              if (this.isOp(',')) this.p++;
              else if (!this.isOp(')')) this.expectOp(')', open);
            }
            this.p++;
            const save = this.matrixDepth;
            this.matrixDepth = 0;
            const body = this.expr();
            this.matrixDepth = save;
            return { t: 'handle', params, body, line: t.line };
          }
          return { t: 'handle', name: this.ident(), line: t.line };
        }
        if (t.text === ':') {
          this.p++;
          return { t: 'colon', line: t.line };
        }
        break;
      default:
        break;
    }
    const what = t.type === 'eof' ? 'end of file' : t.type === 'nl' ? 'end of line' : `'${t.text}'`;
    this.fail(`unexpected ${what}`);
  }

  private matrix(open: Token): Expr {
    const close = open.text === '[' ? ']' : '}';
    this.p++;
    const rows: Expr[][] = [];
    let row: Expr[] = [];
    const saveParen = this.parenDepth;
    this.parenDepth = 0;
    this.matrixDepth++;
    for (;;) {
      const t = this.tok;
      if (this.isOp(close)) {
        this.p++;
        break;
      }
      if (t.type === 'eof') this.expectOp(close, open);
      if (t.type === 'op' && (t.text === ')' || t.text === ']' || t.text === '}')) this.expectOp(close, open);
      if (t.type === 'nl' || this.isOp(';')) {
        if (row.length) rows.push(row);
        row = [];
        this.p++;
        continue;
      }
      if (this.isOp(',')) {
        this.p++;
        continue;
      }
      if (t.type === 'kw') this.expectOp(close, open);
      row.push(this.expr());
    }
    if (row.length) rows.push(row);
    this.matrixDepth--;
    this.parenDepth = saveParen;
    return close === ']' ? { t: 'matrix', rows, line: open.line } : { t: 'cell', rows, line: open.line };
  }
}

function isTarget(e: Expr): boolean {
  if (e.t === 'id') return true;
  if (e.t === 'index') return isTarget(e.base);
  if (e.t === 'field') return isTarget(e.base);
  return false;
}

export function parseProgram(src: string, file: string): Program {
  return new Parser(tokenize(src, file), file).program();
}
