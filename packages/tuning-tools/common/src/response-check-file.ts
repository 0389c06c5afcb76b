/**
 * The sanity checks of a response measurement (core's CheckSummary: bipolar
 * symmetry, model agreement, retries, flags) in a measurement file, under
 * `checks/`: one entry per measurement of a column, in order, the column names,
 * reasons and counts as attributes of `checks/passed`.
 */
import { type CheckSummary, type ColumnCheck, summariseChecks } from '@mlayer/core';
import type { DatasetRecord, MeasurementFile } from '@mlayer/data';
import { datasetUnit, unitInfo } from './units.js';

/** What writes the datasets (an open measurement file). */
export type DatasetWriter = { writeDataset: MeasurementFile['writeDataset'] };

/** Writes every check under `checks/`; `unit` is the unit of the readings (of the asymmetry). Nothing when there is no check. */
export function writeResponseChecks(f: DatasetWriter, s: CheckSummary, unit: string): void {
  const c = s.checks;
  if (c.length === 0) return;
  const attributes = { columns: c.map((x) => x.column), reasons: c.map((x) => x.reason ?? ''), columnsChecked: s.columns, retried: s.retried, flagged: s.flagged, flaggedColumns: s.flaggedColumns.length > 0 ? [...s.flaggedColumns] : [''] };
  f.writeDataset('checks/passed', Int32Array.from(c, (x) => (x.passed ? 1 : 0)), { unit: '', dtype: 'int32', description: 'check of each measurement of a column passed (1) or failed (0); columns, reasons and counts in the attributes', attributes });
  f.writeDataset('checks/attempt', Int32Array.from(c, (x) => x.attempt), { unit: '', dtype: 'int32', description: 'measurement number of the column (1: first, 2: first retry, ...)' });
  f.writeDataset('checks/asymmetry', Float64Array.from(c, (x) => x.asymmetry), { ...datasetUnit(unitInfo(unit)), description: 'rms of plus + minus - 2 base over the readings' });
  f.writeDataset('checks/asymmetry_bound', Float64Array.from(c, (x) => x.asymmetryBound), { ...datasetUnit(unitInfo(unit)), description: 'asymmetry allowed (noise and a fraction of the response)' });
  f.writeDataset('checks/correlation', Float64Array.from(c, (x) => x.correlation ?? Number.NaN), { unit: '', description: 'correlation with the model column (NaN: no model)' });
  f.writeDataset('checks/ratio', Float64Array.from(c, (x) => x.ratio ?? Number.NaN), { unit: '', description: 'least-squares ratio measured / model (NaN: no model)' });
}

/** The checks written by writeResponseChecks, when the file has them. */
export function readResponseChecks(datasets: readonly DatasetRecord[]): CheckSummary | undefined {
  const get = (p: string) => datasets.find((d) => d.path === p);
  const passed = get('checks/passed');
  if (!passed) return undefined;
  const num = (p: string) => Array.from((get(p)?.value ?? []) as ArrayLike<number>);
  const columns = passed.attributes.columns as string[];
  const reasons = passed.attributes.reasons as string[];
  const [attempt, asym, bound, corr, ratio] = ['checks/attempt', 'checks/asymmetry', 'checks/asymmetry_bound', 'checks/correlation', 'checks/ratio'].map(num);
  const checks: ColumnCheck[] = Array.from(passed.value as ArrayLike<number>, (ok, k) => ({
    column: columns[k],
    attempt: attempt[k],
    asymmetry: asym[k],
    asymmetryBound: bound[k],
    correlation: Number.isNaN(corr[k]) ? undefined : corr[k],
    ratio: Number.isNaN(ratio[k]) ? undefined : ratio[k],
    passed: ok === 1,
    reason: reasons[k] || undefined,
  }));
  return summariseChecks(checks);
}
