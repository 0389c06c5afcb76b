/**
 * A small unit algebra: enough to check that conversions compose
 * (a curve giving `T·m` feeding a rigidity step that expects `T·m`).
 *
 * A unit string is a product of symbols with integer exponents, e.g. `T·m^-1`,
 * `T*m`, `T m`, `m^-2`, `m⁻²`, `T/m`, `1/m^2`. Prefixed symbols (`mm`, `mrad`) are
 * distinct symbols: `mm` does not compose with `m`. `rad`, `1` and the empty
 * string are dimensionless.
 */
import { MlayerError } from '@mlayer/core';

export type Dimensions = ReadonlyMap<string, number>;

const DIMENSIONLESS = new Set(['', '1', 'rad']);
const SUPERSCRIPTS: Record<string, string> = {
  '⁻': '-',
  '⁺': '+',
  '⁰': '0',
  '¹': '1',
  '²': '2',
  '³': '3',
  '⁴': '4',
  '⁵': '5',
  '⁶': '6',
  '⁷': '7',
  '⁸': '8',
  '⁹': '9',
};

/** Error thrown by parseUnits for a string it cannot read. */
export class UnitSyntaxError extends MlayerError {
  constructor(
    readonly units: string,
    readonly detail: string,
  ) {
    super(`cannot read units ${JSON.stringify(units)}: ${detail}`);
  }
}

/**
 * Dimensions of each unit string read so far: a facility names a few unit strings
 * thousands of times (each conversion checks its units when built). Only strings that
 * parse are kept; callers get their own copy.
 */
const known = new Map<string, Dimensions>();

function dimensionsOf(text: string): Dimensions {
  let d = known.get(text);
  if (d === undefined) {
    d = parse(text);
    known.set(text, d);
  }
  return d;
}

/** Parses a unit string into symbol → exponent (zero exponents dropped). */
export function parseUnits(text: string): Dimensions {
  return new Map(dimensionsOf(text));
}

function parse(text: string): Dimensions {
  let s = text.trim();
  s = s.replace(/([⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)/g, (m) => '^' + [...m].map((c) => SUPERSCRIPTS[c]).join(''));
  s = s.replace(/[·*⋅×]/g, ' ');
  const out = new Map<string, number>();
  const parts = s.split('/');
  parts.forEach((part, i) => {
    const sign = i === 0 ? 1 : -1;
    const factors = part.trim().split(/\s+/).filter((f) => f.length > 0);
    if (factors.length === 0 && i > 0) throw new UnitSyntaxError(text, "nothing after '/'");
    for (const f of factors) {
      const m = /^([A-Za-zµΩ°%]+|1)(?:\^\(?([+-]?\d+)\)?)?$/.exec(f);
      if (!m) throw new UnitSyntaxError(text, `unexpected factor '${f}'`);
      const sym = m[1];
      const exp = m[2] === undefined ? 1 : Number(m[2]);
      if (DIMENSIONLESS.has(sym)) continue;
      out.set(sym, (out.get(sym) ?? 0) + sign * exp);
    }
  });
  for (const [k, v] of out) if (v === 0) out.delete(k);
  return out;
}

/** True when the two unit strings have the same dimensions. */
export function sameUnits(a: string, b: string): boolean {
  const da = dimensionsOf(a);
  const db = dimensionsOf(b);
  if (da.size !== db.size) return false;
  for (const [k, v] of da) if (db.get(k) !== v) return false;
  return true;
}

/** Formats dimensions as `T·m^-1` (symbols in the given order, others alphabetical). */
export function formatUnits(dims: Dimensions): string {
  const keys = [...dims.keys()].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return keys
    .filter((k) => dims.get(k) !== 0)
    .map((k) => {
      const e = dims.get(k)!;
      return e === 1 ? k : `${k}^${e}`;
    })
    .join('·');
}

function order(sym: string): number {
  const i = ['T', 'A', 'm'].indexOf(sym);
  return i < 0 ? 10 : i;
}

/**
 * Units of the multipole field of order n (0 dipole, 1 quadrupole, ...):
 * B_n = ∂ⁿB/∂xⁿ in T·m^-n, or integrated over the length, T·m^(1-n).
 */
export function multipoleFieldUnits(order: number, integrated: boolean): string {
  return formatUnits(new Map([['T', 1], ['m', integrated ? 1 - order : -order]]));
}
