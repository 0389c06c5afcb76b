import type { Accelerator } from '@mlayer/core';
import type { DispersionMeasurement, PlaneDispersion } from '@mlayer/orbit';
import { writeSpec, writeChart } from '../plots.js';
import { alongSSpec, type SSeries } from '../plots/along-s.js';
import { deviceS } from '../plots/lattice-strip.js';
import { displayUnit, formatQuantity, formatter, parsePrefixedUnit } from '@mlayer/core';
import { formatTable } from '../format/table.js';
import { plotSubtitle, stripOf } from './orbit-report.js';

const PLANES = ['x', 'y'] as const;

/** What a plane's dispersion is shown as: η per unit δ (with the momentum compaction), else the orbit change per RF unit. */
function quantity(d: DispersionMeasurement, pd: PlaneDispersion): { values: Float64Array; unit: string; label: string } {
  if (pd.eta) return { values: pd.eta, unit: pd.unit, label: 'η' };
  return { values: pd.perRf, unit: `${pd.unit}/${d.rf.unit}`, label: `d${pd.family}/d${d.rf.family}` };
}

const stats = (v: ArrayLike<number>): { rms: number; max: number; at: number } => {
  let s = 0;
  let n = 0;
  let max = 0;
  let at = -1;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) continue;
    s += v[i] * v[i];
    n++;
    if (Math.abs(v[i]) > max) (max = Math.abs(v[i])), (at = i);
  }
  return { rms: n > 0 ? Math.sqrt(s / n) : Number.NaN, max, at };
};

/** The model's dispersion at a plane's BPMs in the BPM unit (undefined without a model or a length unit). */
function modelEta(acc: Accelerator, pd: PlaneDispersion, plane: 'x' | 'y'): Float64Array | undefined {
  const model = acc.model;
  const at = deviceS(acc, pd.family, pd.devices);
  const unit = parsePrefixedUnit(pd.unit);
  if (!model || !at || unit?.base !== 'm' || unit.per !== '') return undefined;
  try {
    return Float64Array.from(model.dispersion(at.elements), (d) => d[plane === 'x' ? 0 : 1] / unit.factor);
  } catch {
    return undefined;
  }
}

/** The model's dispersion at the entrance of every element (BPM unit), for the line under the measured points. */
function modelLine(acc: Accelerator, pd: PlaneDispersion, plane: 'x' | 'y'): { s: number[]; eta: number[] } | undefined {
  const model = acc.model;
  const unit = parsePrefixedUnit(pd.unit);
  if (!model || unit?.base !== 'm') return undefined;
  const all = Array.from({ length: model.length }, (_v, i) => i);
  try {
    const d = model.dispersion(all);
    return { s: all.map((i) => model.element(i).s), eta: d.map((v) => v[plane === 'x' ? 0 : 1] / unit.factor) };
  } catch {
    return undefined;
  }
}

/** The result of measure-dispersion as text (rms and max per plane, the model beside it) and as JSON fields. */
export function dispersionText(acc: Accelerator, d: DispersionMeasurement): { lines: string; json: Record<string, unknown> } {
  const rows: string[][] = [];
  const json: Record<string, unknown> = { rf: d.rf, momentumCompaction: d.momentumCompaction ?? null };
  for (const p of PLANES) {
    const pd = d[p];
    if (!pd) continue;
    const q = quantity(d, pd);
    const st = stats(q.values);
    const model = pd.eta ? modelEta(acc, pd, p) : undefined;
    const diff = model ? stats(q.values.map((v, i) => v - model[i])) : undefined;
    // One unit for the row, chosen by its largest value (a zero model rms reads 0.000 mm beside 15.43 mm).
    const modelRms = model ? stats(model).rms : Number.NaN;
    const f = formatter(q.unit, [st.rms, st.max, modelRms, diff?.rms ?? Number.NaN]);
    rows.push([`${q.label}${p}`, `${pd.family} (${pd.names.length})`, f.format(st.rms), f.format(st.max), st.at >= 0 ? pd.names[st.at] : '-', model ? f.format(modelRms) : '-', diff ? f.format(diff.rms) : '-']);
    json[p] = { family: pd.family, unit: q.unit, quantity: pd.eta ? 'eta' : 'perRf', rms: st.rms, max: st.max, maxAt: st.at >= 0 ? pd.names[st.at] : null, names: pd.names, values: q.values, std: pd.eta ? pd.etaStd : pd.perRfStd, model: model ?? null };
  }
  const f0 = formatQuantity(d.rf.frequency, d.rf.unit);
  const step = formatQuantity(d.rf.step, d.rf.unit);
  let lines = `dispersion from an RF step of ±${step} at ${f0} (${d.rf.name})${d.momentumCompaction !== undefined ? `, momentum compaction ${d.momentumCompaction.toExponential(4)}` : ', no momentum compaction: orbit change per RF unit'}\n`;
  lines += formatTable([{ header: 'plane', align: 'left' }, { header: 'BPMs', align: 'left' }, { header: 'rms' }, { header: 'max |.|' }, { header: 'at', align: 'left' }, { header: 'model rms' }, { header: 'rms(meas - model)' }], rows, '  ');
  return { lines, json };
}

/** Dispersion against s per plane (measured, the model's as a line), the lattice strip above. */
export async function dispersionPlots(acc: Accelerator, base: string, d: DispersionMeasurement, date = new Date()): Promise<string[]> {
  const files: string[] = [];
  for (const p of PLANES) {
    const pd = d[p];
    if (!pd) continue;
    const q = quantity(d, pd);
    const model = pd.eta ? modelEta(acc, pd, p) : undefined;
    const unit = displayUnit(q.unit, [...q.values, ...(model ?? [])]);
    const at = deviceS(acc, pd.family, pd.devices);
    const rms = (v: ArrayLike<number>) => formatQuantity(stats(v).rms, q.unit);
    const title = `Dispersion ${q.label}${p} (${pd.family}, RF step ±${formatQuantity(d.rf.step, d.rf.unit)})`;
    const yLabel = `${q.label}${p} (${unit.unit})`;
    const measured = { name: `measured (rms ${rms(q.values)})`, y: Array.from(q.values, (v) => v * unit.factor) };
    if (at) {
      const series: SSeries[] = [{ ...measured, s: at.s, mark: model ? 'point' : 'line' }];
      const line = model ? modelLine(acc, pd, p) : undefined;
      if (model && line) series.unshift({ name: `model (rms ${rms(model)} at the BPMs)`, plain: true, s: line.s, y: Array.from(line.eta, (v) => v * unit.factor) });
      const out = await writeSpec(`${base}-${p}`, alongSSpec(series, { title, subtitle: plotSubtitle(acc, date), yLabel, strip: stripOf(acc, at.elements) }));
      files.push(out.svg, out.png);
    } else {
      const out = await writeChart(`${base}-${p}`, [{ name: measured.name, x: pd.names.map((_n, i) => i + 1), y: measured.y }], { title, subtitle: plotSubtitle(acc, date), xLabel: `BPM number (${pd.family}; no lattice model for s)`, yLabel });
      files.push(out.svg, out.png);
    }
  }
  return files;
}
