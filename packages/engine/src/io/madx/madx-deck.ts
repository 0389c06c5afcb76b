/**
 * A parsed MAD-X deck: variables (`=` immediate, `:=` deferred), element
 * definitions with inheritance, SEQUENCEs, LINEs, BEAM, USE and OPTION, and
 * the evaluation of expressions against it (strict: an undefined name is an
 * error naming the place, not MAD-X's silent 0).
 */
import { LatticeFileError } from '../errors.js';
import type { Token } from './madx-lexer.js';
import { MADX_CONSTANTS, evaluate, type EvalScope, type Expr } from './madx-expressions.js';

/** One attribute of a command: `name = expr`, `name := expr`, `name = {a, b}`, or a bare flag. */
export interface Attr {
  readonly name: string;
  readonly op: '=' | ':=' | 'flag';
  readonly expr?: Expr;
  readonly array?: readonly Expr[];
  /** The value when it is one name or a quoted string (refer=entry, particle=electron, file="x"). */
  readonly word?: string;
  /** A value computed at definition time (`=` whose names were all defined then). */
  value?: number | number[];
  readonly at: Token;
}

export interface ElementDef {
  /** Name as first written. */
  readonly name: string;
  readonly key: string;
  /** MAD-X class or the element it inherits from (lowercase). */
  readonly parent: string;
  readonly attrs: Map<string, Attr>;
  readonly at: Token;
}

export interface Placement {
  /** Element (or sequence) placed (lowercase). */
  readonly ref: string;
  readonly name: string;
  /** at, from and any attribute overriding the definition. */
  readonly attrs: Map<string, Attr>;
  readonly at: Token;
}

export interface SequenceDef {
  readonly name: string;
  readonly key: string;
  readonly attrs: Map<string, Attr>;
  readonly items: Placement[];
  readonly at: Token;
  closed: boolean;
}

export type LineItem =
  | { readonly kind: 'ref'; readonly key: string; readonly name: string; readonly at: Token; readonly reverse: boolean; readonly repeat: number }
  | { readonly kind: 'group'; readonly items: readonly LineItem[]; readonly at: Token; readonly reverse: boolean; readonly repeat: number };

export interface LineDef {
  readonly name: string;
  readonly key: string;
  readonly items: readonly LineItem[];
  readonly at: Token;
}

interface Variable {
  readonly expr?: Expr;
  value?: number;
  readonly at: Token;
}

/** MAD-X element classes the reader knows (lowercase). */
export const MADX_CLASSES = new Set([
  'drift',
  'marker',
  'quadrupole',
  'sextupole',
  'octupole',
  'multipole',
  'sbend',
  'rbend',
  'kicker',
  'hkicker',
  'vkicker',
  'tkicker',
  'rfcavity',
  'monitor',
  'hmonitor',
  'vmonitor',
  'instrument',
  'solenoid',
  'rfmultipole',
  'crabcavity',
  'elseparator',
  'collimator',
  'rcollimator',
  'ecollimator',
  'placeholder',
  'srotation',
  'yrotation',
  'xrotation',
  'translation',
  'dipedge',
  'hacdipole',
  'vacdipole',
  'twcavity',
  'beambeam',
  'matrix',
  'nllens',
  'wire',
  'changeref',
]);

export class MadxDeck implements EvalScope {
  readonly variables = new Map<string, Variable>();
  readonly elements = new Map<string, ElementDef>();
  readonly sequences = new Map<string, SequenceDef>();
  readonly lines = new Map<string, LineDef>();
  /** Lines and sequences in order of definition (lowercase). */
  readonly beamlines: string[] = [];
  /** USE statements, in order (lowercase names). */
  readonly uses: { name: string; at: Token }[] = [];
  beam?: Map<string, Attr>;
  /** OPTION, RBARC: rbend L is the chord (default true). */
  rbarc = true;
  /** Commands read but not acted on (TWISS, SELECT, ...). */
  readonly ignored: { command: string; at: Token }[] = [];
  private readonly evaluating = new Set<string>();

  defineVariable(name: string, expr: Expr, deferred: boolean, at: Token): void {
    const v: Variable = { expr, at };
    if (!deferred && this.canEvaluate(expr)) v.value = this.check(evaluate(expr, this), at, name, 'variable');
    this.variables.set(name, v);
  }

  /** Whether every name of an expression is defined now (immediate `=` is computed at once only then). */
  canEvaluate(e: Expr): boolean {
    switch (e.kind) {
      case 'number':
        return true;
      case 'name':
        return this.variables.has(e.name) || e.name in MADX_CONSTANTS;
      case 'attr':
        return this.elements.has(e.element) || this.sequences.has(e.element);
      case 'unary':
        return this.canEvaluate(e.arg);
      case 'binary':
        return this.canEvaluate(e.left) && this.canEvaluate(e.right);
      case 'call':
        return e.args.every((a) => this.canEvaluate(a));
    }
  }

  private check(v: number, at: Token, name: string, kind: string): number {
    if (!Number.isFinite(v)) throw new LatticeFileError(at.file, `${kind} ${name} evaluates to ${v}`, { line: at.line, column: at.column, name, nameKind: kind });
    return v;
  }

  variable(name: string, at: Token): number {
    const v = this.variables.get(name);
    if (!v) {
      if (name in MADX_CONSTANTS) return MADX_CONSTANTS[name];
      throw new LatticeFileError(at.file, `undefined variable '${at.text}'`, { line: at.line, column: at.column, name: at.text, nameKind: 'variable' });
    }
    if (v.value !== undefined) return v.value;
    if (this.evaluating.has(name)) {
      throw new LatticeFileError(v.at.file, `variable ${name} depends on itself`, { line: v.at.line, column: v.at.column, name, nameKind: 'variable' });
    }
    this.evaluating.add(name);
    try {
      return this.check(evaluate(v.expr!, this), v.at, name, 'variable');
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** Looks an attribute up through the inheritance chain (undefined when no definition gives it). */
  findAttr(key: string, attr: string): Attr | undefined {
    const seen = new Set<string>();
    let def = this.elements.get(key);
    while (def && !seen.has(def.key)) {
      seen.add(def.key);
      const a = def.attrs.get(attr);
      if (a) return a;
      def = this.elements.get(def.parent);
    }
    return undefined;
  }

  attribute(element: string, attr: string, at: Token): number {
    const seq = this.sequences.get(element);
    const a = seq ? seq.attrs.get(attr) : this.elements.has(element) ? this.findAttr(element, attr) : undefined;
    if (!seq && !this.elements.has(element)) {
      throw new LatticeFileError(at.file, `'${at.text}->${attr}': no element or sequence ${at.text}`, { line: at.line, column: at.column, name: at.text });
    }
    if (!a) return 0;
    const v = this.attrValue(a, element);
    if (Array.isArray(v)) throw new LatticeFileError(at.file, `'${at.text}->${attr}' is an array`, { line: at.line, column: at.column, name: at.text });
    return v;
  }

  /** The value of an attribute (number or array); a flag is 1. */
  attrValue(a: Attr, owner: string): number | number[] {
    if (a.value !== undefined) return a.value;
    if (a.op === 'flag') return 1;
    const key = `${owner}->${a.name}`;
    if (this.evaluating.has(key)) {
      throw new LatticeFileError(a.at.file, `attribute ${a.name} depends on itself`, { line: a.at.line, column: a.at.column, name: owner });
    }
    this.evaluating.add(key);
    try {
      if (a.array) return a.array.map((e) => this.checkAttr(evaluate(e, this), a, owner));
      if (a.expr) return this.checkAttr(evaluate(a.expr, this), a, owner);
    } finally {
      this.evaluating.delete(key);
    }
    throw new LatticeFileError(a.at.file, `attribute ${a.name} has no value`, { line: a.at.line, column: a.at.column, name: owner });
  }

  private checkAttr(v: number, a: Attr, owner: string): number {
    if (!Number.isFinite(v)) throw new LatticeFileError(a.at.file, `${a.name} evaluates to ${v}`, { line: a.at.line, column: a.at.column, name: owner });
    return v;
  }

  /** The MAD-X class of an element definition (follows inheritance). */
  classOf(key: string, at: Token, name: string): string {
    const seen: string[] = [];
    let k = key;
    for (;;) {
      if (MADX_CLASSES.has(k) && !this.elements.has(k)) return k;
      const def = this.elements.get(k);
      if (!def) {
        throw new LatticeFileError(at.file, `unknown element class '${k}' (MAD-X classes read: ${[...MADX_CLASSES].slice(0, 16).join(', ')}, ...)`, {
          line: at.line,
          column: at.column,
          name,
        });
      }
      if (seen.includes(k)) throw new LatticeFileError(at.file, `element ${name} inherits from itself (${[...seen, k].join(' -> ')})`, { line: at.line, column: at.column, name });
      seen.push(k);
      if (MADX_CLASSES.has(def.parent) && def.parent !== k && !this.elements.has(def.parent)) return def.parent;
      k = def.parent;
    }
  }
}
