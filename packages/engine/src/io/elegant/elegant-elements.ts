/**
 * elegant element definitions to AT elements, as pyAT's `load_elegant` builds
 * them (the choices are listed in this folder's README). Every parameter the
 * AT element does not take, and every element type AT has no equivalent for,
 * is recorded in the conversion-loss log.
 */
import type { AtElement, FieldValue } from '../../lattice.js';
import type { ConversionLossLog } from '../conversion-report.js';
import { buildElement, type AtClassName } from '../element-classes.js';
import { setTilt } from '../element-tilt.js';
import { LatticeFileError } from '../errors.js';
import type { ElementDef, ParamDef } from './elegant-parse.js';
import { FACTORIAL } from '../factorial.js';

/** Highest MULT ORDER read. */
const MAX_MULT_ORDER = 10;

type Build = (p: ParamReader) => AtElement[];
interface TypeSpec {
  /** Builds the elements; the parameters it reads are the ones used (TILT, DX, DY, N_KICKS, N_SLICES on top). */
  readonly build: Build;
}


/** Reads the numeric parameters of one definition; errors name the file, line, column and element. */
export class ParamReader {
  readonly used = new Set<string>();
  constructor(readonly def: ElementDef) {}

  private param(key: string): ParamDef | undefined {
    this.used.add(key);
    return this.def.params.get(key);
  }

  fail(detail: string, p?: ParamDef): never {
    const pos = p?.pos ?? this.def.pos;
    throw new LatticeFileError(this.def.file, `${this.def.type}: ${detail}`, { line: pos.line, column: pos.column, name: this.def.name });
  }

  num(key: string, dflt: number): number {
    const p = this.param(key);
    if (!p) return dflt;
    if (p.value === undefined) this.fail(`parameter ${key} = ${p.raw}: ${p.error ?? 'not a number'}`, p);
    return p.value;
  }

  required(key: string): number {
    if (!this.def.params.has(key)) {
      this.used.add(key);
      this.fail(`parameter ${key} is required (pyAT needs it too)`);
    }
    return this.num(key, 0);
  }

  has(key: string): boolean {
    return this.def.params.has(key);
  }

  get name(): string {
    return this.def.name;
  }
}

function el(cls: AtClassName, fields: Record<string, FieldValue>, p: ParamReader): AtElement {
  return buildElement(cls, { FamName: p.name, ...fields });
}

function length(p: ParamReader, required: boolean): number {
  const l = required ? p.required('L') : p.num('L', 0);
  if (l < 0) p.fail(`L = ${l}: a length must not be negative`);
  return l;
}

const drift: TypeSpec = { build: (p) => [el('Drift', { Length: length(p, false) }, p)] };
const marker: TypeSpec = { build: (p) => [el('Marker', {}, p)] };
const quad: TypeSpec = {
  build: (p) => [el('Quadrupole', { Length: length(p, true), K: p.num('K1', 0) }, p)],
};
const sext: TypeSpec = {
  build: (p) => {
    const k1 = p.num('K1', 0);
    const h = p.num('K2', 0) / 2;
    return [el('Sextupole', { Length: length(p, true), H: h, ...(k1 !== 0 ? { PolynomB: [0, k1, h] } : {}) }, p)];
  },
};
const quse: TypeSpec = {
  build: (p) => [el('Multipole', { Length: length(p, true), PolynomA: [], PolynomB: [0, p.num('K1', 0), p.num('K2', 0) / 2] }, p)],
};
const oct: TypeSpec = {
  build: (p) => [el('Octupole', { Length: length(p, true), PolynomA: [0, 0, 0, 0], PolynomB: [0, 0, 0, p.num('K3', 0) / 6] }, p)],
};
const mult: TypeSpec = {
  build: (p) => {
    const order = p.num('ORDER', 1);
    if (!Number.isInteger(order) || order < 0 || order > MAX_MULT_ORDER) p.fail(`ORDER = ${order}: must be an integer from 0 to ${MAX_MULT_ORDER}`);
    const l = length(p, false);
    const knl = p.num('KNL', 0);
    const a = new Array<number>(order + 1).fill(0);
    const b = new Array<number>(order + 1).fill(0);
    if (l === 0) {
      b[order] = knl / FACTORIAL[order];
      return [el('ThinMultipole', { PolynomA: a, PolynomB: b }, p)];
    }
    b[order] = knl / FACTORIAL[order] / l;
    return [el('Multipole', { Length: l, PolynomA: a, PolynomB: b }, p)];
  },
};

function bend(p: ParamReader, arc: number, angle: number, e1: number, e2: number): AtElement[] {
  const f: Record<string, FieldValue> = { Length: arc, BendingAngle: angle, EntranceAngle: e1, ExitAngle: e2 };
  const k1 = p.num('K1', 0);
  const k2 = p.num('K2', 0);
  const k3 = p.num('K3', 0);
  const k4 = p.num('K4', 0);
  f.K = k1;
  if (k2 !== 0 || k3 !== 0 || k4 !== 0) f.PolynomB = [0, k1, k2 / 2, k3 / 6, k4 / 24];
  if (p.has('HGAP')) {
    const fint = p.num('FINT', 0);
    Object.assign(f, { FullGap: 2 * p.num('HGAP', 0), FringeInt1: fint, FringeInt2: fint });
  } else p.num('FINT', 0);
  return [el('Dipole', f, p)];
}
const sbend: TypeSpec = {
  build: (p) => bend(p, length(p, true), p.required('ANGLE'), p.num('E1', 0), p.num('E2', 0)),
};
/** Rectangular bend: L is the chord; the arc is L / sinc(angle/2) and each edge gets angle/2 (signed, as MAD-X). */
const rbend: TypeSpec = {
  build: (p) => {
    const chord = length(p, true);
    const angle = p.required('ANGLE');
    const h = angle / 2;
    const arc = h === 0 ? chord : (chord * h) / Math.sin(h);
    return bend(p, arc, angle, p.num('E1', 0) + h, p.num('E2', 0) + h);
  },
};
const kicker: TypeSpec = {
  build: (p) => [el('Corrector', { Length: length(p, false), KickAngle: [p.num('HKICK', 0), p.num('VKICK', 0)] }, p)],
};
const hkick: TypeSpec = {
  build: (p) => [el('Corrector', { Length: length(p, false), KickAngle: [p.num('KICK', 0), 0] }, p)],
};
const vkick: TypeSpec = {
  build: (p) => [el('Corrector', { Length: length(p, false), KickAngle: [0, p.num('KICK', 0)] }, p)],
};
const rfca: TypeSpec = {
  build: (p) => {
    const l = length(p, false);
    const freq = p.required('FREQ');
    if (freq <= 0) p.fail(`FREQ = ${freq}: the frequency must be positive`);
    return [
      el('RFCavity', { Length: l, Voltage: p.num('VOLT', 0), Frequency: freq, HarmNumber: 0, Energy: 0, TimeLag: 0, PassMethod: l === 0 ? 'IdentityPass' : 'DriftPass' }, p),
    ];
  },
};
const moni: TypeSpec = {
  build: (p) => {
    const l = length(p, false);
    if (l === 0) return [el('Monitor', {}, p)];
    return [el('Drift', { Length: l / 2 }, p), el('Monitor', {}, p), el('Drift', { Length: l / 2 }, p)];
  },
};

/**
 * SOLE: KS (rad/m) is read as AT's K = Bs/(B rho), as MAD-X's KS (pyAT reads no
 * solenoid). B alone (field in T, used by elegant when KS = 0) needs the beam
 * rigidity, which an .lte file does not hold: not converted, reported.
 */
const sole: TypeSpec = {
  build: (p) => {
    const l = length(p, false);
    if (l === 0) return [el('Marker', {}, p)];
    return [el('Solenoid', { Length: l, K: p.num('KS', 0) }, p)];
  },
};

/** elegant type names (and pyAT's aliases) → conversion. */
export const ELEGANT_TYPES: ReadonlyMap<string, TypeSpec> = new Map<string, TypeSpec>([
  ...['DRIF', 'DRIFT', 'EDRIFT'].map((n) => [n, drift] as const),
  ['MARK', marker],
  ...['KQUAD', 'QUAD', 'QUADRUPOLE'].map((n) => [n, quad] as const),
  ...['KSEXT', 'SEXT', 'SEXTUPOLE'].map((n) => [n, sext] as const),
  ['KQUSE', quse],
  ...['KOCT', 'OCTU', 'OCTUPOLE'].map((n) => [n, oct] as const),
  ...['MULT', 'MULTIPOLE'].map((n) => [n, mult] as const),
  ...['CSBEND', 'SBEND', 'SBEN', 'CSBEN', 'CSRCSBEN'].map((n) => [n, sbend] as const),
  ...['RBEN', 'RBEND', 'CRBEND', 'CRBEN'].map((n) => [n, rbend] as const),
  ...['KICKER', 'EKICKER'].map((n) => [n, kicker] as const),
  ...['HKICK', 'HKICKER'].map((n) => [n, hkick] as const),
  ...['VKICK', 'VKICKER'].map((n) => [n, vkick] as const),
  ...['RFCA', 'RFCW'].map((n) => [n, rfca] as const),
  ...['MONI', 'MONITOR', 'HMON', 'HMONITOR', 'VMON', 'VMONITOR'].map((n) => [n, moni] as const),
  ...['SOLE', 'SOLENOID'].map((n) => [n, sole] as const),
]);

/** Types with no AT element: read as a Drift (or a Marker when L = 0), as pyAT does. */
const AS_DRIFT = new Set(['SCRAPER', 'ECOL', 'RCOL', 'CSRDRIF']);
/** Types that give no element at all (pyAT skips them; they do not count). */
export const SKIPPED_TYPES = new Set(['MAXAMP', 'CHARGE', 'RECIRC', 'SREFFECTS', 'PFILTER', 'ENERGY', 'SCATTER', 'WATCH', 'WAKE']);

const COMMON_KEYS = ['TILT', 'DX', 'DY', 'N_KICKS', 'N_SLICES'];
const HAS_STEPS = new Set(['Dipole', 'Quadrupole', 'Sextupole', 'Octupole', 'Multipole']);

/**
 * MALIGN offsets the beam: x += DX, x' += DXP, y += DY, y' += DYP, delta += DP
 * (elegant's offset_beam). That is a Marker whose T1 is the offset (AT adds T1
 * at the entrance; x' is taken for px, exact to first order). DZ, DT, DE and
 * ON_PASS (one pass only) have no AT equivalent: such a MALIGN is dropped, as
 * pyAT drops every MALIGN, and reported.
 */
function malign(def: ElementDef, p: ParamReader, loss: (attribute: string, reason: string) => void): AtElement[] {
  const t1 = ['DX', 'DXP', 'DY', 'DYP', 'DP'].map((k) => p.num(k, 0));
  const other = ['DZ', 'DT', 'DE'].filter((k) => p.num(k, 0) !== 0);
  if (p.num('ON_PASS', -1) !== -1) other.push('ON_PASS');
  for (const [k, v] of def.params) if (!p.used.has(k)) loss(k, `${k}=${v.raw} is not used by AT: dropped`);
  if (other.length) {
    loss(other[0], `MALIGN with ${other.join(', ')} has no AT equivalent: dropped (pyAT drops every MALIGN)`);
    return [];
  }
  if (t1.every((x) => x === 0)) {
    loss('', 'MALIGN without offset: dropped');
    return [];
  }
  loss('', 'MALIGN read as a Marker with T1 = [DX, DXP, DY, DYP, DP, 0] (pyAT drops MALIGN: one element more than pyAT)');
  const e = el('Marker', {}, p);
  e.T1 = [...t1, 0];
  return [e];
}

/**
 * The AT elements of one definition (zero, one, or three for a thick monitor),
 * recording what is not carried in `losses`. `index` is the lattice index of
 * the first element, for the loss entries.
 */
export function elementsOf(def: ElementDef, losses: ConversionLossLog | undefined, index: number): AtElement[] {
  const p = new ParamReader(def);
  const line = def.pos.line;
  const loss = (attribute: string, reason: string) => losses?.add({ element: def.name, index, attribute, reason, line });
  if (SKIPPED_TYPES.has(def.type)) {
    loss('', `${def.type} has no AT element: dropped (pyAT drops it too)`);
    return [];
  }
  if (def.type === 'MALIGN') return malign(def, p, loss);
  const spec = ELEGANT_TYPES.get(def.type);
  let out: AtElement[];
  if (!spec) {
    const l = length(p, false);
    const why = AS_DRIFT.has(def.type) ? `${def.type} has no AT equivalent` : `unknown elegant element type ${def.type}`;
    loss('', `${why}: read as a ${l > 0 ? 'Drift' : 'Marker'}`);
    out = [l > 0 ? el('Drift', { Length: l }, p) : el('Marker', {}, p)];
  } else out = spec.build(p);

  const tilt = p.num('TILT', 0);
  const dx = p.num('DX', 0);
  const dy = p.num('DY', 0);
  const nk = p.has('N_KICKS') ? Math.trunc(p.num('N_KICKS', 0) / 4) : undefined;
  const ns = p.has('N_SLICES') ? p.num('N_SLICES', 0) : undefined;
  const steps = ns ?? nk;
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
    p.fail(`NumIntSteps from ${ns !== undefined ? `N_SLICES = ${ns}` : `N_KICKS = ${p.num('N_KICKS', 0)} (N_KICKS/4, truncated)`} is ${steps}: must be a positive integer`);
  }
  for (const e of out) {
    if (tilt !== 0) setTilt(e, tilt);
    if (dx !== 0 || dy !== 0) {
      e.T1 = [-dx, 0, -dy, 0, 0, 0];
      e.T2 = [dx, 0, dy, 0, 0, 0];
    }
    if (steps !== undefined && HAS_STEPS.has(e.Class ?? '')) e.NumIntSteps = steps;
  }
  if (steps !== undefined && !out.some((e) => HAS_STEPS.has(e.Class ?? ''))) loss(ns !== undefined ? 'N_SLICES' : 'N_KICKS', 'no integration steps on this element: dropped');
  for (const [k, v] of def.params) {
    if (p.used.has(k) || COMMON_KEYS.includes(k)) continue;
    loss(k, `${k}=${v.raw} is not used by AT: dropped`);
  }
  return out;
}
