/**
 * General MATLAB builtins used in lattice files: constants, elementary math,
 * array constructors and queries, strings, cells and structs. Output-only
 * functions (disp, fprintf, ...) do nothing.
 */
import type { Builtin, CallContext } from './interpreter.js';
import { EMPTY, bool, dims, num, numel, row, str, structOf, typeName, type NumV, type Value } from './values.js';

function fail(ctx: CallContext, msg: string): never {
  return ctx.interp.fail(msg, ctx.line);
}

function scalar(ctx: CallContext, v: Value | undefined, what: string): number {
  if (v === undefined) fail(ctx, `missing argument: ${what}`);
  return ctx.interp.scalarOf(v, what, ctx.line);
}

function numArg(ctx: CallContext, v: Value | undefined, what: string): NumV {
  if (v === undefined) fail(ctx, `missing argument: ${what}`);
  if (v.k === 'num') return v;
  if (v.k === 'char') return row([...v.s].map((c) => c.charCodeAt(0)));
  fail(ctx, `${what} must be numeric, got a ${typeName(v)}`);
}

function text(ctx: CallContext, v: Value | undefined, what: string): string {
  if (v === undefined) fail(ctx, `missing argument: ${what}`);
  if (v.k !== 'char') fail(ctx, `${what} must be a string, got a ${typeName(v)}`);
  return v.s;
}

const constant =
  (x: number): Builtin =>
  (args, _n, ctx) =>
    args.length === 0 ? [num(x)] : [filled(ctx, args, x)];

function sizeArgs(ctx: CallContext, args: Value[]): [number, number] {
  if (args.length === 0) return [1, 1];
  if (args.length === 1) {
    const a = numArg(ctx, args[0], 'size');
    if (a.d.length === 1) return [a.d[0], a.d[0]];
    return [a.d[0], a.d[1]];
  }
  return [scalar(ctx, args[0], 'rows'), scalar(ctx, args[1], 'columns')];
}

function filled(ctx: CallContext, args: Value[], x: number): NumV {
  const [r, c] = sizeArgs(ctx, args.filter((a) => a.k !== 'char'));
  return { k: 'num', r, c, d: new Array<number>(r * c).fill(x) };
}

const map1 =
  (f: (x: number) => number): Builtin =>
  (args, _n, ctx) => {
    const a = numArg(ctx, args[0], 'argument');
    return [{ k: 'num', r: a.r, c: a.c, d: a.d.map(f) }];
  };

const map2 =
  (f: (x: number, y: number) => number): Builtin =>
  (args, _n, ctx) => {
    const a = numArg(ctx, args[0], 'first argument');
    const b = numArg(ctx, args[1], 'second argument');
    if (b.d.length === 1) return [{ k: 'num', r: a.r, c: a.c, d: a.d.map((x) => f(x, b.d[0])) }];
    if (a.d.length === 1) return [{ k: 'num', r: b.r, c: b.c, d: b.d.map((y) => f(a.d[0], y)) }];
    if (a.d.length !== b.d.length) fail(ctx, 'array sizes do not agree');
    return [{ k: 'num', r: a.r, c: a.c, d: a.d.map((x, i) => f(x, b.d[i])) }];
  };

/** Reduction along the first non-singleton dimension (vectors → scalar). */
const reduce =
  (f: (xs: number[]) => number, binary?: (x: number, y: number) => number): Builtin =>
  (args, _n, ctx) => {
    if (binary && args.length >= 2 && numel(args[1]) > 0) return map2(binary)(args, 1, ctx);
    const a = numArg(ctx, args[0], 'argument');
    if (a.r <= 1 || a.c <= 1) return [num(a.d.length ? f(a.d) : binary ? NaN : 0)];
    const out: number[] = [];
    for (let j = 0; j < a.c; j++) out.push(f(a.d.slice(j * a.r, (j + 1) * a.r)));
    return [row(out)];
  };

function formatNumber(x: number, spec = 'g', precision?: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Inf' : '-Inf';
  switch (spec) {
    case 'd':
    case 'i':
      return Number.isInteger(x) ? String(x) : String(x);
    case 'f':
      return x.toFixed(precision ?? 6);
    case 'e':
      return x.toExponential(precision ?? 6);
    default: {
      const p = precision ?? (spec === 'g' ? 5 : 4);
      const s = Number(x.toPrecision(Math.max(p, 1)));
      return String(s);
    }
  }
}

function sprintf(ctx: CallContext, args: Value[]): string {
  const fmt = text(ctx, args[0], 'format');
  const values: (number | string)[] = [];
  for (const a of args.slice(1)) {
    if (a.k === 'char') values.push(a.s);
    else if (a.k === 'num') values.push(...a.d);
    else fail(ctx, `sprintf of a ${typeName(a)} value`);
  }
  let out = '';
  let vi = 0;
  do {
    out += fmt
      .replace(/%(-?\d*)(?:\.(\d+))?([dfegsic%])/g, (_m, _w: string, prec: string | undefined, conv: string) => {
        if (conv === '%') return '%';
        const v = values[vi++];
        if (v === undefined) return '';
        if (conv === 's' || conv === 'c') return typeof v === 'string' ? v : formatNumber(v);
        return typeof v === 'number' ? formatNumber(v, conv, prec === undefined ? undefined : Number(prec)) : v;
      })
      .replace(/\\n/g, '\n')
      .replace(/\\t/g, '\t');
  } while (vi < values.length && /%[-\d.]*[dfegsic]/.test(fmt));
  return out;
}

export function generalBuiltins(): Map<string, Builtin> {
  const b = new Map<string, Builtin>();
  const nop: Builtin = () => [];
  b.set('pi', constant(Math.PI));
  b.set('Inf', constant(Infinity));
  b.set('inf', constant(Infinity));
  b.set('NaN', constant(NaN));
  b.set('nan', constant(NaN));
  b.set('eps', constant(2.220446049250313e-16));
  b.set('true', (args, _n, ctx) => [args.length ? { ...filled(ctx, args, 1), logical: true } : bool(true)]);
  b.set('false', (args, _n, ctx) => [args.length ? { ...filled(ctx, args, 0), logical: true } : bool(false)]);
  b.set('zeros', (args, _n, ctx) => [filled(ctx, args, 0)]);
  b.set('ones', (args, _n, ctx) => [filled(ctx, args, 1)]);
  b.set('eye', (args, _n, ctx) => {
    const [r, c] = sizeArgs(ctx, args);
    const m = filled(ctx, [num(r), num(c)], 0);
    for (let i = 0; i < Math.min(r, c); i++) m.d[i + i * r] = 1;
    return [m];
  });
  b.set('linspace', (args, _n, ctx) => {
    const a = scalar(ctx, args[0], 'start');
    const z = scalar(ctx, args[1], 'end');
    const n = args[2] ? scalar(ctx, args[2], 'count') : 100;
    return [row(Array.from({ length: n }, (_, i) => (n === 1 ? z : a + ((z - a) * i) / (n - 1))))];
  });
  for (const [name, f] of [
    ['sqrt', Math.sqrt],
    ['sin', Math.sin],
    ['cos', Math.cos],
    ['tan', Math.tan],
    ['asin', Math.asin],
    ['acos', Math.acos],
    ['atan', Math.atan],
    ['sinh', Math.sinh],
    ['cosh', Math.cosh],
    ['tanh', Math.tanh],
    ['exp', Math.exp],
    ['log', Math.log],
    ['log10', Math.log10],
    ['log2', Math.log2],
    ['abs', Math.abs],
    ['floor', Math.floor],
    ['ceil', Math.ceil],
    ['round', (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x))],
    ['fix', Math.trunc],
    ['sign', Math.sign],
    ['deg2rad', (x: number) => (x * Math.PI) / 180],
    ['rad2deg', (x: number) => (x * 180) / Math.PI],
    ['double', (x: number) => x],
    ['isnan', (x: number) => (Number.isNaN(x) ? 1 : 0)],
    ['isinf', (x: number) => (Number.isFinite(x) || Number.isNaN(x) ? 0 : 1)],
  ] as [string, (x: number) => number][]) {
    b.set(name, map1(f));
  }
  b.set('logical', (args, _n, ctx) => [{ ...numArg(ctx, args[0], 'argument'), d: numArg(ctx, args[0], 'argument').d.map((x) => (x !== 0 ? 1 : 0)), logical: true }]);
  b.set('atan2', map2(Math.atan2));
  b.set('mod', map2((x, y) => (y === 0 ? x : x - Math.floor(x / y) * y)));
  b.set('rem', map2((x, y) => (y === 0 ? x : x - Math.trunc(x / y) * y)));
  b.set('power', map2((x, y) => x ** y));
  b.set('hypot', map2(Math.hypot));
  b.set('sum', reduce((xs) => xs.reduce((s, x) => s + x, 0)));
  b.set('prod', reduce((xs) => xs.reduce((s, x) => s * x, 1)));
  b.set('mean', reduce((xs) => xs.reduce((s, x) => s + x, 0) / xs.length));
  b.set('max', reduce((xs) => Math.max(...xs), Math.max));
  b.set('min', reduce((xs) => Math.min(...xs), Math.min));
  b.set('cumsum', (args, _n, ctx) => {
    const a = numArg(ctx, args[0], 'argument');
    let s = 0;
    return [{ ...a, d: a.d.map((x) => (s += x)) }];
  });
  b.set('length', (args, _n, ctx) => {
    const v = args[0] ?? fail(ctx, 'length needs an argument');
    const [r, c] = dims(v);
    return [num(r * c === 0 ? 0 : Math.max(r, c))];
  });
  b.set('numel', (args, _n, ctx) => [num(numel(args[0] ?? fail(ctx, 'numel needs an argument')))]);
  b.set('size', (args, nargout, ctx) => {
    const [r, c] = dims(args[0] ?? fail(ctx, 'size needs an argument'));
    if (args[1]) {
      const d = scalar(ctx, args[1], 'dimension');
      return [num(d === 1 ? r : d === 2 ? c : 1)];
    }
    return nargout >= 2 ? [num(r), num(c)] : [row([r, c])];
  });
  b.set('isempty', (args, _n, ctx) => [bool(numel(args[0] ?? fail(ctx, 'isempty needs an argument')) === 0)]);
  b.set('isnumeric', (args) => [bool(args[0]?.k === 'num' && !args[0].logical)]);
  b.set('ischar', (args) => [bool(args[0]?.k === 'char')]);
  b.set('iscell', (args) => [bool(args[0]?.k === 'cell')]);
  b.set('isstruct', (args) => [bool(args[0]?.k === 'struct')]);
  b.set('isfield', (args, _n, ctx) => {
    const s = args[0];
    const f = text(ctx, args[1], 'field name');
    return [bool(s?.k === 'struct' && s.d.length > 0 && s.d[0].has(f))];
  });
  b.set('fieldnames', (args, _n, ctx) => {
    const s = args[0];
    if (s?.k !== 'struct') fail(ctx, 'fieldnames needs a struct');
    const names = s.d.length ? [...s.d[0].keys()] : [];
    return [{ k: 'cell', r: names.length, c: 1, d: names.map(str) }];
  });
  b.set('exist', () => [num(0)]);
  b.set('reshape', (args, _n, ctx) => {
    const v = args[0] ?? fail(ctx, 'reshape needs an argument');
    if (v.k !== 'num' && v.k !== 'cell') fail(ctx, `reshape of a ${typeName(v)}`);
    let [r, c] = sizeArgs(ctx, args.slice(1).map((a) => (a.k === 'num' && a.d.length === 0 ? num(-1) : a)));
    const n = numel(v);
    if (r === -1) r = n / c;
    if (c === -1) c = n / r;
    if (r * c !== n) fail(ctx, `reshape: ${n} elements cannot be ${r}x${c}`);
    return [{ ...v, r, c } as Value];
  });
  b.set('repmat', (args, _n, ctx) => {
    const v = args[0] ?? fail(ctx, 'repmat needs an argument');
    const [m, n] = sizeArgs(ctx, args.slice(1));
    const rowRep = ctx.interp.hcat(new Array<Value>(Math.max(n, 0)).fill(v), ctx.line);
    if (m === 1) return [rowRep];
    return [ctx.interp.concatRows(new Array<Value[]>(Math.max(m, 0)).fill([rowRep]), ctx.line)];
  });
  b.set('horzcat', (args, _n, ctx) => [ctx.interp.hcat(args, ctx.line)]);
  b.set('vertcat', (args, _n, ctx) => [ctx.interp.concatRows(args.map((a) => [a]), ctx.line)]);
  b.set('cat', (args, _n, ctx) => {
    const d = scalar(ctx, args[0], 'dimension');
    return [d === 1 ? ctx.interp.concatRows(args.slice(1).map((a) => [a]), ctx.line) : ctx.interp.hcat(args.slice(1), ctx.line)];
  });
  b.set('fliplr', (args, _n, ctx) => {
    const v = args[0] ?? fail(ctx, 'fliplr needs an argument');
    if (v.k === 'char') return [str([...v.s].reverse().join(''))];
    if (v.k === 'func') fail(ctx, 'fliplr of a function handle');
    const d: unknown[] = new Array(v.r * v.c);
    for (let j = 0; j < v.c; j++) for (let i = 0; i < v.r; i++) d[i + j * v.r] = (v.d as unknown[])[i + (v.c - 1 - j) * v.r];
    return [{ ...v, d } as Value];
  });
  b.set('flipud', (args, _n, ctx) => {
    const v = args[0] ?? fail(ctx, 'flipud needs an argument');
    if (v.k === 'char' || v.k === 'func') return [v];
    const d: unknown[] = new Array(v.r * v.c);
    for (let j = 0; j < v.c; j++) for (let i = 0; i < v.r; i++) d[i + j * v.r] = (v.d as unknown[])[v.r - 1 - i + j * v.r];
    return [{ ...v, d } as Value];
  });
  b.set('cell', (args, _n, ctx) => {
    const [r, c] = sizeArgs(ctx, args);
    return [{ k: 'cell', r, c, d: new Array<Value>(r * c).fill(EMPTY) }];
  });
  b.set('struct', (args, _n, ctx) => {
    if (args.length % 2 !== 0) fail(ctx, 'struct needs field/value pairs');
    const m = new Map<string, Value>();
    for (let i = 0; i < args.length; i += 2) {
      const v = args[i + 1];
      // struct('f', {x}) stores x (a 1x1 cell gives its content).
      m.set(text(ctx, args[i], 'field name'), v.k === 'cell' && v.d.length === 1 ? v.d[0] : v);
    }
    return [structOf(m, ctx.line)];
  });
  b.set('cellfun', (args, _n, ctx) => {
    const f = args[0] ?? fail(ctx, 'cellfun needs a function');
    const c = args[1];
    if (c?.k !== 'cell') fail(ctx, 'cellfun needs a cell array');
    const uniform = !(args.length >= 4 && args[2].k === 'char' && args[2].s === 'UniformOutput' && !ctx.interp.truthy(args[3]));
    const outs = c.d.map((x) => ctx.interp.callValue(f, [x], 1, ctx.line)[0] ?? EMPTY);
    if (!uniform) return [{ k: 'cell', r: c.r, c: c.c, d: outs }];
    return [{ k: 'num', r: c.r, c: c.c, d: outs.map((o) => ctx.interp.scalarOf(o, 'cellfun result', ctx.line)) }];
  });
  b.set('num2str', (args, _n, ctx) => {
    const v = numArg(ctx, args[0], 'number');
    return [str(v.d.map((x) => formatNumber(x, 'g', 5)).join('  '))];
  });
  b.set('int2str', (args, _n, ctx) => [str(numArg(ctx, args[0], 'number').d.map((x) => String(Math.round(x))).join('  '))]);
  b.set('mat2str', (args, _n, ctx) => {
    const v = numArg(ctx, args[0], 'matrix');
    if (v.d.length === 1) return [str(String(v.d[0]))];
    const rows: string[] = [];
    for (let i = 0; i < v.r; i++) rows.push(Array.from({ length: v.c }, (_, j) => String(v.d[i + j * v.r])).join(' '));
    return [str(`[${rows.join(';')}]`)];
  });
  b.set('sprintf', (args, _n, ctx) => [str(sprintf(ctx, args))]);
  b.set('strcat', (args, _n, ctx) => [str(args.map((a) => text(ctx, a, 'string').replace(/\s+$/, '')).join(''))]);
  b.set('strcmp', (args) => [bool(args[0]?.k === 'char' && args[1]?.k === 'char' && args[0].s === args[1].s)]);
  b.set('strcmpi', (args) => [bool(args[0]?.k === 'char' && args[1]?.k === 'char' && args[0].s.toLowerCase() === args[1].s.toLowerCase())]);
  b.set('upper', (args, _n, ctx) => [str(text(ctx, args[0], 'string').toUpperCase())]);
  b.set('lower', (args, _n, ctx) => [str(text(ctx, args[0], 'string').toLowerCase())]);
  b.set('strtrim', (args, _n, ctx) => [str(text(ctx, args[0], 'string').trim())]);
  b.set('error', (args, _n, ctx) => fail(ctx, `error(): ${args.length ? sprintf(ctx, args) : ''}`));
  for (const name of ['disp', 'fprintf', 'display', 'warning', 'tic', 'clc', 'clear', 'close', 'format', 'evalin', 'assignin', 'drawnow', 'figure', 'hold']) b.set(name, nop);
  b.set('toc', () => [num(0)]);
  return b;
}
