/**
 * Numbers with units as a physicist reads them: the SI prefix chosen for the magnitude
 * (µm, mm, µrad, mrad, kHz, MHz), one unit for a whole column or comparison, and
 * frequencies to 0.01 Hz. Units that are not a prefixable SI unit (m^-2, T·m^-1, counts)
 * keep their name and get significant digits only.
 */

/** SI prefixes, largest first. */
const PREFIXES: readonly (readonly [string, number])[] = [
  ['G', 1e9],
  ['M', 1e6],
  ['k', 1e3],
  ['', 1],
  ['m', 1e-3],
  ['µ', 1e-6],
  ['n', 1e-9],
  ['p', 1e-12],
];

/** Base units that take a prefix, with the prefixes a reader expects for each. */
const BASES: Readonly<Record<string, readonly string[]>> = {
  m: ['', 'm', 'µ', 'n'],
  rad: ['', 'm', 'µ', 'n'],
  Hz: ['G', 'M', 'k', '', 'm'],
  A: ['k', '', 'm', 'µ'],
  T: ['', 'm', 'µ'],
  V: ['M', 'k', '', 'm', 'µ'],
  s: ['', 'm', 'µ', 'n'],
  eV: ['G', 'M', 'k', ''],
};

/** A unit split into an SI factor and a prefixable base ('mm' -> 1e-3 of 'm'); `per` is a kept denominator ('/Hz'). */
export interface ParsedUnit {
  readonly base: string;
  readonly factor: number;
  readonly per: string;
}

/** 'mm' -> { base: 'm', factor: 1e-3 }, 'um/Hz' -> { base 'm', factor 1e-6, per '/Hz' }; undefined for units without a prefixable base. */
export function parsePrefixedUnit(unit: string): ParsedUnit | undefined {
  const slash = unit.indexOf('/');
  const num = (slash >= 0 ? unit.slice(0, slash) : unit).trim().replace(/^u/, 'µ').replace(/^μ/, 'µ');
  const per = slash >= 0 ? unit.slice(slash) : '';
  if (BASES[num]) return { base: num, factor: 1, per };
  for (const [p, f] of PREFIXES) {
    if (p !== '' && num.startsWith(p) && BASES[num.slice(p.length)]) return { base: num.slice(p.length), factor: f, per };
  }
  return undefined;
}

/** The unit a set of values is shown in: `factor` multiplies a value in the given unit. */
export interface DisplayUnit {
  readonly unit: string;
  readonly factor: number;
}

const largest = (values: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) m = Math.max(m, Math.abs(values[i]));
  return m;
};

/**
 * The unit for showing `values` (given in `unit`): the prefix that puts the largest
 * magnitude in [1, 1000) where the base allows it. Zero or no finite value: the unit as given.
 */
export function displayUnit(unit: string, values: ArrayLike<number>): DisplayUnit {
  const parsed = parsePrefixedUnit(unit);
  const m = largest(values);
  if (!parsed || m === 0) return { unit, factor: 1 };
  const si = m * parsed.factor;
  const allowed = BASES[parsed.base];
  const candidates = PREFIXES.filter(([p]) => allowed.includes(p));
  const [prefix, f] = candidates.find(([, f]) => si >= f * 0.9995) ?? candidates[candidates.length - 1];
  return { unit: `${prefix}${parsed.base}${parsed.per}`, factor: parsed.factor / f };
}

/** Decimals that show `significant` digits of the largest scaled magnitude `m`. */
function decimalsFor(m: number, significant = 4): number {
  if (!(m > 0) || !Number.isFinite(m)) return significant - 1;
  return Math.max(0, significant - 1 - Math.floor(Math.log10(m)));
}

/** Options of {@link formatter}. */
export interface FormatOptions {
  /** Significant digits of the largest value (default 4). */
  readonly significant?: number;
  /** Smallest step shown, in SI units of the base (Hz: default 0.01 Hz for frequencies). */
  readonly resolution?: number;
}

/** A formatter for a set of values in one unit: same unit and decimals for all; `format(v)` gives "1.234 mm". */
export interface Formatter extends DisplayUnit {
  readonly decimals: number;
  /** The number alone, in `unit`. */
  number(v: number): string;
  /** The number and the unit. */
  format(v: number): string;
}

/** A formatter for `values` (given in `unit`), its unit chosen for their magnitude. */
export function formatter(unit: string, values: ArrayLike<number>, options: FormatOptions = {}): Formatter {
  const parsed = parsePrefixedUnit(unit);
  const d = displayUnit(unit, values);
  const m = largest(values) * d.factor;
  let decimals: number;
  const resolution = options.resolution ?? (parsed?.base === 'Hz' && parsed.per === '' ? 0.01 : undefined);
  if (!parsed) {
    // Not a prefixable unit: significant digits in exponent form when the magnitude is odd.
    const sig = options.significant ?? 4;
    const plain = m === 0 || (m >= 1e-3 && m < 1e6);
    const plainDecimals = plain ? decimalsFor(m, sig) : -1;
    const number = (v: number): string => (!Number.isFinite(v) ? String(v) : plain ? v.toFixed(plainDecimals) : v.toExponential(sig - 1));
    return { ...d, decimals: plainDecimals, number, format: (v) => `${number(v)}${unit ? ` ${unit}` : ''}` };
  }
  if (resolution !== undefined) {
    // The step shown is the resolution: decimals of (resolution in the display unit).
    const inDisplay = (resolution / parsed.factor) * d.factor;
    decimals = Math.max(0, Math.ceil(-Math.log10(inDisplay) - 1e-9));
  } else decimals = decimalsFor(m, options.significant ?? 4);
  // Below the smallest prefix (6e-20 m is 6e-11 nm): exponent form in that unit.
  const tiny = resolution === undefined && m > 0 && m < 1e-3;
  const sig = options.significant ?? 4;
  const number = (v: number): string => (!Number.isFinite(v) ? String(v) : tiny ? (v * d.factor).toExponential(sig - 1) : (v * d.factor).toFixed(decimals));
  return { ...d, decimals, number, format: (v) => `${number(v)} ${d.unit}` };
}

/** One value with its unit chosen for its magnitude: formatQuantity(1.2e-4, 'm') = '120.0 µm'. */
export function formatQuantity(value: number, unit: string, options: FormatOptions = {}): string {
  return formatter(unit, [value], options).format(value);
}

/** A pair (before -> after), each in the unit of its magnitude: '1.234 mm -> 12.05 µm'. */
export function formatChange(before: number, after: number, unit: string, options: FormatOptions = {}): string {
  return `${formatQuantity(before, unit, options)} -> ${formatQuantity(after, unit, options)}`;
}

/**
 * A value kept in its own unit (a setpoint as the control system takes it): 8 significant
 * digits, a frequency to 0.01 Hz (499654321.12 Hz, not 4.9965432e+8 Hz).
 */
export function formatInUnit(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const parsed = parsePrefixedUnit(unit);
  if (parsed?.base === 'Hz' && parsed.per === '') return value.toFixed(Math.max(0, Math.ceil(-Math.log10(0.01 / parsed.factor) - 1e-9)));
  return value.toPrecision(8);
}
