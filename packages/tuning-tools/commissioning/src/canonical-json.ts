/** Deterministic JSON: @mlayer/data's (the scans' configuration is compared in it too). */
export { canonicalJson } from '@mlayer/data';

/** Numbers back from canonicalJson's strings ("NaN", "Infinity", "-Infinity"). */
export function revive(_key: string, v: unknown): unknown {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return v;
}
