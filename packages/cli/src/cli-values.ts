import { MlayerError, type Family } from '@mlayer/core';

/** A decimal number as a person types it: `1`, `-0.5`, `.5`, `2e-3`; no hex, no blanks, no `Infinity`. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A finite number as typed on the command line. An empty or blank value, `0x2`,
 * `1_000`, `Infinity` or `NaN` is refused (Number() would read '' and ' ' as 0 and
 * '0x2' as 2).
 */
export function parseNumber(text: string, what: string): number {
  const v = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(v)) throw new MlayerError(`${what}: ${JSON.stringify(text)} is not a finite decimal number`);
  return v;
}

/** An integer as typed (decimal digits only) within [min, max]. */
export function parseInteger(text: string, what: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const v = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(v)) throw new MlayerError(`${what}: ${JSON.stringify(text)} is not an integer`);
  if (v < min || v > max) throw new MlayerError(`${what}: ${v} is outside [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}]`);
  return v;
}

/** --settle in ms, >= 0 (the extra wait after each step of a measurement). */
export function settleOf(o: { settle: string }): number {
  const v = parseNumber(o.settle, '--settle');
  if (!(v >= 0)) throw new MlayerError(`--settle '${o.settle}': expected a number of ms >= 0`);
  return v;
}

/** Parses a device list "1,2;3,4" into [[1,2],[3,4]]; empty entries, non-integers and repeated devices are refused. */
export function parseDeviceList(text: string): [number, number][] {
  if (text.trim() === '') throw new MlayerError('--devices: the device list is empty; give "sector,index" pairs separated by \';\' (leave --devices out to select every device)');
  const seen = new Set<string>();
  return text.split(';').map((pair) => {
    const parts = pair.split(',').map((p) => p.trim());
    if (parts.length !== 2 || parts.some((p) => !/^\d+$/.test(p))) throw new MlayerError(`--devices: bad device list entry '${pair}': expected "sector,index" pairs of integers separated by ';'`);
    const key = `${Number(parts[0])},${Number(parts[1])}`;
    if (seen.has(key)) throw new MlayerError(`--devices: device [${key}] is given twice`);
    seen.add(key);
    return [Number(parts[0]), Number(parts[1])];
  });
}

/** Parses "A,B,C" into common names; empty names and repeated names are refused. */
export function parseNames(text: string): string[] {
  if (text.trim() === '') throw new MlayerError('--names: the name list is empty; give comma-separated common names (leave --names out to select every device)');
  const names = text.split(',').map((n) => n.trim());
  const seen = new Set<string>();
  for (const n of names) {
    if (n === '') throw new MlayerError(`--names: empty name in '${text}'`);
    if (seen.has(n)) throw new MlayerError(`--names: '${n}' is given twice`);
    seen.add(n);
  }
  return names;
}

export interface SelectionOptions {
  readonly devices?: string;
  readonly names?: string;
}

/** The devices a command works on: `--devices` or `--names` (not both), else the whole family. */
export function selectDevices(fam: Family, o: SelectionOptions): Family {
  if (o.devices !== undefined && o.names !== undefined) throw new MlayerError('--devices and --names both select devices: give one of them');
  if (o.devices !== undefined) return fam.devices(parseDeviceList(o.devices));
  if (o.names !== undefined) return fam.byName(...parseNames(o.names));
  return fam;
}
