/**
 * openPMD units: every stored quantity carries `unitSI` (factor to SI) and
 * `unitDimension`, the powers of the seven SI base quantities
 * (length L, mass M, time T, current I, temperature θ, amount N, luminous intensity J).
 */
export type UnitDimension = readonly [number, number, number, number, number, number, number];

export interface UnitSpec {
  /** Human-readable unit symbol, e.g. "mm". */
  readonly unit: string;
  /** Factor converting a stored value to SI. */
  readonly unitSI: number;
  readonly unitDimension: UnitDimension;
}

export const DIMENSIONLESS: UnitDimension = [0, 0, 0, 0, 0, 0, 0];

const L: UnitDimension = [1, 0, 0, 0, 0, 0, 0];
const T: UnitDimension = [0, 0, 1, 0, 0, 0, 0];
const PER_T: UnitDimension = [0, 0, -1, 0, 0, 0, 0];
const I: UnitDimension = [0, 0, 0, 1, 0, 0, 0];
const PER_L: UnitDimension = [-1, 0, 0, 0, 0, 0, 0];
const PER_L2: UnitDimension = [-2, 0, 0, 0, 0, 0, 0];
const TESLA: UnitDimension = [0, 1, -2, -1, 0, 0, 0];
const TESLA_PER_M: UnitDimension = [-1, 1, -2, -1, 0, 0, 0];
const TESLA_M: UnitDimension = [1, 1, -2, -1, 0, 0, 0];
const ENERGY: UnitDimension = [2, 1, -2, 0, 0, 0, 0];
const VOLT: UnitDimension = [2, 1, -3, -1, 0, 0, 0];
const CHARGE: UnitDimension = [0, 0, 1, 1, 0, 0, 0];
const KELVIN: UnitDimension = [0, 0, 0, 0, 1, 0, 0];

const E = 1.602176634e-19;

const TABLE: ReadonlyArray<readonly [string[], number, UnitDimension]> = [
  [['', '1', '-', 'dimensionless', 'rad', 'radian'], 1, DIMENSIONLESS],
  [['mrad'], 1e-3, DIMENSIONLESS],
  [['urad', 'µrad'], 1e-6, DIMENSIONLESS],
  [['m'], 1, L],
  [['mm'], 1e-3, L],
  [['um', 'µm'], 1e-6, L],
  [['nm'], 1e-9, L],
  [['km'], 1e3, L],
  [['s'], 1, T],
  [['ms'], 1e-3, T],
  [['us', 'µs'], 1e-6, T],
  [['ns'], 1e-9, T],
  [['Hz', '1/s'], 1, PER_T],
  [['kHz'], 1e3, PER_T],
  [['MHz'], 1e6, PER_T],
  [['A'], 1, I],
  [['mA'], 1e-3, I],
  [['1/m', 'm^-1'], 1, PER_L],
  [['1/m^2', 'm^-2', '1/m2'], 1, PER_L2],
  [['T'], 1, TESLA],
  [['T/m'], 1, TESLA_PER_M],
  [['T.m', 'T*m', 'Tm'], 1, TESLA_M],
  [['J'], 1, ENERGY],
  [['eV'], E, ENERGY],
  [['keV'], E * 1e3, ENERGY],
  [['MeV'], E * 1e6, ENERGY],
  [['GeV'], E * 1e9, ENERGY],
  [['V'], 1, VOLT],
  [['kV'], 1e3, VOLT],
  [['MV'], 1e6, VOLT],
  [['C'], 1, CHARGE],
  [['nC'], 1e-9, CHARGE],
  [['K'], 1, KELVIN],
];

const BY_SYMBOL = new Map<string, UnitSpec>();
for (const [symbols, unitSI, unitDimension] of TABLE) {
  for (const unit of symbols) BY_SYMBOL.set(unit, { unit, unitSI, unitDimension });
}

/** SI symbols (with their dimension and factor) that unit expressions are built from. */
const BASE: ReadonlyArray<readonly [string, number, UnitDimension]> = [
  ['m', 1, L],
  ['g', 1e-3, [0, 1, 0, 0, 0, 0, 0]],
  ['s', 1, T],
  ['A', 1, I],
  ['K', 1, KELVIN],
  ['mol', 1, [0, 0, 0, 0, 0, 1, 0]],
  ['cd', 1, [0, 0, 0, 0, 0, 0, 1]],
  ['rad', 1, DIMENSIONLESS],
  ['sr', 1, DIMENSIONLESS],
  ['Hz', 1, PER_T],
  ['N', 1, [1, 1, -2, 0, 0, 0, 0]],
  ['Pa', 1, [-1, 1, -2, 0, 0, 0, 0]],
  ['J', 1, ENERGY],
  ['W', 1, [2, 1, -3, 0, 0, 0, 0]],
  ['C', 1, CHARGE],
  ['V', 1, VOLT],
  ['F', 1, [-2, -1, 4, 2, 0, 0, 0]],
  ['Ohm', 1, [2, 1, -3, -2, 0, 0, 0]],
  ['Ω', 1, [2, 1, -3, -2, 0, 0, 0]],
  ['S', 1, [-2, -1, 3, 2, 0, 0, 0]],
  ['Wb', 1, [2, 1, -2, -1, 0, 0, 0]],
  ['T', 1, TESLA],
  ['H', 1, [2, 1, -2, -2, 0, 0, 0]],
  ['eV', E, ENERGY],
];
const BASE_BY_SYMBOL = new Map(BASE.map(([sym, f, d]) => [sym, { f, d }]));
const PREFIX: Readonly<Record<string, number>> = { P: 1e15, G: 1e9, M: 1e6, k: 1e3, c: 1e-2, m: 1e-3, u: 1e-6, µ: 1e-6, n: 1e-9, p: 1e-12, f: 1e-15 };

/** One factor such as `mm`, `m^-2`, `m2`, `kHz`: exact symbol first, then prefix + symbol. */
function parseFactor(token: string): { f: number; d: UnitDimension } | undefined {
  const m = /^(.+?)(?:\^?(-?\d+))?$/.exec(token);
  if (!m) return undefined;
  const sym = m[1];
  const power = m[2] !== undefined ? Number(m[2]) : 1;
  let base = BASE_BY_SYMBOL.get(sym);
  let factor = 1;
  if (!base && sym.length > 1 && PREFIX[sym[0]] !== undefined) {
    base = BASE_BY_SYMBOL.get(sym.slice(1));
    factor = PREFIX[sym[0]];
  }
  if (!base) return undefined;
  return { f: (base.f * factor) ** power, d: base.d.map((x) => x * power) as unknown as UnitDimension };
}

/** Parses a unit expression (`T·m^-1`, `1/m^2`, `m^-3`, `mm`, `rad`): factors joined by `.`, `·`, `*` or a space, one `/` for the denominator. */
function parseUnit(unit: string): UnitSpec | undefined {
  const text = unit.trim();
  const parts = text.split('/');
  if (parts.length > 2) return undefined;
  let f = 1;
  const d = [0, 0, 0, 0, 0, 0, 0];
  for (const [k, part] of parts.entries()) {
    const sign = k === 0 ? 1 : -1;
    for (const token of part.split(/[.·*\s]+/).filter(Boolean)) {
      if (token === '1') continue;
      const pf = parseFactor(token);
      if (!pf) return undefined;
      f *= sign > 0 ? pf.f : 1 / pf.f;
      pf.d.forEach((x, i) => (d[i] += sign * x));
    }
  }
  return { unit: text, unitSI: f, unitDimension: d as unknown as UnitDimension };
}

/** The unitSI and unitDimension of a unit (a known symbol or an SI unit expression), or undefined. */
export function lookupUnit(unit: string): UnitSpec | undefined {
  return BY_SYMBOL.get(unit.trim()) ?? parseUnit(unit);
}

/** Unit symbols known to {@link lookupUnit}. */
export function knownUnits(): string[] {
  return [...BY_SYMBOL.keys()];
}

export function isUnitDimension(v: unknown): v is UnitDimension {
  return (
    (Array.isArray(v) || v instanceof Float64Array) &&
    v.length === 7 &&
    Array.from(v as ArrayLike<number>).every((x) => typeof x === 'number' && Number.isFinite(x))
  );
}

/** Human-readable form of a dimension vector, e.g. "L^1 T^-1". */
export function formatUnitDimension(d: ArrayLike<number>): string {
  const names = ['L', 'M', 'T', 'I', 'θ', 'N', 'J'];
  const parts: string[] = [];
  for (let i = 0; i < 7; i++) if (d[i] !== 0) parts.push(`${names[i]}^${d[i]}`);
  return parts.length ? parts.join(' ') : 'dimensionless';
}
