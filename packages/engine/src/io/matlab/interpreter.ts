/**
 * Tree-walking interpreter for the MATLAB subset of AT lattice files:
 * variables, globals, user functions (main, subfunctions, nested, handles),
 * control flow, indexing with (), {} and fields, `end` in indices, indexed
 * assignment with growth, element-wise and matrix arithmetic, concatenation of
 * numbers, strings, cells and structs. Builtin functions are supplied by the
 * caller (see builtins.ts and at-functions.ts).
 */
import { MRuntimeError } from './errors.js';
import type { Expr, FunctionDef, Program, Stmt } from './parser.js';
import { EMPTY, bool, cellRow, dims, num, numel, row, str, structOf, typeName, type CellV, type NumV, type StructV, type Value } from './values.js';

export interface CallContext {
  readonly line: number;
  readonly interp: Interpreter;
}
export type Builtin = (args: Value[], nargout: number, ctx: CallContext) => Value[];

class BreakSignal {}
class ContinueSignal {}
class ReturnSignal {}

class Scope {
  readonly vars = new Map<string, Value>();
  readonly globals = new Set<string>();
  constructor(readonly fn?: FunctionDef) {}
}

type IndexArg = number[] | 'all';
type Accessor = { a: 'paren' | 'brace'; idx: IndexArg[] } | { a: 'field'; name: string };

/**
 * What one run may spend: statements executed and function calls (together), and
 * nested calls. A lattice file defines a few thousand elements; a loop that runs
 * for hours or a recursion without end is stopped with an error naming the line.
 */
export interface InterpreterLimits {
  /** Statements executed plus functions called (default 5,000,000). */
  readonly maxOperations?: number;
  /** Nested calls of user and anonymous functions (default 200). */
  readonly maxDepth?: number;
}

export const DEFAULT_INTERPRETER_LIMITS: Required<InterpreterLimits> = { maxOperations: 5_000_000, maxDepth: 200 };

export class Interpreter {
  readonly globals = new Map<string, Value>();
  private readonly functions = new Map<string, FunctionDef>();
  private endStack: { v: Value; dim: number; n: number }[] = [];
  private currentLine = 0;
  private operations = 0;
  private depth = 0;
  private readonly limits: Required<InterpreterLimits>;

  constructor(
    private readonly builtins: ReadonlyMap<string, Builtin>,
    limits: InterpreterLimits = {},
  ) {
    this.limits = { ...DEFAULT_INTERPRETER_LIMITS, ...limits };
  }

  /** Counts one operation against the budget. */
  private spend(line: number): void {
    if (++this.operations > this.limits.maxOperations) {
      this.fail(`the file runs more than ${this.limits.maxOperations.toLocaleString('en')} statements and calls, the budget of a lattice file (a loop far too long, or one that does not end?)`, line);
    }
  }

  /** Runs a function body one call deeper, within the depth limit. */
  private nested<T>(name: string, line: number, body: () => T): T {
    this.spend(line);
    if (this.depth >= this.limits.maxDepth) this.fail(`calls nested more than ${this.limits.maxDepth} deep (calling '${name}'): recursion that does not end?`, line);
    this.depth++;
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  /** Line of the statement being run (for errors raised outside the interpreter). */
  get line(): number {
    return this.currentLine;
  }

  fail(msg: string, line = this.currentLine): never {
    throw new MRuntimeError(line, msg);
  }

  /**
   * Runs a program: the main function of a function file (first output
   * returned), or the statements of a script (its workspace returned).
   */
  run(program: Program): { output?: Value; workspace: ReadonlyMap<string, Value> } {
    for (const f of program.functions) if (!this.functions.has(f.name)) this.functions.set(f.name, f);
    if (program.script.length === 0 && program.functions.length > 0) {
      const main = program.functions[0];
      const out = this.callUser(main, [], main.outputs.length ? 1 : 0, main.line);
      return { output: out[0], workspace: new Map() };
    }
    const scope = new Scope();
    this.execBlock(program.script, scope);
    return { workspace: scope.vars };
  }

  // ---------------------------------------------------------------- statements

  private execBlock(body: readonly Stmt[], scope: Scope): void {
    for (const s of body) this.exec(s, scope);
  }

  private exec(s: Stmt, scope: Scope): void {
    this.currentLine = s.line;
    this.spend(s.line);
    switch (s.s) {
      case 'assign': {
        if (s.targets.length === 1) {
          const v = this.evalOne(s.rhs, scope);
          this.assign(s.targets[0], v, scope);
        } else {
          const vals = this.evalMulti(s.rhs, scope, s.targets.length);
          if (vals.length < s.targets.length) this.fail(`too many output arguments (${s.targets.length}, got ${vals.length})`);
          s.targets.forEach((t, i) => {
            if (!(t.t === 'id' && t.name === '~')) this.assign(t, vals[i], scope);
          });
        }
        return;
      }
      case 'expr': {
        const e = s.e;
        // A bare name or call as a statement: call with nargout = 0.
        if (e.t === 'id' || (e.t === 'index' && e.base.t === 'id' && !e.brace)) this.evalMulti(e, scope, 0);
        else this.evalAll(e, scope);
        return;
      }
      case 'if':
        for (const c of s.clauses) {
          if (this.truthy(this.evalOne(c.cond, scope))) {
            this.execBlock(c.body, scope);
            return;
          }
        }
        if (s.otherwise) this.execBlock(s.otherwise, scope);
        return;
      case 'for': {
        const r = this.evalOne(s.range, scope);
        const [nr, nc] = dims(r);
        for (let j = 0; j < nc; j++) {
          let v: Value;
          if (r.k === 'num') v = nr === 1 ? num(r.d[j]) : { k: 'num', r: nr, c: 1, d: r.d.slice(j * nr, (j + 1) * nr) };
          else if (r.k === 'cell') v = { k: 'cell', r: nr, c: 1, d: r.d.slice(j * nr, (j + 1) * nr) };
          else if (r.k === 'char') v = str(r.s[j]);
          else if (r.k === 'struct') v = { k: 'struct', r: 1, c: 1, d: [r.d[j]] };
          else this.fail('cannot iterate over a function handle', s.line);
          // Every iteration counts, so a loop with an empty body cannot escape the budget.
          this.spend(s.line);
          this.setVar(scope, s.v, v);
          try {
            this.execBlock(s.body, scope);
          } catch (sig) {
            if (sig instanceof BreakSignal) break;
            if (sig instanceof ContinueSignal) continue;
            throw sig;
          }
        }
        return;
      }
      case 'while':
        while (this.truthy(this.evalOne(s.cond, scope))) {
          this.spend(s.line);
          try {
            this.execBlock(s.body, scope);
          } catch (sig) {
            if (sig instanceof BreakSignal) break;
            if (sig instanceof ContinueSignal) continue;
            throw sig;
          }
        }
        return;
      case 'switch': {
        const v = this.evalOne(s.e, scope);
        for (const c of s.cases) {
          const m = this.evalOne(c.match, scope);
          const options = m.k === 'cell' ? m.d : [m];
          if (options.some((o) => this.switchMatch(v, o))) {
            this.execBlock(c.body, scope);
            return;
          }
        }
        if (s.otherwise) this.execBlock(s.otherwise, scope);
        return;
      }
      case 'try':
        try {
          this.execBlock(s.body, scope);
        } catch (e) {
          if (e instanceof BreakSignal || e instanceof ContinueSignal || e instanceof ReturnSignal) throw e;
          if (s.errVar) this.setVar(scope, s.errVar, structOf(new Map([['message', str((e as Error).message)]])));
          this.execBlock(s.handler, scope);
        }
        return;
      case 'global':
        for (const n of s.names) {
          scope.globals.add(n);
          if (!this.globals.has(n)) this.globals.set(n, EMPTY);
        }
        return;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
      case 'return':
        throw new ReturnSignal();
      case 'nop':
        return;
    }
  }

  private switchMatch(v: Value, o: Value): boolean {
    if (v.k === 'char' && o.k === 'char') return v.s === o.s;
    if (v.k === 'num' && o.k === 'num' && numel(v) === 1 && numel(o) === 1) return v.d[0] === o.d[0];
    return false;
  }

  truthy(v: Value): boolean {
    if (v.k === 'num') return v.d.length > 0 && v.d.every((x) => x !== 0 && !Number.isNaN(x));
    if (v.k === 'char') return v.s.length > 0 && [...v.s].every((c) => c.charCodeAt(0) !== 0);
    this.fail(`a ${typeName(v)} value cannot be used as a condition`);
  }

  private getVar(scope: Scope, name: string): Value | undefined {
    return scope.globals.has(name) ? this.globals.get(name) : scope.vars.get(name);
  }

  private setVar(scope: Scope, name: string, v: Value): void {
    if (scope.globals.has(name)) this.globals.set(name, v);
    else scope.vars.set(name, v);
  }

  // ---------------------------------------------------------------- assignment

  private assign(target: Expr, rhs: Value, scope: Scope): void {
    const path: Accessor[] = [];
    let e = target;
    const chain: Expr[] = [];
    while (e.t === 'index' || e.t === 'field') {
      chain.unshift(e);
      e = e.base;
    }
    if (e.t !== 'id') this.fail('invalid assignment target', target.line);
    const name = e.name;
    let current = this.getVar(scope, name);
    // Resolve the accessors, evaluating indices against the current value (for 'end').
    let cursor: Value | undefined = current;
    for (const c of chain) {
      if (c.t === 'field') {
        const fname = typeof c.name === 'string' ? c.name : this.asString(this.evalOne(c.name, scope), 'dynamic field name');
        path.push({ a: 'field', name: fname });
        cursor = cursor && cursor.k === 'struct' && cursor.d.length === 1 ? cursor.d[0].get(fname) : undefined;
      } else if (c.t === 'index') {
        const idx = this.evalIndexArgs(c.args, cursor ?? EMPTY, scope);
        path.push({ a: c.brace ? 'brace' : 'paren', idx });
        cursor = undefined;
      }
    }
    current = this.assignPath(current, path, rhs, target.line);
    this.setVar(scope, name, current);
  }

  private assignPath(base: Value | undefined, path: readonly Accessor[], rhs: Value, line: number): Value {
    if (path.length === 0) return rhs;
    const [head, ...rest] = path;
    if (head.a === 'field') {
      let s: StructV;
      if (base === undefined || (base.k === 'num' && base.d.length === 0)) s = structOf(new Map(), line);
      else if (base.k === 'struct') {
        if (base.d.length !== 1) this.fail(`field assignment '.${head.name}' to a struct array needs an index`, line);
        s = base;
      } else this.fail(`cannot set field '${head.name}' of a ${typeName(base)} value`, line);
      const fields = new Map(s.d[0]);
      fields.set(head.name, this.assignPath(fields.get(head.name), rest, rhs, line));
      // Keep the field set of a struct array consistent.
      return { k: 'struct', r: 1, c: 1, d: [fields], lines: s.lines };
    }
    if (head.a === 'brace') {
      const c: CellV = base === undefined || (base.k === 'num' && base.d.length === 0) ? { k: 'cell', r: 0, c: 0, d: [] } : this.expectCell(base, line);
      const [lin] = this.linearTargets(c.r, c.c, head.idx, line);
      if (lin.length !== 1) this.fail('brace assignment needs a single index', line);
      const grown = this.grow(c, head.idx, line) as CellV;
      const d = [...grown.d];
      d[this.linearTargets(grown.r, grown.c, head.idx, line)[0][0]] = this.assignPath(d[lin[0]], rest, rhs, line);
      return { ...grown, d };
    }
    // paren
    if (rest.length > 0) {
      // a(i).f = v  or  a(i){...}: operate on the single selected element.
      const b: Value = base ?? structOf(new Map(), line);
      if (b.k !== 'struct' && !(b.k === 'num' && b.d.length === 0)) this.fail(`cannot index into a ${typeName(b)} value here`, line);
      const s: StructV = b.k === 'struct' ? b : { k: 'struct', r: 0, c: 0, d: [] };
      const grown = this.grow(s, head.idx, line) as StructV;
      const [lin] = this.linearTargets(grown.r, grown.c, head.idx, line);
      if (lin.length !== 1) this.fail('indexed field assignment needs a single index', line);
      const elem: StructV = { k: 'struct', r: 1, c: 1, d: [grown.d[lin[0]] ?? new Map()] };
      const updated = this.assignPath(elem, rest, rhs, line) as StructV;
      const d = [...grown.d];
      d[lin[0]] = updated.d[0];
      return this.unifyFields({ k: 'struct', r: grown.r, c: grown.c, d });
    }
    const b: Value = base ?? (rhs.k === 'cell' ? { k: 'cell', r: 0, c: 0, d: [] } : rhs.k === 'struct' ? { k: 'struct', r: 0, c: 0, d: [] } : EMPTY);
    // Deletion: a(idx) = []
    if (rhs.k === 'num' && rhs.d.length === 0 && (b.k === 'num' || b.k === 'cell' || b.k === 'struct')) {
      const [lin] = this.linearTargets(b.r, b.c, head.idx, line);
      const drop = new Set(lin);
      const keep = (b.d as unknown[]).filter((_, i) => !drop.has(i));
      const asRow = b.r <= 1;
      return { ...b, r: asRow ? (keep.length ? 1 : 0) : keep.length, c: asRow ? keep.length : 1, d: keep } as Value;
    }
    const kind = b.k === 'num' && b.d.length === 0 ? rhs.k : b.k;
    let target: Value = b.k === 'num' && b.d.length === 0 && kind !== 'num' ? ({ k: kind, r: 0, c: 0, d: [] } as Value) : b;
    if (target.k === 'char') target = { k: 'num', r: 1, c: target.s.length, d: [...target.s].map((ch) => ch.charCodeAt(0)) };
    if (target.k === 'func') this.fail('cannot index into a function handle', line);
    const grown = this.grow(target, head.idx, line);
    const [lin] = this.linearTargets(grown.r, grown.c, head.idx, line);
    const src: unknown[] = this.elementsOf(rhs, grown.k, line);
    if (src.length !== 1 && src.length !== lin.length) this.fail(`assignment of ${src.length} values to ${lin.length} positions`, line);
    const d = [...(grown.d as unknown[])];
    lin.forEach((p, i) => {
      d[p] = src.length === 1 ? src[0] : src[i];
    });
    const out = { ...grown, d } as Value;
    return out.k === 'struct' ? this.unifyFields(out) : out;
  }

  private elementsOf(v: Value, kind: 'num' | 'cell' | 'struct', line: number): unknown[] {
    if (kind === 'num') {
      if (v.k === 'num') return v.d;
      if (v.k === 'char') return [...v.s].map((c) => c.charCodeAt(0));
      this.fail(`cannot assign a ${typeName(v)} value into a numeric array`, line);
    }
    if (kind === 'cell') {
      if (v.k === 'cell') return v.d;
      this.fail(`cannot assign a ${typeName(v)} value into a cell array with (); use {}`, line);
    }
    if (v.k === 'struct') return v.d;
    this.fail(`cannot assign a ${typeName(v)} value into a struct array`, line);
  }

  private unifyFields(s: StructV): StructV {
    const names = new Set<string>();
    for (const m of s.d) if (m) for (const k of m.keys()) names.add(k);
    const d = s.d.map((m) => {
      const out = new Map(m ?? []);
      for (const n of names) if (!out.has(n)) out.set(n, EMPTY);
      return out;
    });
    return { ...s, d };
  }

  private expectCell(v: Value, line: number): CellV {
    if (v.k !== 'cell') this.fail(`brace indexing of a ${typeName(v)} value (not a cell array)`, line);
    return v;
  }

  /** Grows an array so that the indices fit (new slots filled with 0, [] or empty structs). */
  private grow(v: NumV | CellV | StructV, idx: IndexArg[], line: number): NumV | CellV | StructV {
    const fill = (): unknown => (v.k === 'num' ? 0 : v.k === 'cell' ? EMPTY : new Map<string, Value>());
    const maxOf = (a: IndexArg, n: number): number => (a === 'all' ? n : a.length ? Math.max(...a) : 0);
    if (idx.length === 1) {
      const need = maxOf(idx[0], v.r * v.c);
      if (need <= v.r * v.c) return v;
      if (v.r > 1 && v.c > 1) this.fail(`index ${need} out of bounds of a ${v.r}x${v.c} array`, line);
      const d = [...(v.d as unknown[])];
      while (d.length < need) d.push(fill());
      const col = v.c === 1 && v.r > 1;
      return { ...v, r: col ? need : 1, c: col ? 1 : need, d } as NumV | CellV | StructV;
    }
    if (idx.length === 2) {
      const nr = Math.max(v.r, maxOf(idx[0], v.r));
      const nc = Math.max(v.c, maxOf(idx[1], v.c));
      if (nr === v.r && nc === v.c) return v;
      const d: unknown[] = new Array(nr * nc);
      for (let j = 0; j < nc; j++) for (let i = 0; i < nr; i++) d[i + j * nr] = i < v.r && j < v.c ? (v.d as unknown[])[i + j * v.r] : fill();
      return { ...v, r: nr, c: nc, d } as NumV | CellV | StructV;
    }
    this.fail('arrays of more than 2 dimensions are not supported', line);
  }

  /** Linear (0-based) positions selected by the indices, and the result shape. */
  private linearTargets(r: number, c: number, idx: IndexArg[], line: number): [number[], number, number] {
    if (idx.length === 1) {
      const a = idx[0];
      const lin = a === 'all' ? Array.from({ length: r * c }, (_, i) => i) : a.map((x) => x - 1);
      return [lin, 1, lin.length];
    }
    if (idx.length === 2) {
      const rows = idx[0] === 'all' ? Array.from({ length: r }, (_, i) => i + 1) : idx[0];
      const cols = idx[1] === 'all' ? Array.from({ length: c }, (_, i) => i + 1) : idx[1];
      const lin: number[] = [];
      for (const j of cols) for (const i of rows) lin.push(i - 1 + (j - 1) * r);
      return [lin, rows.length, cols.length];
    }
    // Trailing singleton indices a(i, j, 1) are accepted.
    if (idx.slice(2).every((x) => x !== 'all' && x.length === 1 && x[0] === 1)) return this.linearTargets(r, c, idx.slice(0, 2), line);
    this.fail('arrays of more than 2 dimensions are not supported', line);
  }

  // ---------------------------------------------------------------- expressions

  evalOne(e: Expr, scope: Scope): Value {
    const vs = this.evalMulti(e, scope, 1);
    if (vs.length === 0) this.fail('expression produced no value', e.line);
    return vs[0];
  }

  /** Evaluates to all values of a comma-separated list (c{:}, s.f of a struct array). */
  private evalAll(e: Expr, scope: Scope): Value[] {
    if (e.t === 'index' && e.brace) return this.evalMulti(e, scope, -1);
    if (e.t === 'field') return this.evalMulti(e, scope, -1);
    return [this.evalOne(e, scope)];
  }

  private evalMulti(e: Expr, scope: Scope, nargout: number): Value[] {
    switch (e.t) {
      case 'num':
        return [num(e.v)];
      case 'str':
        return [str(e.v)];
      case 'colon':
        this.fail("':' outside an index", e.line);
        break;
      case 'end': {
        const top = this.endStack[this.endStack.length - 1];
        if (!top) this.fail("'end' outside an index", e.line);
        const [r, c] = dims(top.v);
        if (top.n === 1) return [num(r * c)];
        return [num(top.dim === 0 ? r : top.dim === 1 ? c : 1)];
      }
      case 'id': {
        const v = this.getVar(scope, e.name);
        if (v !== undefined) return [v];
        return this.callNamed(e.name, [], nargout, e.line, scope);
      }
      case 'un': {
        const v = this.evalOne(e.e, scope);
        if (e.op === '+') return [v];
        if (e.op === '-') return [this.mapNum(v, (x) => -x, e.line)];
        return [{ ...this.mapNum(v, (x) => (x === 0 ? 1 : 0), e.line), logical: true }];
      }
      case 'post': {
        const v = this.evalOne(e.e, scope);
        if (e.op === '()') return [v];
        return [this.transpose(v, e.line)];
      }
      case 'bin': {
        if (e.op === '&&' || e.op === '||') {
          const l = this.truthy(this.evalOne(e.l, scope));
          if (e.op === '&&' && !l) return [bool(false)];
          if (e.op === '||' && l) return [bool(true)];
          return [bool(this.truthy(this.evalOne(e.r, scope)))];
        }
        return [this.binary(e.op, this.evalOne(e.l, scope), this.evalOne(e.r, scope), e.line)];
      }
      case 'range': {
        const a = this.scalarOf(this.evalOne(e.start, scope), 'range start', e.line);
        const step = e.step ? this.scalarOf(this.evalOne(e.step, scope), 'range step', e.line) : 1;
        const b = this.scalarOf(this.evalOne(e.stop, scope), 'range end', e.line);
        if (step === 0 || (step > 0 && a > b) || (step < 0 && a < b)) return [{ k: 'num', r: 1, c: 0, d: [] }];
        const n = Math.floor((b - a) / step + 1e-10) + 1;
        if (n > this.limits.maxOperations) this.fail(`range of ${n.toLocaleString('en')} elements: longer than the budget of a lattice file (${this.limits.maxOperations.toLocaleString('en')})`, e.line);
        return [row(Array.from({ length: n }, (_, i) => a + i * step))];
      }
      case 'matrix':
        return [this.concatRows(e.rows.map((r) => r.flatMap((x) => this.evalAll(x, scope))), e.line)];
      case 'cell': {
        const rows = e.rows.map((r) => r.flatMap((x) => this.evalAll(x, scope)).map((v) => cellRow([v])));
        return [this.concatRows(rows, e.line)];
      }
      case 'handle': {
        if (e.name !== undefined) {
          const name = e.name;
          return [{ k: 'func', name, call: (args, n) => this.callNamed(name, args, n, e.line, scope) }];
        }
        const params = e.params ?? [];
        const body = e.body as Expr;
        const captured = new Map(scope.vars);
        return [
          {
            k: 'func',
            name: 'anonymous',
            call: (args) =>
              this.nested('anonymous function', e.line, () => {
                const s = new Scope();
                for (const [k, v] of captured) s.vars.set(k, v);
                params.forEach((p, i) => s.vars.set(p, args[i] ?? EMPTY));
                return [this.evalOne(body, s)];
              }),
          },
        ];
      }
      case 'field': {
        const bases = this.evalAll(e.base, scope);
        const fname = typeof e.name === 'string' ? e.name : this.asString(this.evalOne(e.name, scope), 'dynamic field name');
        const out: Value[] = [];
        for (const b of bases) {
          if (b.k !== 'struct') this.fail(`field '.${fname}' of a ${typeName(b)} value (not a struct)`, e.line);
          for (const m of b.d) {
            const v = m.get(fname);
            if (v === undefined) this.fail(`no field '${fname}' in the struct`, e.line);
            out.push(v);
          }
        }
        return out;
      }
      case 'index':
        return this.evalIndex(e, scope, nargout);
    }
    return [];
  }

  private evalIndex(e: Extract<Expr, { t: 'index' }>, scope: Scope, nargout: number): Value[] {
    // A call of a named function (no variable of that name).
    if (e.base.t === 'id' && this.getVar(scope, e.base.name) === undefined) {
      if (e.brace) this.fail(`undefined variable '${e.base.name}'`, e.line);
      const args = e.args.flatMap((a) => (a.t === 'colon' ? [str(':')] : this.evalAll(a, scope)));
      return this.callNamed(e.base.name, args, nargout, e.line, scope);
    }
    const bases = this.evalAll(e.base, scope);
    if (bases.length !== 1) this.fail('indexing a comma-separated list', e.line);
    const base = bases[0];
    if (base.k === 'func') {
      const args = e.args.flatMap((a) => this.evalAll(a, scope));
      return base.call(args, nargout);
    }
    const idx = this.evalIndexArgs(e.args, base, scope);
    if (e.brace) {
      const c = this.expectCell(base, e.line);
      const [lin] = this.linearTargets(c.r, c.c, idx, e.line);
      return lin.map((p) => {
        if (p < 0 || p >= c.d.length) this.fail(`index ${p + 1} exceeds the ${c.r}x${c.c} cell array`, e.line);
        return c.d[p];
      });
    }
    return [this.subsref(base, idx, e.line)];
  }

  private evalIndexArgs(args: readonly Expr[], base: Value, scope: Scope): IndexArg[] {
    return args.map((a, dim) => {
      if (a.t === 'colon') return 'all';
      this.endStack.push({ v: base, dim, n: args.length });
      try {
        const v = this.evalOne(a, scope);
        if (v.k === 'char' && v.s === ':') return 'all';
        if (v.k !== 'num') this.fail(`index of type ${typeName(v)}`, a.line);
        if (v.logical) {
          const out: number[] = [];
          v.d.forEach((x, i) => {
            if (x) out.push(i + 1);
          });
          return out;
        }
        for (const x of v.d) if (!Number.isInteger(x) || x < 1) this.fail(`index ${x} is not a positive integer`, a.line);
        return v.d;
      } finally {
        this.endStack.pop();
      }
    });
  }

  private subsref(base: Value, idx: IndexArg[], line: number): Value {
    if (base.k === 'func') this.fail('cannot index a function handle with ()', line);
    const [r, c] = dims(base);
    const [lin, nr, nc] = this.linearTargets(r, c, idx, line);
    for (const p of lin) if (p >= r * c) this.fail(`index ${p + 1} exceeds the number of elements (${r * c})`, line);
    // Orientation of a linear index into a vector follows the vector.
    const column = idx.length === 1 && c === 1 && r > 1;
    const rr = idx.length === 1 ? (column ? lin.length : lin.length ? 1 : 0) : nr;
    const cc = idx.length === 1 ? (column ? 1 : lin.length) : nc;
    switch (base.k) {
      case 'num':
        return { k: 'num', r: rr, c: cc, d: lin.map((p) => base.d[p]), logical: base.logical };
      case 'char':
        return str(lin.map((p) => base.s[p]).join(''));
      case 'cell':
        return { k: 'cell', r: rr, c: cc, d: lin.map((p) => base.d[p]) };
      case 'struct':
        return { k: 'struct', r: rr, c: cc, d: lin.map((p) => base.d[p]), lines: base.lines ? lin.map((p) => base.lines?.[p]) : undefined };
    }
  }

  // ---------------------------------------------------------------- calls

  private callNamed(name: string, args: Value[], nargout: number, line: number, _scope: Scope): Value[] {
    const user = this.functions.get(name);
    if (user) return this.callUser(user, args, nargout, line);
    const b = this.builtins.get(name);
    if (b) {
      const saved = this.currentLine;
      this.currentLine = line;
      try {
        return b(args, nargout, { line, interp: this });
      } finally {
        this.currentLine = saved;
      }
    }
    this.fail(`unknown function or variable '${name}'`, line);
  }

  /** Calls a function value or a function by name (for builtins such as cellfun). */
  callValue(f: Value, args: Value[], nargout: number, line: number): Value[] {
    if (f.k === 'func') return f.call(args, nargout);
    if (f.k === 'char') return this.callNamed(f.s, args, nargout, line, new Scope());
    this.fail(`not a function: ${typeName(f)}`, line);
  }

  private callUser(f: FunctionDef, args: Value[], nargout: number, line: number): Value[] {
    return this.nested(f.name, line, () => this.callUserBody(f, args, nargout, line));
  }

  private callUserBody(f: FunctionDef, args: Value[], nargout: number, line: number): Value[] {
    const scope = new Scope(f);
    const hasVarargin = f.params[f.params.length - 1] === 'varargin';
    const fixed = hasVarargin ? f.params.slice(0, -1) : f.params;
    if (args.length > fixed.length && !hasVarargin) this.fail(`too many input arguments to '${f.name}' (${args.length} > ${fixed.length})`, line);
    fixed.forEach((p, i) => {
      if (i < args.length && p !== '~') scope.vars.set(p, args[i]);
    });
    if (hasVarargin) scope.vars.set('varargin', cellRow(args.slice(fixed.length)));
    scope.vars.set('nargin', num(args.length));
    scope.vars.set('nargout', num(nargout));
    const saved = this.currentLine;
    try {
      this.execBlock(f.body, scope);
    } catch (sig) {
      if (!(sig instanceof ReturnSignal)) throw sig;
    } finally {
      this.currentLine = saved;
    }
    const out: Value[] = [];
    const outs = f.outputs;
    for (let i = 0; i < outs.length; i++) {
      if (outs[i] === 'varargout') {
        const vo = scope.vars.get('varargout');
        if (vo && vo.k === 'cell') out.push(...vo.d);
        break;
      }
      const v = this.getVar(scope, outs[i]);
      if (v === undefined) {
        if (i < Math.max(nargout, 1) && nargout !== 0) this.fail(`output '${outs[i]}' of function '${f.name}' was not set`, line);
        break;
      }
      out.push(v);
    }
    return out;
  }

  // ---------------------------------------------------------------- arithmetic

  scalarOf(v: Value, what: string, line: number): number {
    if (v.k === 'num' && v.d.length === 1) return v.d[0];
    this.fail(`${what} must be a number, got a ${dims(v).join('x')} ${typeName(v)}`, line);
  }

  asString(v: Value, what: string): string {
    if (v.k === 'char') return v.s;
    this.fail(`${what} must be a string, got a ${typeName(v)}`);
  }

  private toNum(v: Value, line: number): NumV {
    if (v.k === 'num') return v;
    if (v.k === 'char') return { k: 'num', r: v.s.length ? 1 : 0, c: v.s.length, d: [...v.s].map((c) => c.charCodeAt(0)) };
    this.fail(`arithmetic on a ${typeName(v)} value`, line);
  }

  private mapNum(v: Value, f: (x: number) => number, line: number): NumV {
    const n = this.toNum(v, line);
    return { k: 'num', r: n.r, c: n.c, d: n.d.map(f) };
  }

  private transpose(v: Value, line: number): Value {
    if (v.k === 'char') return v;
    if (v.k === 'func') this.fail('transpose of a function handle', line);
    const d: unknown[] = new Array(v.r * v.c);
    for (let i = 0; i < v.r; i++) for (let j = 0; j < v.c; j++) d[j + i * v.c] = (v.d as unknown[])[i + j * v.r];
    return { ...v, r: v.c, c: v.r, d } as Value;
  }

  private elementwise(a: NumV, b: NumV, f: (x: number, y: number) => number, line: number, logical = false): NumV {
    const na = a.d.length;
    const nb = b.d.length;
    if (na === 1) return { k: 'num', r: b.r, c: b.c, d: b.d.map((y) => f(a.d[0], y)), logical };
    if (nb === 1) return { k: 'num', r: a.r, c: a.c, d: a.d.map((x) => f(x, b.d[0])), logical };
    if (a.r !== b.r || a.c !== b.c) this.fail(`array sizes do not agree: ${a.r}x${a.c} and ${b.r}x${b.c}`, line);
    return { k: 'num', r: a.r, c: a.c, d: a.d.map((x, i) => f(x, b.d[i])), logical };
  }

  private binary(op: string, l: Value, r: Value, line: number): Value {
    if ((op === '==' || op === '~=') && l.k === 'char' && r.k === 'char' && l.s.length !== r.s.length && l.s.length !== 1 && r.s.length !== 1) {
      this.fail('comparison of strings of different lengths; use strcmp', line);
    }
    const a = this.toNum(l, line);
    const b = this.toNum(r, line);
    switch (op) {
      case '+':
        return this.elementwise(a, b, (x, y) => x + y, line);
      case '-':
        return this.elementwise(a, b, (x, y) => x - y, line);
      case '.*':
        return this.elementwise(a, b, (x, y) => x * y, line);
      case './':
        return this.elementwise(a, b, (x, y) => x / y, line);
      case '.\\':
        return this.elementwise(a, b, (x, y) => y / x, line);
      case '.^':
        return this.elementwise(a, b, (x, y) => x ** y, line);
      case '*':
        if (a.d.length === 1 || b.d.length === 1) return this.elementwise(a, b, (x, y) => x * y, line);
        return this.matmul(a, b, line);
      case '/':
        if (b.d.length === 1) return this.elementwise(a, b, (x, y) => x / y, line);
        this.fail('matrix right division is not supported', line);
        break;
      case '\\':
        if (a.d.length === 1) return this.elementwise(a, b, (x, y) => y / x, line);
        this.fail('matrix left division is not supported', line);
        break;
      case '^':
        if (a.d.length === 1 && b.d.length === 1) return num(a.d[0] ** b.d[0]);
        this.fail('matrix power is not supported', line);
        break;
      case '==':
        return this.elementwise(a, b, (x, y) => (x === y ? 1 : 0), line, true);
      case '~=':
        return this.elementwise(a, b, (x, y) => (x !== y ? 1 : 0), line, true);
      case '<':
        return this.elementwise(a, b, (x, y) => (x < y ? 1 : 0), line, true);
      case '<=':
        return this.elementwise(a, b, (x, y) => (x <= y ? 1 : 0), line, true);
      case '>':
        return this.elementwise(a, b, (x, y) => (x > y ? 1 : 0), line, true);
      case '>=':
        return this.elementwise(a, b, (x, y) => (x >= y ? 1 : 0), line, true);
      case '&':
        return this.elementwise(a, b, (x, y) => (x !== 0 && y !== 0 ? 1 : 0), line, true);
      case '|':
        return this.elementwise(a, b, (x, y) => (x !== 0 || y !== 0 ? 1 : 0), line, true);
    }
    this.fail(`unsupported operator '${op}'`, line);
  }

  private matmul(a: NumV, b: NumV, line: number): NumV {
    if (a.c !== b.r) this.fail(`inner matrix dimensions do not agree: ${a.r}x${a.c} * ${b.r}x${b.c}`, line);
    const d = new Array<number>(a.r * b.c).fill(0);
    for (let i = 0; i < a.r; i++) for (let j = 0; j < b.c; j++) {
      let s = 0;
      for (let k = 0; k < a.c; k++) s += a.d[i + k * a.r] * b.d[k + j * b.r];
      d[i + j * a.r] = s;
    }
    return { k: 'num', r: a.r, c: b.c, d };
  }

  // ---------------------------------------------------------------- concatenation

  /** [A B; C D]: horizontal concatenation of each row, then vertical. */
  concatRows(rows: Value[][], line: number): Value {
    const hs = rows.map((r) => this.hcat(r, line)).filter((v) => numel(v) > 0 || v.k === 'char');
    const nonEmpty = hs.filter((v) => numel(v) > 0);
    if (nonEmpty.length === 0) return hs.find((v) => v.k === 'char') ?? (rows.some((r) => r.some((v) => v.k === 'cell')) ? { k: 'cell', r: 0, c: 0, d: [] } : EMPTY);
    if (nonEmpty.length === 1) return nonEmpty[0];
    return this.vcat(nonEmpty, line);
  }

  hcat(vs: Value[], line: number): Value {
    const items = vs.filter((v) => numel(v) > 0);
    if (items.length === 0) return vs.find((v) => v.k === 'char' || v.k === 'cell') ?? EMPTY;
    if (items.length === 1) return items[0];
    const kinds = new Set(items.map((v) => v.k));
    if (kinds.has('cell')) {
      if (kinds.size > 1) this.fail('cannot concatenate a cell array with a non-cell value; use {}', line);
      return this.catSame(items as CellV[], 'h', line);
    }
    if (kinds.has('struct')) {
      if (kinds.size > 1) this.fail('cannot concatenate a struct with a non-struct value', line);
      return this.unifyFields(this.catSame(items as StructV[], 'h', line) as StructV);
    }
    if (kinds.has('func')) this.fail('cannot concatenate function handles', line);
    if (kinds.has('char')) return str(items.map((v) => (v.k === 'char' ? v.s : (v as NumV).d.map((x) => String.fromCharCode(x)).join(''))).join(''));
    return this.catSame(items as NumV[], 'h', line);
  }

  private vcat(vs: Value[], line: number): Value {
    const kinds = new Set(vs.map((v) => v.k));
    if (kinds.size > 1) this.fail(`cannot concatenate ${[...kinds].join(' and ')} values vertically`, line);
    if (kinds.has('char')) {
      const ss = vs.map((v) => (v as { s: string }).s);
      if (ss.some((s) => s.length !== ss[0].length)) this.fail('vertical concatenation of strings of different lengths', line);
      return str(ss.join('\n'));
    }
    const out = this.catSame(vs as (NumV | CellV | StructV)[], 'v', line);
    return out.k === 'struct' ? this.unifyFields(out) : out;
  }

  private catSame<T extends NumV | CellV | StructV>(vs: T[], dir: 'h' | 'v', line: number): T {
    if (dir === 'h') {
      const r = vs[0].r;
      if (vs.some((v) => v.r !== r)) this.fail(`horizontal concatenation of arrays with ${vs.map((v) => v.r).join(', ')} rows`, line);
      const d: unknown[] = [];
      for (const v of vs) d.push(...(v.d as unknown[]));
      const c = vs.reduce((s, v) => s + v.c, 0);
      const logical = vs.every((v) => v.k === 'num' && v.logical);
      return { ...vs[0], r, c, d, ...(vs[0].k === 'num' ? { logical } : {}) } as T;
    }
    const c = vs[0].c;
    if (vs.some((v) => v.c !== c)) this.fail(`vertical concatenation of arrays with ${vs.map((v) => v.c).join(', ')} columns`, line);
    const r = vs.reduce((s, v) => s + v.r, 0);
    const d: unknown[] = new Array(r * c);
    let off = 0;
    for (const v of vs) {
      for (let j = 0; j < c; j++) for (let i = 0; i < v.r; i++) d[off + i + j * r] = (v.d as unknown[])[i + j * v.r];
      off += v.r;
    }
    return { ...vs[0], r, c, d } as T;
  }
}
