/**
 * elegant's RPN calculator, the part lattice files use: `% <tokens>` statements
 * and quoted parameter values ("0.5 2 *"). Numbers and variables are pushed;
 * `sto NAME` stores the top of the stack (without popping it) in a variable
 * that later statements and parameter values may use. Operators and
 * functions are listed in OPERATORS and FUNCTIONS; constants in CONSTANTS.
 */
import { MlayerError } from '@mlayer/core';

/** A failed evaluation (the reader turns it into a LatticeFileError with file, line and column): `token` is the 0-based index of the offending token, when one is at fault. */
export class RpnError extends MlayerError {
  constructor(
    message: string,
    readonly token?: number,
  ) {
    super(message);
  }
}

const OPERATORS: Readonly<Record<string, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  pow: (a, b) => a ** b,
  atan2: (a, b) => Math.atan2(a, b),
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

const FUNCTIONS: Readonly<Record<string, (a: number) => number>> = {
  sqrt: Math.sqrt,
  sqr: (a) => a * a,
  abs: Math.abs,
  chs: (a) => -a,
  rec: (a) => 1 / a,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  exp: Math.exp,
  ln: Math.log,
  log: Math.log10,
  int: Math.trunc,
  dtor: (a) => (a * Math.PI) / 180,
  rtod: (a) => (a * 180) / Math.PI,
};

/** elegant's built-in constants (SI). */
const CONSTANTS: Readonly<Record<string, number>> = {
  pi: Math.PI,
  c_mks: 299792458,
  e_mks: 1.602176634e-19,
  me_mks: 9.1093837015e-31,
  mev: 0.51099895,
};

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;

export class Rpn {
  readonly variables = new Map<string, number>();

  /** Runs the tokens of one expression or statement; returns the final stack. */
  run(expr: string): number[] {
    const tokens = expr.trim().split(/\s+/).filter((t) => t !== '');
    const stack: number[] = [];
    const pop = (i: number, t: string): number => {
      const v = stack.pop();
      if (v === undefined) throw new RpnError(`'${t}' needs more values on the stack`, i);
      return v;
    };
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      const lower = t.toLowerCase();
      if (NUMBER.test(t)) stack.push(Number(t.replace(/[dD]/, 'e')));
      else if (lower === 'sto') {
        const name = tokens[++i];
        if (name === undefined) throw new RpnError("'sto' needs a variable name", i - 1);
        if (!stack.length) throw new RpnError("'sto' with an empty stack", i - 1);
        this.variables.set(name.toLowerCase(), stack[stack.length - 1]);
      } else if (lower === 'pop') pop(i, t);
      else if (lower === 'dup') {
        const v = pop(i, t);
        stack.push(v, v);
      } else if (lower === 'swap' || lower === 'exch') {
        const b = pop(i, t);
        const a = pop(i, t);
        stack.push(b, a);
      } else if (lower in OPERATORS) {
        const b = pop(i, t);
        const a = pop(i, t);
        stack.push(OPERATORS[lower](a, b));
      } else if (lower in FUNCTIONS) stack.push(FUNCTIONS[lower](pop(i, t)));
      else if (this.variables.has(lower)) stack.push(this.variables.get(lower)!);
      else if (lower in CONSTANTS) stack.push(CONSTANTS[lower]);
      else throw new RpnError(`unknown RPN token '${t}' (not a number, operator, function or stored variable)`, i);
    }
    return stack;
  }

  /** Evaluates an expression that must leave exactly one finite value. */
  evaluate(expr: string): number {
    const stack = this.run(expr);
    if (stack.length !== 1) throw new RpnError(`RPN expression "${expr.trim()}" leaves ${stack.length} values on the stack, not 1`);
    if (!Number.isFinite(stack[0])) throw new RpnError(`RPN expression "${expr.trim()}" gives ${stack[0]}`);
    return stack[0];
  }
}
