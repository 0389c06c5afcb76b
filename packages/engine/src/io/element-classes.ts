/**
 * AT element classes as pyAT builds them: which arguments are positional, the
 * default PassMethod, the default fields, the shape conversions of known fields
 * and the class deduction for records without (or with an unknown) Class.
 *
 * Every loader (.m, .mat, .json) goes through `buildElement`, so an element has
 * the same fields whatever file it came from. Unknown fields are kept verbatim.
 *
 * MaxOrder of multipoles: when the file does not give it, it is the highest
 * index of the (final) PolynomA/PolynomB arrays, i.e. max(length) - 1, at least
 * the class order (Quadrupole 1, Sextupole 2, Octupole 3). This is what the
 * pyAT build of the references does: the Australian Synchrotron deck gives
 * `atsbend(..., 'PolynomB', [0 k s 0])` without MaxOrder and pyAT holds
 * MaxOrder 3; its save_m writes `'MaxOrder', 0` for a dipole built with K = 0.
 */
import type { AtElement, FieldValue } from '../lattice.js';
import { ElementDataError } from './errors.js';

/** pyAT class names (the Class field of loaded elements uses these). */
export const AT_CLASSES = [
  'Element',
  'Marker',
  'Monitor',
  'Aperture',
  'LongtAperture',
  'Drift',
  'Collimator',
  'ThinMultipole',
  'Multipole',
  'Dipole',
  'Quadrupole',
  'Sextupole',
  'Octupole',
  'Corrector',
  'Wiggler',
  'Solenoid',
  'RFCavity',
  'M66',
  'RingParam',
] as const;
export type AtClassName = (typeof AT_CLASSES)[number];

interface ClassSpec {
  /** Positional arguments after FamName, in order (pyAT _BUILD_ATTRIBUTES). */
  readonly positional: readonly string[];
  /** Further optional positional arguments accepted by the MATLAB constructor (before the PassMethod). */
  readonly extraPositional?: readonly string[];
  readonly passMethod: string;
  /** Multipole family: PolynomA/PolynomB/MaxOrder handling. */
  readonly multipole?: { readonly order: number; readonly thick: boolean; readonly strength?: 'K' | 'H' | 'O' };
}

const SPECS: Record<AtClassName, ClassSpec> = {
  Element: { positional: [], passMethod: 'IdentityPass' },
  Marker: { positional: [], passMethod: 'IdentityPass' },
  Monitor: { positional: [], passMethod: 'IdentityPass' },
  Aperture: { positional: ['Limits'], passMethod: 'AperturePass' },
  LongtAperture: { positional: ['Limits'], passMethod: 'LongtAperturePass' },
  Drift: { positional: ['Length'], passMethod: 'DriftPass' },
  Collimator: { positional: ['Length', 'RApertures'], passMethod: 'DriftPass' },
  ThinMultipole: { positional: ['PolynomA', 'PolynomB'], passMethod: 'ThinMPolePass', multipole: { order: 0, thick: false } },
  Multipole: { positional: ['Length', 'PolynomA', 'PolynomB'], passMethod: 'StrMPoleSymplectic4Pass', multipole: { order: 0, thick: true } },
  Dipole: {
    positional: ['Length', 'BendingAngle', 'K'],
    passMethod: 'BndMPoleSymplectic4Pass',
    multipole: { order: 0, thick: true, strength: 'K' },
  },
  Quadrupole: { positional: ['Length', 'K'], passMethod: 'StrMPoleSymplectic4Pass', multipole: { order: 1, thick: true, strength: 'K' } },
  Sextupole: { positional: ['Length', 'H'], passMethod: 'StrMPoleSymplectic4Pass', multipole: { order: 2, thick: true, strength: 'H' } },
  Octupole: { positional: ['Length', 'O'], passMethod: 'StrMPoleSymplectic4Pass', multipole: { order: 3, thick: true, strength: 'O' } },
  Corrector: { positional: ['Length', 'KickAngle'], passMethod: 'CorrectorPass' },
  Wiggler: { positional: ['Length', 'Lw', 'Bmax'], extraPositional: ['Energy'], passMethod: 'GWigSymplecticPass' },
  Solenoid: { positional: ['Length', 'K'], passMethod: 'SolenoidLinearPass' },
  RFCavity: { positional: ['Length', 'Voltage', 'Frequency', 'HarmNumber', 'Energy'], passMethod: 'RFCavityPass' },
  M66: { positional: ['M66'], passMethod: 'Matrix66Pass' },
  RingParam: { positional: ['Energy', 'Periodicity'], passMethod: 'IdentityPass' },
};

/** Positional argument names (after FamName) of a class. */
export function positionalFields(cls: AtClassName): readonly string[] {
  const s = SPECS[cls];
  return s.extraPositional ? [...s.positional, ...s.extraPositional] : s.positional;
}

export function defaultPassMethod(cls: AtClassName): string {
  return SPECS[cls].passMethod;
}

/** Class names and aliases, lowercased (pyAT's class map). */
const CLASS_MAP: ReadonlyMap<string, AtClassName> = new Map<string, AtClassName>([
  ...AT_CLASSES.map((c) => [c.toLowerCase(), c] as [string, AtClassName]),
  ['bend', 'Dipole'],
  ['rbend', 'Dipole'],
  ['sbend', 'Dipole'],
  ['quad', 'Quadrupole'],
  ['sext', 'Sextupole'],
  ['rf', 'RFCavity'],
  ['bpm', 'Monitor'],
  ['ap', 'Aperture'],
  ['wig', 'Wiggler'],
  ['matrix66', 'M66'],
]);

/** PassMethod → class (pyAT's pass map). */
const PASS_MAP: ReadonlyMap<string, AtClassName> = new Map<string, AtClassName>([
  ['BendLinearPass', 'Dipole'],
  ['BndMPoleSymplectic4RadPass', 'Dipole'],
  ['BndMPoleSymplectic4Pass', 'Dipole'],
  ['QuadLinearPass', 'Quadrupole'],
  ['StrMPoleSymplectic4Pass', 'Multipole'],
  ['StrMPoleSymplectic4RadPass', 'Multipole'],
  ['CorrectorPass', 'Corrector'],
  ['CavityPass', 'RFCavity'],
  ['RFCavityPass', 'RFCavity'],
  ['ThinMPolePass', 'ThinMultipole'],
  ['Matrix66Pass', 'M66'],
  ['AperturePass', 'Aperture'],
  ['GWigSymplecticPass', 'Wiggler'],
  ['SolenoidLinearPass', 'Solenoid'],
]);

/** Class names written to files (pyAT writes Bend for Dipole, Matrix66 for M66). */
const FILE_CLASS: Readonly<Record<string, string>> = { Dipole: 'Bend', M66: 'Matrix66' };

export function fileClassName(cls: string): string {
  return FILE_CLASS[cls] ?? cls;
}

/** The AT class named by a Class field or an alias (case-insensitive), if known. */
export function lookupClass(name: string): AtClassName | undefined {
  return CLASS_MAP.get(name.toLowerCase());
}

function has(rec: Record<string, FieldValue>, ...names: string[]): boolean {
  return names.some((n) => rec[n] !== undefined);
}

function lowOrder(v: FieldValue | undefined): number {
  const flat = flattenNumbers(v);
  if (!flat) return -1;
  return flat.findIndex((x) => x !== 0);
}

/**
 * Deduces the class of an element record as pyAT does: the Class field, then the
 * FamName, then the PassMethod, then the contents.
 */
export function findClass(rec: Record<string, FieldValue>): AtClassName {
  const cl = rec.Class;
  if (typeof cl === 'string') {
    const c = lookupClass(cl);
    if (c) return c;
  }
  if (typeof rec.FamName === 'string') {
    const c = lookupClass(rec.FamName);
    if (c) return c;
  }
  const pm = typeof rec.PassMethod === 'string' ? rec.PassMethod : '';
  const byPass = PASS_MAP.get(pm);
  if (byPass) return byPass;
  const length = typeof rec.Length === 'number' ? rec.Length : (flattenNumbers(rec.Length)?.[0] ?? 0);
  if (has(rec, 'FullGap', 'FringeInt1', 'FringeInt2', 'gK', 'EntranceAngle', 'ExitAngle')) return 'Dipole';
  if (has(rec, 'Voltage', 'Frequency', 'HarmNumber', 'PhaseLag', 'TimeLag')) return 'RFCavity';
  if (has(rec, 'Periodicity')) return 'RingParam';
  if (has(rec, 'Limits')) return 'Aperture';
  if (has(rec, 'M66')) return 'M66';
  if (has(rec, 'K')) return 'Quadrupole';
  if (has(rec, 'PolynomB', 'PolynomA')) {
    const lo = lowOrder(rec.PolynomB);
    if (lo === 1) return 'Quadrupole';
    if (lo === 2) return 'Sextupole';
    if (lo === 3) return 'Octupole';
    if (pm.startsWith('StrMPoleSymplectic4') || length > 0) return 'Multipole';
    return 'ThinMultipole';
  }
  if (has(rec, 'KickAngle')) return 'Corrector';
  if (length > 0) return 'Drift';
  if (has(rec, 'GCR')) return 'Monitor';
  if (pm === 'IdentityPass') return 'Marker';
  return 'Element';
}

// ---------------------------------------------------------------- shapes

/** All numbers of a value in row-major order, or undefined if it is not numeric. */
export function flattenNumbers(v: FieldValue | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return [v];
  if (typeof v === 'boolean') return [v ? 1 : 0];
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return v as number[];
    const out: number[] = [];
    for (const x of v) {
      const f = flattenNumbers(x as FieldValue);
      if (!f) return undefined;
      for (const y of f) out.push(y);
    }
    return out;
  }
  return undefined;
}

function asScalar(fam: string, field: string, v: FieldValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const f = flattenNumbers(v);
  if (f && f.length === 1) return f[0];
  throw new ElementDataError(fam, field, `expected a number, got ${describe(v)}`);
}

function asVector(fam: string, field: string, v: FieldValue, length?: number): number[] {
  const f = flattenNumbers(v);
  if (!f) throw new ElementDataError(fam, field, `expected a numeric vector, got ${describe(v)}`);
  if (length !== undefined && f.length !== length) {
    throw new ElementDataError(fam, field, `expected ${length} numbers, got ${f.length}: ${describe(v)}`);
  }
  return f === v ? [...f] : f;
}

function asMatrix(fam: string, field: string, v: FieldValue, rows: number, cols: number): number[][] {
  if (Array.isArray(v) && v.length === rows && v.every((r) => Array.isArray(r) && r.length === cols)) {
    return (v as FieldValue[]).map((r) => asVector(fam, field, r, cols));
  }
  const f = flattenNumbers(v);
  if (!f || f.length !== rows * cols) {
    throw new ElementDataError(fam, field, `expected a ${rows}x${cols} matrix, got ${describe(v)}`);
  }
  // A flat list of rows*cols numbers is read row-major (numpy reshape).
  return Array.from({ length: rows }, (_, i) => f.slice(i * cols, (i + 1) * cols));
}

/** (6, n) table: a 6xN matrix, or a flat vector of 6N numbers read row-major. */
function asSixRows(fam: string, field: string, v: FieldValue): number[][] {
  if (Array.isArray(v) && v.length === 6 && v.every((r) => Array.isArray(r))) {
    return (v as FieldValue[]).map((r) => asVector(fam, field, r));
  }
  const f = flattenNumbers(v);
  if (!f || f.length % 6 !== 0) throw new ElementDataError(fam, field, `expected a 6xN table, got ${describe(v)}`);
  const n = f.length / 6;
  return Array.from({ length: 6 }, (_, i) => f.slice(i * n, (i + 1) * n));
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

type Conversion = (fam: string, field: string, v: FieldValue) => FieldValue;
const scalar: Conversion = asScalar;
const vec =
  (n?: number): Conversion =>
  (fam, field, v) =>
    asVector(fam, field, v, n);
const mat66: Conversion = (fam, field, v) => asMatrix(fam, field, v, 6, 6);

/** Field conversions applied to every element (pyAT's Element._conversions and friends). */
const CONVERSIONS: Readonly<Record<string, Conversion>> = {
  Length: scalar,
  R1: mat66,
  R2: mat66,
  T1: vec(6),
  T2: vec(6),
  RApertures: vec(4),
  EApertures: vec(2),
  KickAngle: vec(2),
  PolynomA: vec(),
  PolynomB: vec(),
  BendingAngle: scalar,
  MaxOrder: scalar,
  NumIntSteps: scalar,
  Energy: scalar,
  EntranceAngle: scalar,
  ExitAngle: scalar,
  FringeInt1: scalar,
  FringeInt2: scalar,
  FringeQuadEntrance: scalar,
  FringeQuadExit: scalar,
  FringeBendEntrance: scalar,
  FringeBendExit: scalar,
  FullGap: scalar,
  K: scalar,
  H: scalar,
  O: scalar,
  Voltage: scalar,
  Frequency: scalar,
  HarmNumber: scalar,
  TimeLag: scalar,
  Periodicity: scalar,
};

const CLASS_CONVERSIONS: Partial<Record<AtClassName, Readonly<Record<string, Conversion>>>> = {
  Aperture: { Limits: vec(4) },
  LongtAperture: { Limits: vec(4) },
  M66: { M66: mat66, M66Rad: mat66 },
  Wiggler: {
    Lw: scalar,
    Bmax: scalar,
    Bx: (f, n, v) => asSixRows(f, n, v),
    By: (f, n, v) => asSixRows(f, n, v),
    Nstep: scalar,
    Nmeth: scalar,
    NHharm: scalar,
    NVharm: scalar,
  },
};

function convertField(cls: AtClassName, fam: string, field: string, v: FieldValue): FieldValue {
  const conv = CLASS_CONVERSIONS[cls]?.[field] ?? CONVERSIONS[field];
  return conv ? conv(fam, field, v) : v;
}

// ---------------------------------------------------------------- building

export interface BuildOptions {
  /** MATLAB rbend: entrance and exit angles default to half the bending angle. */
  readonly rectangular?: boolean;
}

function lengthen(p: number[], n: number): number[] {
  return p.length >= n ? p : [...p, ...new Array<number>(n - p.length).fill(0)];
}

/**
 * Builds an element of class `cls` from its fields (positional arguments already
 * named). Applies the class defaults and the field conversions, resolves
 * PolynomA/PolynomB/K/H/MaxOrder of multipoles, and sets Class.
 */
export function buildElement(cls: AtClassName, given: Record<string, FieldValue>, opts: BuildOptions = {}): AtElement {
  const spec = SPECS[cls];
  const famRaw = given.FamName;
  if (typeof famRaw !== 'string') throw new ElementDataError(String(famRaw), 'FamName', `expected a string, got ${describe(famRaw)}`);
  const fam = famRaw;
  const f: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(given)) {
    if (k === 'Class' || v === undefined) continue;
    f[k] = convertField(cls, fam, k, v);
  }
  const pm = f.PassMethod ?? spec.passMethod;
  if (typeof pm !== 'string') throw new ElementDataError(fam, 'PassMethod', `expected a string, got ${describe(pm)}`);
  const out: AtElement = { FamName: fam, PassMethod: pm, Length: 0 };
  delete f.FamName;
  delete f.PassMethod;
  if (f.Length !== undefined) out.Length = f.Length as number;
  delete f.Length;

  switch (cls) {
    case 'Dipole': {
      f.BendingAngle ??= 0;
      const half = (f.BendingAngle as number) / 2;
      f.EntranceAngle ??= opts.rectangular ? half : 0;
      f.ExitAngle ??= opts.rectangular ? half : 0;
      break;
    }
    case 'RFCavity':
      f.TimeLag ??= 0;
      break;
    case 'M66': {
      const m = f.M66 ?? identity6();
      f.M66 = m;
      f.M66Rad ??= (m as number[][]).map((r) => [...r]);
      break;
    }
    case 'Wiggler': {
      f.Nstep ??= 5;
      f.Nmeth ??= 4;
      f.By ??= [[1], [1], [0], [1], [1], [0]];
      f.Bx ??= [[], [], [], [], [], []];
      f.NHharm = (f.By as number[][])[0].length;
      f.NVharm = (f.Bx as number[][])[0].length;
      break;
    }
    default:
      break;
  }
  if (spec.multipole) resolveMultipole(cls, fam, spec.multipole, f);
  for (const [k, v] of Object.entries(f)) out[k] = v;
  out.Class = cls;
  return out;
}

function identity6(): number[][] {
  return Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i === j ? 1 : 0)));
}

function resolveMultipole(
  cls: AtClassName,
  fam: string,
  m: { order: number; thick: boolean; strength?: 'K' | 'H' | 'O' },
  f: Record<string, FieldValue>,
): void {
  // Strength argument of Dipole/Quadrupole/Sextupole/Octupole → PolynomB[order index].
  const sIndex = m.strength === 'K' ? 1 : m.strength === 'H' ? 2 : m.strength === 'O' ? 3 : -1;
  let polyA: number[] = (f.PolynomA as number[] | undefined) ?? [];
  let polyB: number[];
  const strength = m.strength !== undefined ? (f[m.strength] as number | undefined) : undefined;
  if (strength !== undefined && !Number.isFinite(strength)) throw new ElementDataError(fam, m.strength!, `${m.strength} = ${strength} is not a finite number`);
  for (const field of ['PolynomA', 'PolynomB'] as const) {
    const poly = f[field] as number[] | undefined;
    const bad = poly?.findIndex((v) => !Number.isFinite(v)) ?? -1;
    if (bad >= 0) throw new ElementDataError(fam, field, `${field}[${bad}] = ${poly![bad]} is not a finite number`);
  }
  if (f.PolynomB !== undefined) {
    polyB = f.PolynomB as number[];
    if (strength !== undefined && strength !== 0 && (polyB.length <= sIndex || polyB[sIndex] !== strength)) {
      throw new ElementDataError(
        fam,
        'PolynomB',
        `${m.strength} = ${strength} does not match PolynomB = ${describe(polyB)} (PolynomB[${sIndex}] must equal ${m.strength})`,
      );
    }
  } else {
    polyB = sIndex >= 0 ? lengthen([], sIndex + 1) : [];
    if (sIndex >= 0) polyB[sIndex] = strength ?? 0;
  }
  if (m.strength !== undefined) delete f[m.strength];
  const maxOrder =
    f.MaxOrder !== undefined ? (f.MaxOrder as number) : Math.max(m.order, polyA.length - 1, polyB.length - 1);
  const n = Math.max(maxOrder + 1, polyA.length, polyB.length);
  polyA = lengthen(polyA, n);
  polyB = lengthen(polyB, n);
  f.PolynomA = polyA;
  f.PolynomB = polyB;
  f.MaxOrder = maxOrder;
  if (m.thick) f.NumIntSteps ??= 10;
  // pyAT exposes K for Quadrupole and Dipole (not H for Sextupole) as an element attribute.
  if (cls === 'Quadrupole' || cls === 'Dipole') f.K = polyB[1];
}

/** Builds an element from a record of fields (a .mat struct, a JSON object): class from `findClass`. */
export function elementFromRecord(rec: Record<string, FieldValue>): AtElement {
  return buildElement(findClass(rec), rec);
}
