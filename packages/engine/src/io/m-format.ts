/**
 * AT lattices as MATLAB .m files.
 *
 * Loading runs the file in a MATLAB-subset interpreter (./matlab): pyAT's
 * save_m output, decks written with at* constructors, struct literals,
 * variables, arithmetic, cell concatenation, loops, and old FAMLIST decks
 * (buildlat). The lattice is, in order: the first output of the main function
 * of a function file; the global THERING; the script variable RING, THERING or
 * ring. It must be a cell array (or struct array) of element structs. Ring
 * properties then follow pyAT (lattice-assembly.ts); a deck without RingParam
 * and without any Energy field takes its energy from GLOBVAL.E0 when set.
 *
 * Saving writes pyAT's save_m layout: a function returning a cell array with an
 * atringparam line then one constructor call per element, giving only the
 * fields that differ from what the constructor builds by itself.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { AtElement, FieldValue, Lattice } from '../lattice.js';
import { buildElement, lookupClass, positionalFields, defaultPassMethod, type AtClassName } from './element-classes.js';
import { ElementDataError, LatticeFileError } from './errors.js';
import { assembleLattice } from './lattice-assembly.js';
import { ringParamRecord, recordToElement } from './mat-format.js';
import { atBuiltins } from './matlab/at-functions.js';
import { generalBuiltins } from './matlab/builtins.js';
import { MRuntimeError, MSyntaxError } from './matlab/errors.js';
import { Interpreter, type Builtin } from './matlab/interpreter.js';
import { parseProgram } from './matlab/parser.js';
import { toField, type StructV, type Value } from './matlab/values.js';
import { readTextFile } from './text-file.js';

let sharedBuiltins: ReadonlyMap<string, Builtin> | undefined;
function builtins(): ReadonlyMap<string, Builtin> {
  sharedBuiltins ??= new Map([...generalBuiltins(), ...atBuiltins()]);
  return sharedBuiltins;
}

function findLattice(interp: Interpreter, run: { output?: Value; workspace: ReadonlyMap<string, Value> }): Value | undefined {
  if (run.output !== undefined) return run.output;
  const g = interp.globals.get('THERING');
  if (g && g.k === 'cell' && g.d.length > 0) return g;
  for (const name of ['RING', 'THERING', 'ring']) {
    const v = run.workspace.get(name);
    if (v) return v;
  }
  return undefined;
}

function globvalEnergy(interp: Interpreter): number | undefined {
  const g = interp.globals.get('GLOBVAL');
  if (g?.k !== 'struct' || g.d.length !== 1) return undefined;
  const e = g.d[0].get('E0');
  return e?.k === 'num' && e.d.length === 1 ? e.d[0] : undefined;
}

/** Runs the text of a .m lattice file and returns the Lattice. */
export function parseMLattice(src: string, file: string): Lattice {
  const interp = new Interpreter(builtins());
  let value: Value | undefined;
  try {
    const program = parseProgram(src, file);
    value = findLattice(interp, interp.run(program));
  } catch (e) {
    if (e instanceof MSyntaxError) throw new LatticeFileError(file, e.detail, { line: e.line, column: e.column }, { cause: e });
    if (e instanceof MRuntimeError) throw new LatticeFileError(file, e.detail, { line: e.line }, { cause: e });
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new LatticeFileError(file, 'nested too deeply (calls or expressions): the JavaScript stack ran out', interp.line > 0 ? { line: interp.line } : {}, { cause: e });
    }
    throw e;
  }
  if (value === undefined) {
    throw new LatticeFileError(file, 'no lattice found: the main function returns nothing and there is no THERING, RING or ring variable');
  }
  let items: { v: Value; line?: number }[];
  if (value.k === 'cell') items = value.d.map((v) => ({ v, line: v.k === 'struct' ? v.lines?.[0] : undefined }));
  else if (value.k === 'struct') items = value.d.map((m, i) => ({ v: { k: 'struct', r: 1, c: 1, d: [m] } as StructV, line: value.lines?.[i] }));
  else throw new LatticeFileError(file, `the lattice is a ${value.k === 'num' ? 'numeric array' : value.k}, not a cell array of elements`);
  const elements: AtElement[] = items.map(({ v, line }, i) => {
    if (v.k !== 'struct' || v.d.length !== 1) {
      throw new LatticeFileError(file, `element ${i} of the lattice is a ${v.k === 'num' ? 'numeric array' : v.k}, not an element struct`, {});
    }
    const rec = toField(v) as Record<string, FieldValue>;
    try {
      return recordToElement(rec, file, i);
    } catch (e) {
      if (e instanceof LatticeFileError && line !== undefined) {
        throw new LatticeFileError(file, `element ${i}: ${e.detail}`, { line }, { cause: e });
      }
      throw e;
    }
  });
  return assembleLattice(elements, { file, fallbackEnergy: globvalEnergy(interp) });
}

export function loadMLattice(path: string): Lattice {
  return parseMLattice(readTextFile(path), path);
}

// ---------------------------------------------------------------- writing

function mNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  return String(x);
}

function mString(s: string): string {
  return `'${s.replace(/'/g, "''").replace(/\n/g, "' newline '")}'`;
}

/** A field value as MATLAB source. */
export function mLiteral(v: FieldValue | undefined): string {
  if (v === undefined) return '[]';
  if (typeof v === 'number') return mNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return mString(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return `[${(v as number[]).map(mNumber).join(' ')}]`;
    if (v.length > 0 && v.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'))) {
      const rows = v as number[][];
      const n = rows[0].length;
      if (rows.every((r) => r.length === n)) {
        if (n === 0) return `zeros(${rows.length},0)`;
        return `[${rows.map((r) => r.map(mNumber).join(' ')).join('; ')}]`;
      }
    }
    return `{${(v as FieldValue[]).map(mLiteral).join(', ')}}`;
  }
  const rec = v as Record<string, FieldValue>;
  return `struct(${Object.entries(rec)
    .map(([k, x]) => `${mString(k)}, ${Array.isArray(x) && !x.every((y) => typeof y === 'number') && !x.every((y) => Array.isArray(y)) ? `{${mLiteral(x)}}` : mLiteral(x)}`)
    .join(', ')})`;
}

function sameField(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const STRENGTH_INDEX: Partial<Record<string, number>> = { K: 1, H: 2, O: 3 };

function constructorName(cls: string): string {
  if (cls === 'Dipole') return 'atsbend';
  if (cls === 'M66') return 'atM66';
  return `at${cls.toLowerCase()}`;
}

/** One constructor call for an element (pyAT's save_m layout). */
export function elementToM(el: AtElement): string {
  const cls: AtClassName = (el.Class !== undefined ? lookupClass(el.Class) : undefined) ?? 'Element';
  const positional = positionalFields(cls);
  const args: string[] = [mString(el.FamName)];
  const given: Record<string, FieldValue> = { FamName: el.FamName };
  for (const name of positional) {
    let v: FieldValue | undefined = el[name];
    const si = STRENGTH_INDEX[name];
    if (si !== undefined && Array.isArray(el.PolynomB)) v = (el.PolynomB as number[])[si] ?? 0;
    if (v === undefined) break;
    args.push(mLiteral(v));
    given[name] = v;
  }
  if (el.PassMethod !== defaultPassMethod(cls)) {
    args.push(mString(el.PassMethod));
    given.PassMethod = el.PassMethod;
  }
  let reference: AtElement | undefined;
  try {
    reference = buildElement(cls, given);
  } catch (e) {
    if (!(e instanceof ElementDataError)) throw e;
  }
  const skip = new Set(['FamName', 'PassMethod', 'Class', ...positional]);
  const names = Object.keys(el)
    .filter((k) => !skip.has(k) && el[k] !== undefined)
    .sort();
  for (const k of names) {
    // MaxOrder is always written: its default depends on the polynomial lengths.
    if (k !== 'MaxOrder' && reference && sameField(el[k], reference[k])) continue;
    args.push(mString(k), mLiteral(el[k]));
  }
  return `${constructorName(cls)}(${args.join(', ')});...`;
}

/** Serialises a lattice as a MATLAB function file named `functionName`. */
export function formatMLattice(lattice: Lattice, functionName = 'ring'): string {
  const rp = ringParamRecord(lattice);
  const rpArgs = [mString(String(rp.FamName)), mLiteral(rp.Energy), mLiteral(rp.Periodicity)];
  for (const [k, v] of Object.entries(rp)) {
    if (['FamName', 'Energy', 'Periodicity', 'Length', 'PassMethod', 'Class'].includes(k)) continue;
    rpArgs.push(mString(k), mLiteral(v));
  }
  const lines = [`function ring = ${functionName}()`, 'ring = {...', `    atringparam(${rpArgs.join(', ')});...`];
  for (const el of lattice.elements) lines.push(`    ${elementToM(el)}`);
  lines.push('};', 'end', '');
  return lines.join('\n');
}

export function saveMLattice(path: string, lattice: Lattice): void {
  const name = basename(path).replace(/\.m$/i, '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z])/, 'L$1');
  writeFileSync(path, formatMLattice(lattice, name || 'ring'));
}
