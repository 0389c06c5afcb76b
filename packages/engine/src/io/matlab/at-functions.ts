/**
 * AT functions for the MATLAB-subset interpreter:
 *
 * - element constructors `at<class>(FamName, positional..., [PassMethod], 'Field', value, ...)`
 *   for every pyAT class and alias (atdrift, atquadrupole, atsbend, atrbend,
 *   atsextupole, atoctupole, atmultipole, atthinmultipole, atcorrector,
 *   atmonitor, atmarker, atrfcavity, atringparam, ataperture, atM66,
 *   atwiggler, ...), with pyAT's positional order and defaults
 *   (element-classes.ts), plus atskewquad, atbaselem and atelem;
 * - the FAMLIST functions of old AT decks (drift, quadrupole, sextupole,
 *   sbend, rbend, marker, monitor, corrector, rfcavity, aperture, buildlat);
 * - lattice helpers: atsetfieldvalues, setcellstruct, findcells, atgetcells,
 *   atSetRingProperties.
 *
 * Elements are struct values carrying a Class field; the m-file loader turns
 * them into AtElements.
 */
import type { FieldValue } from '../../lattice.js';
import { buildElement, findClass, lookupClass, positionalFields, type AtClassName } from '../element-classes.js';
import { ElementDataError } from '../errors.js';
import type { Builtin, CallContext } from './interpreter.js';
import { EMPTY, bool, cellRow, fromField, num, row, str, structOf, toField, typeName, type CellV, type StructV, type Value } from './values.js';

function fail(ctx: CallContext, msg: string): never {
  return ctx.interp.fail(msg, ctx.line);
}

/** An element struct value from a built element. */
function elementValue(fields: Record<string, FieldValue | undefined>, line: number): StructV {
  const m = new Map<string, Value>();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) m.set(k, fromField(v));
  return structOf(m, line);
}

function build(ctx: CallContext, cls: AtClassName, fields: Record<string, FieldValue>, rectangular = false): StructV {
  try {
    return elementValue(buildElement(cls, fields, { rectangular }), ctx.line);
  } catch (e) {
    if (e instanceof ElementDataError) fail(ctx, e.message);
    throw e;
  }
}

/**
 * Decodes constructor arguments: FamName, then up to `positional.length`
 * non-string values, then an optional PassMethod string (when an odd number of
 * arguments is left), then field/value pairs (which win over positional values).
 */
function decodeArgs(ctx: CallContext, fname: string, args: Value[], positional: readonly string[]): Record<string, FieldValue> {
  const famName = args[0];
  if (famName === undefined || famName.k !== 'char') fail(ctx, `${fname}: the first argument must be the family name (a string)`);
  const fields: Record<string, FieldValue> = { FamName: famName.s };
  let i = 1;
  for (const name of positional) {
    const a = args[i];
    if (a === undefined || a.k === 'char') break;
    if (!(a.k === 'num' && a.d.length === 0 && name !== 'PolynomA' && name !== 'PolynomB')) fields[name] = toField(a);
    i++;
  }
  let rest = args.slice(i);
  if (rest.length % 2 === 1) {
    const m = rest[0];
    if (m.k !== 'char') fail(ctx, `${fname}('${famName.s}'): unexpected ${typeName(m)} argument ${i + 1} (expected at most ${positional.length} values after the name)`);
    fields.PassMethod = m.s;
    rest = rest.slice(1);
  }
  for (let k = 0; k < rest.length; k += 2) {
    const key = rest[k];
    if (key.k !== 'char') fail(ctx, `${fname}('${famName.s}'): argument ${i + k + 1} must be a field name, got a ${typeName(key)}`);
    fields[key.s] = toField(rest[k + 1]);
  }
  return fields;
}

const constructor =
  (fname: string, cls: AtClassName, opts: { rectangular?: boolean; positional?: readonly string[] } = {}): Builtin =>
  (args, _n, ctx) => [build(ctx, cls, decodeArgs(ctx, fname, args, opts.positional ?? positionalFields(cls)), opts.rectangular)];

function famlistAdd(ctx: CallContext, elem: StructV): Value {
  const g = ctx.interp.globals;
  const cur = g.get('FAMLIST');
  const list: Value[] = cur && cur.k === 'cell' ? [...cur.d] : [];
  const fam = elem.d[0].get('FamName') ?? str('');
  list.push(structOf(new Map<string, Value>([['FamName', fam], ['NumKids', num(0)], ['KidsList', EMPTY], ['ElemData', elem]]), ctx.line));
  g.set('FAMLIST', cellRow(list));
  return num(list.length);
}

const oldStyle =
  (fname: string, cls: AtClassName, positional: readonly string[]): Builtin =>
  (args, _n, ctx) =>
    [famlistAdd(ctx, build(ctx, cls, decodeArgs(ctx, fname, args, positional)))];

function asCell(ctx: CallContext, v: Value | undefined, what: string): CellV {
  if (v?.k !== 'cell') fail(ctx, `${what} must be a cell array of elements, got ${v ? typeName(v) : 'nothing'}`);
  return v;
}

function indicesOf(ctx: CallContext, v: Value | undefined, n: number): number[] {
  if (v === undefined) fail(ctx, 'missing element indices');
  if (v.k === 'char' && v.s === ':') return Array.from({ length: n }, (_, i) => i);
  if (v.k !== 'num') fail(ctx, `element indices must be numeric or logical, got ${typeName(v)}`);
  if (v.logical) return v.d.flatMap((x, i) => (x ? [i] : []));
  return v.d.map((x) => {
    if (!Number.isInteger(x) || x < 1 || x > n) fail(ctx, `element index ${x} out of range 1..${n}`);
    return x - 1;
  });
}

function setField(ctx: CallContext, ring: CellV, idx: number[], field: string, value: Value): CellV {
  const d = [...ring.d];
  // One value per element when the value has as many rows (or elements) as indices.
  const perElement = value.k === 'cell' && value.d.length === idx.length;
  idx.forEach((p, i) => {
    const el = d[p];
    if (el.k !== 'struct') fail(ctx, `element ${p + 1} is not a struct`);
    const m = new Map(el.d[0]);
    m.set(field, perElement ? (value as CellV).d[i] : value);
    d[p] = { ...el, d: [m] };
  });
  return { ...ring, d };
}

function hasFieldValue(el: Value, field: string, want?: Value): boolean {
  if (el.k !== 'struct' || el.d.length !== 1) return false;
  const v = el.d[0].get(field);
  if (v === undefined) return false;
  if (want === undefined) return true;
  if (want.k === 'char') return v.k === 'char' && v.s === want.s;
  if (want.k === 'num' && v.k === 'num') return want.d.length === v.d.length && want.d.every((x, i) => x === v.d[i]);
  return false;
}

export function atBuiltins(): Map<string, Builtin> {
  const b = new Map<string, Builtin>();
  // pyAT's load_m accepts 'at' + any class name or alias.
  for (const alias of ['element', 'marker', 'monitor', 'aperture', 'longtaperture', 'drift', 'collimator', 'thinmultipole', 'multipole', 'dipole', 'bend', 'sbend', 'quadrupole', 'quad', 'sextupole', 'sext', 'octupole', 'corrector', 'wiggler', 'wig', 'solenoid', 'rfcavity', 'rf', 'bpm', 'ap', 'ringparam', 'matrix66']) {
    const cls = lookupClass(alias) as AtClassName;
    b.set(`at${alias}`, constructor(`at${alias}`, cls));
  }
  b.set('atM66', constructor('atM66', 'M66'));
  b.set('atrbend', constructor('atrbend', 'Dipole', { rectangular: true }));
  b.set('atskewquad', (args, _n, ctx) => {
    const f = decodeArgs(ctx, 'atskewquad', args, ['Length', 'Qs']);
    const qs = (f.Qs as number | undefined) ?? 0;
    delete f.Qs;
    f.PolynomA ??= [0, qs];
    f.PolynomB ??= [0, 0];
    return [build(ctx, 'Multipole', f)];
  });
  b.set('atbaselem', (args, _n, ctx) => {
    const fam = args[0];
    const method = args[1];
    if (fam?.k !== 'char' || method?.k !== 'char') fail(ctx, 'atbaselem(FamName, PassMethod, ...) needs two strings');
    const f = decodeArgs(ctx, 'atbaselem', [fam, ...args.slice(2)], []);
    f.PassMethod = method.s;
    return [build(ctx, findClass(f), f)];
  });
  b.set('atelem', (args, _n, ctx) => {
    const base = args[0];
    if (base?.k !== 'struct' || base.d.length !== 1) fail(ctx, 'atelem(elem, ...) needs an element struct');
    const f = toField(base) as Record<string, FieldValue>;
    for (let k = 1; k + 1 < args.length; k += 2) {
      const key = args[k];
      if (key.k !== 'char') fail(ctx, `atelem: argument ${k + 1} must be a field name`);
      f[key.s] = toField(args[k + 1]);
    }
    return [build(ctx, findClass(f), f)];
  });

  // Old AT (FAMLIST) constructors: add a family and return its index.
  b.set('drift', oldStyle('drift', 'Drift', ['Length']));
  b.set('quadrupole', oldStyle('quadrupole', 'Quadrupole', ['Length', 'K']));
  b.set('sextupole', oldStyle('sextupole', 'Sextupole', ['Length', 'H']));
  b.set('sbend', oldStyle('sbend', 'Dipole', ['Length', 'BendingAngle', 'EntranceAngle', 'ExitAngle', 'K']));
  b.set('rbend', oldStyle('rbend', 'Dipole', ['Length', 'BendingAngle', 'EntranceAngle', 'ExitAngle', 'K']));
  b.set('marker', oldStyle('marker', 'Marker', []));
  b.set('monitor', oldStyle('monitor', 'Monitor', []));
  b.set('corrector', oldStyle('corrector', 'Corrector', ['Length', 'KickAngle']));
  b.set('rfcavity', oldStyle('rfcavity', 'RFCavity', ['Length', 'Voltage', 'Frequency', 'HarmNumber']));
  b.set('aperture', oldStyle('aperture', 'Aperture', ['Limits']));
  b.set('buildlat', (args, _n, ctx) => {
    const fam = ctx.interp.globals.get('FAMLIST');
    if (fam?.k !== 'cell') fail(ctx, 'buildlat: the global FAMLIST is empty');
    const list = args[0];
    if (list?.k !== 'num') fail(ctx, 'buildlat(ELIST) needs a numeric list of family indices');
    const ring = list.d.map((z) => {
      const f = fam.d[z - 1];
      if (!f || f.k !== 'struct') fail(ctx, `buildlat: family ${z} does not exist (FAMLIST has ${fam.d.length})`);
      const ed = f.d[0].get('ElemData');
      if (!ed) fail(ctx, `buildlat: family ${z} has no ElemData`);
      return ed;
    });
    const thering: CellV = { k: 'cell', r: 1, c: ring.length, d: ring };
    ctx.interp.globals.set('THERING', thering);
    return [thering];
  });

  // Lattice helpers.
  b.set('atsetfieldvalues', (args, _n, ctx) => {
    const ring = asCell(ctx, args[0], 'atsetfieldvalues ring');
    const idx = indicesOf(ctx, args[1], ring.d.length);
    const field = args[2];
    if (field?.k !== 'char') fail(ctx, 'atsetfieldvalues: the field name must be a string');
    return [setField(ctx, ring, idx, field.s, args[args.length - 1] ?? EMPTY)];
  });
  b.set('setcellstruct', (args, _n, ctx) => {
    const ring = asCell(ctx, args[0], 'setcellstruct cell array');
    const field = args[1];
    if (field?.k !== 'char') fail(ctx, 'setcellstruct: the field name must be a string');
    const idx = indicesOf(ctx, args[2], ring.d.length);
    return [setField(ctx, ring, idx, field.s, args[3] ?? EMPTY)];
  });
  b.set('findcells', (args, _n, ctx) => {
    const ring = asCell(ctx, args[0], 'findcells ring');
    const field = args[1];
    if (field?.k !== 'char') fail(ctx, 'findcells: the field name must be a string');
    const out: number[] = [];
    ring.d.forEach((el, i) => {
      if (hasFieldValue(el, field.s, args[2])) out.push(i + 1);
    });
    return [row(out)];
  });
  b.set('atgetcells', (args, _n, ctx) => {
    const ring = asCell(ctx, args[0], 'atgetcells ring');
    const field = args[1];
    if (field?.k !== 'char') fail(ctx, 'atgetcells: the field name must be a string');
    const mask = ring.d.map((el) => (hasFieldValue(el, field.s, args[2]) ? 1 : 0));
    return [{ k: 'num', r: mask.length, c: 1, d: mask, logical: true }];
  });
  b.set('atSetRingProperties', (args, _n, ctx) => {
    const ring = asCell(ctx, args[0], 'atSetRingProperties ring');
    const props = new Map<string, Value>();
    for (let k = 1; k + 1 < args.length; k += 2) {
      const key = args[k];
      if (key.k !== 'char') fail(ctx, `atSetRingProperties: argument ${k + 1} must be a property name`);
      const name = key.s === 'FamName' ? 'FamName' : key.s;
      props.set(name, args[k + 1]);
    }
    const d = [...ring.d];
    const at = d.findIndex((el) => el.k === 'struct' && el.d[0]?.get('Class')?.k === 'char' && (el.d[0].get('Class') as { s: string }).s === 'RingParam');
    if (at >= 0) {
      const m = new Map((d[at] as StructV).d[0]);
      for (const [k, v] of props) m.set(k, v);
      d[at] = { ...(d[at] as StructV), d: [m] };
    } else {
      const f: Record<string, FieldValue> = { FamName: '' };
      for (const [k, v] of props) f[k] = toField(v);
      d.unshift(build(ctx, 'RingParam', f));
    }
    return [{ ...ring, r: 1, c: d.length, d }];
  });
  b.set('isrow', (args) => [bool(args[0]?.k !== 'func' && args[0] !== undefined && 'r' in args[0] && args[0].r === 1)]);
  return b;
}
