/**
 * How the shell prints what an expression gave: a family reading as a header (family,
 * field, units, count) and its values (a table with names for a few devices, an array
 * wrapped to the terminal otherwise); a write as one line per device changed; a
 * quantity with its units; errors as one line (no stack); anything else as Node prints it.
 */
import { inspect, types } from 'node:util';
import type { Snapshot } from '@mlayer/core';
import { Quantity, Reading, RestoreReport, WriteReport } from './reading.js';

/** Six significant digits, trailing zeros dropped: what a physicist reads and what a test parses back. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s = a >= 1e-4 && a < 1e7 ? v.toPrecision(6) : v.toExponential(5);
  return s.replace(/\.?0+(e|$)/, '$1');
}

/** Ten significant digits (tables, writes, single values: an RF frequency needs them). */
export function formatPrecise(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(10))) : String(v);
}

/** Readings of up to this many devices print as a table with names. */
const TABLE_MAX = 12;

function formatReading(r: Reading, width: number): string {
  const units = r.units ? ` ${r.units}` : '';
  const head = r.names.length === r.length && r.family !== 'tune' ? `${r.family} ${r.field}, ${r.length} device${r.length === 1 ? '' : 's'}${units ? `,${units}` : ''}` : '';
  if (r.length <= TABLE_MAX && r.names.length === r.length) {
    const nameWidth = Math.max(...r.names.map((n) => n.length), 1);
    const rows = Array.from(r, (v, i) => `  ${r.devices[i] ? `[${r.devices[i][0]}, ${r.devices[i][1]}]`.padEnd(9) : ''}${r.names[i].padEnd(nameWidth)}  ${formatPrecise(v)}${units}`);
    return [head, ...rows].filter(Boolean).join('\n');
  }
  return `${head}\n${wrapArray(Array.from(r, formatNumber), width)}`;
}

/** `[ a, b, c, ... ]` wrapped to the width, values right-aligned in equal columns. */
export function wrapArray(items: readonly string[], width: number): string {
  if (items.length === 0) return '[]';
  const w = Math.max(...items.map((s) => s.length));
  const perLine = Math.max(1, Math.floor((width - 4) / (w + 2)));
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).map((s) => s.padStart(w)).join(', '));
  return `[ ${lines.join(',\n  ')} ]`;
}

function formatWrite(w: WriteReport): string {
  const changed = w.names.map((n, i) => ({ n, b: w.before[i], a: w.after[i] }));
  const nameWidth = Math.max(...w.names.map((n) => n.length), 1);
  const shown = changed.slice(0, TABLE_MAX).map((c) => `  ${c.n.padEnd(nameWidth)}  ${formatPrecise(c.b)} -> ${formatPrecise(c.a)} ${w.units}`);
  const more = changed.length > TABLE_MAX ? [`  ... and ${changed.length - TABLE_MAX} more`] : [];
  return [`${w.family}: ${w.names.length} setpoint${w.names.length === 1 ? '' : 's'} written`, ...shown, ...more].join('\n');
}

function formatRestore(r: RestoreReport): string {
  const shown = r.changes.slice(0, TABLE_MAX).map((c) => `  ${c.family} ${c.name}  ${formatPrecise(c.old)} -> ${formatPrecise(c.new)} ${c.units}`);
  const more = r.changes.length > TABLE_MAX ? [`  ... and ${r.changes.length - TABLE_MAX} more`] : [];
  return [`${r.source}: ${r.changes.length} setpoint${r.changes.length === 1 ? '' : 's'} written, ${r.unchanged} already there`, ...shown, ...more].join('\n');
}

const isSnapshot = (v: unknown): v is Snapshot => typeof v === 'object' && v !== null && typeof (v as Snapshot).date === 'string' && typeof (v as Snapshot).mode === 'string' && typeof (v as Snapshot).families === 'object';

/** A configuration is thousands of numbers: its summary (the object itself is there to index). */
function formatSnapshot(s: Snapshot): string {
  const fams = Object.entries(s.families);
  const n = fams.reduce((k, [, f]) => k + f.values.length, 0);
  return `machine configuration of ${s.facility}, mode ${s.mode}, ${s.date}: ${n} setpoints of ${fams.length} families (${fams.map(([name]) => name).join(', ')})`;
}

/** The REPL's writer. */
export function formatResult(value: unknown, width: number): string {
  if (types.isNativeError(value) || value instanceof Error) {
    const e = value as Error;
    return `${e.name}: ${e.message}`.replace(/\n+/g, ' ');
  }
  if (value instanceof Reading) return formatReading(value, width);
  if (value instanceof WriteReport) return formatWrite(value);
  if (value instanceof RestoreReport) return formatRestore(value);
  if (isSnapshot(value)) return formatSnapshot(value);
  if (value instanceof Quantity) return `${formatPrecise(value.value)} ${value.units}  (${value.what})`;
  return inspect(value, { colors: false, depth: 4, breakLength: width, maxArrayLength: 400 });
}
