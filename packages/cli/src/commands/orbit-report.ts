import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Accelerator, DeviceId, Units } from '@mlayer/core';
import { resolveOrbitFamilies, saveCorrection, type CorrectOrbitResult, type OrbitReading, type PlaneOrbit } from '@mlayer/orbit';
import { writeChart, writeSpec } from '../plots.js';
import { alongSSpec, type SSeries } from '../plots/along-s.js';
import { deviceS, latticeStrip, type LatticeStrip } from '../plots/lattice-strip.js';
import { displayUnit, formatQuantity } from '@mlayer/core';
import { correctionText } from '../format/correction-table.js';
import { shownMode } from '../recording-session.js';

const rmsOf = (v: ArrayLike<number>): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) (s += v[i] * v[i]), n++;
  return n > 0 ? Math.sqrt(s / n) : Number.NaN;
};

/** "2026-12-05 17:40:12 UTC": the time in plot titles. */
export function plotTime(date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "diamond-i04, mode twin, 2026-12-05 17:40:12 UTC": the subtitle of every plot of a command. */
export function plotSubtitle(acc: Accelerator, date = new Date()): string {
  const mode = shownMode(acc);
  return `${acc.name}, mode ${mode === acc.mode ? mode : `${mode} (recorded in ${acc.mode})`}, ${plotTime(date)}`;
}

/** Lattice elements of the facility's orbit correctors (both planes; none when they cannot be placed). */
function correctorElements(acc: Accelerator): number[] {
  const model = acc.model;
  if (!model) return [];
  const out: number[] = [];
  for (const p of ['x', 'y'] as const) {
    try {
      const fam = resolveOrbitFamilies(acc, {}, [p], { correctors: true }).correctors[p];
      if (fam) out.push(...fam.latticeElements(model));
    } catch {
      // No corrector family of this plane, or devices without an element: the lattice's own correctors only.
    }
  }
  return out;
}

/** The lattice strip of the accelerator's model with these BPM elements and the orbit correctors marked; undefined without a model. */
export function stripOf(acc: Accelerator, bpmElements: readonly number[]): LatticeStrip | undefined {
  const model = acc.model;
  return model ? latticeStrip(model, bpmElements, correctorElements(acc)) : undefined;
}

/** Positions of a plane's BPMs: s from the model when it has one, else the BPM number. */
function positions(acc: Accelerator, po: PlaneOrbit): { x: number[]; elements: number[]; alongS: boolean } {
  const at = deviceS(acc, po.family, po.devices);
  if (at) return { x: at.s, elements: at.elements, alongS: true };
  return { x: po.names.map((_n, i) => i + 1), elements: [], alongS: false };
}

/**
 * Plots of orbit readings against s, one chart per plane (`<base>-x.svg/.png`, `<base>-y...`):
 * the lattice strip above, the unit chosen for the magnitude, the rms of each series in the
 * legend, facility, mode and time in the title. Without a model: against the BPM number.
 */
export async function orbitPlots(acc: Accelerator, base: string, title: string, series: { name: string; reading: OrbitReading }[], date = new Date()): Promise<string[]> {
  const files: string[] = [];
  for (const p of ['x', 'y'] as const) {
    const withPlane = series.filter((r) => r.reading[p]);
    if (withPlane.length === 0) continue;
    const first = withPlane[0].reading[p]!;
    const at = positions(acc, first);
    const unit = displayUnit(first.unit, withPlane.flatMap((r) => Array.from(r.reading[p]!.values)));
    const s: SSeries[] = withPlane.map((r) => {
      const v = r.reading[p]!.values;
      return { name: `${r.name} (rms ${formatQuantity(rmsOf(v), first.unit)})`, s: at.x, y: Array.from(v, (x) => x * unit.factor) };
    });
    const opts = { title: `${title}, ${p} (${first.family}, ${first.values.length} BPMs)`, subtitle: plotSubtitle(acc, date), yLabel: `${p} (${unit.unit})` };
    const out = at.alongS
      ? await writeSpec(`${base}-${p}`, alongSSpec(s, { ...opts, strip: stripOf(acc, at.elements) }))
      : await writeChart(`${base}-${p}`, s.map((x) => ({ name: x.name, x: x.s, y: x.y })), { ...opts, xLabel: `BPM number (${first.family}; no lattice model for s)` });
    files.push(out.svg, out.png);
  }
  return files;
}

/** Singular values of each system (plane, or both when coupled), one line each, against their index. */
async function singularValuePlot(acc: Accelerator, base: string, r: CorrectOrbitResult, date: Date): Promise<string[]> {
  const systems = r.steps[0]?.correction.systems ?? [];
  const series = systems
    .filter((s) => s.singularValues.length > 0)
    .map((s) => ({ name: `${s.planes.join('+')}: ${s.singularValues.length} values, ${s.used} kept`, x: Array.from(s.singularValues, (_v, i) => i + 1), y: s.singularValues }));
  if (series.length === 0) return [];
  const out = await writeChart(base, series, { title: 'Singular values of the response matrix, one line per plane', subtitle: plotSubtitle(acc, date), xLabel: 'index', integerX: true, yLabel: `singular value (${r.orm.units} units)`, logY: true });
  return [out.svg, out.png];
}

/** The corrector changes of the correction (all steps), one chart per plane, against s when the model places the correctors. */
async function correctorPlots(acc: Accelerator, base: string, r: CorrectOrbitResult, date: Date): Promise<string[]> {
  const files: string[] = [];
  for (const p of r.planes) {
    const axis = r.orm.correctors[p];
    if (!axis) continue;
    const total = new Float64Array(axis.names.length);
    for (const s of r.steps) s.correction.deltas[p]?.forEach((d, j) => (total[j] += d * s.scale));
    const sel = acc.family(axis.family).devices(axis.devices as DeviceId[]);
    const rawUnit = sel.units('setpoint')[r.orm.units];
    const unit = displayUnit(rawUnit, total);
    const at = deviceS(acc, axis.family, axis.devices);
    const bpmAxis = r.orm.bpms[p];
    const name = `${axis.family} change (rms ${formatQuantity(rmsOf(total), rawUnit)})`;
    const title = `Corrector changes, ${p} (${axis.family}, ${axis.names.length} correctors)${r.dryRun ? ', dry run' : ''}`;
    const y = Array.from(total, (v) => v * unit.factor);
    const out = at
      ? await writeSpec(`${base}-${p}`, alongSSpec([{ name, s: at.s, y, mark: 'stem' }], { title, subtitle: plotSubtitle(acc, date), yLabel: `change (${unit.unit})`, strip: stripOf(acc, bpmAxis ? (deviceS(acc, bpmAxis.family, bpmAxis.devices)?.elements ?? []) : []) }))
      : await writeChart(`${base}-${p}`, [{ name, x: Array.from(total, (_v, j) => j + 1), y }], { title, subtitle: plotSubtitle(acc, date), xLabel: 'corrector number', yLabel: `change (${unit.unit})`, mark: 'bar' });
    files.push(out.svg, out.png);
  }
  return files;
}

/** Report of a correction: rms before/after per plane (a dry run: the table of what would be set), plots, file. */
export async function reportCorrection(acc: Accelerator, r: CorrectOrbitResult, outDir: string, plots: boolean, json: boolean, tag = 'correction', units?: Units): Promise<Record<string, unknown>> {
  mkdirSync(outDir, { recursive: true });
  const file = await saveCorrection(join(outDir, `${tag}.h5`), r, acc, { overwrite: true });
  const files = [file];
  if (plots) {
    const date = new Date();
    const series = r.dryRun ? [{ name: 'now', reading: r.initial }] : [{ name: 'before', reading: r.initial }, { name: 'after', reading: r.final }];
    files.push(...(await orbitPlots(acc, join(outDir, `${tag}-orbit`), r.dryRun ? 'Orbit before the correction (dry run)' : 'Orbit before and after correction', series, date)));
    files.push(...(await singularValuePlot(acc, join(outDir, `${tag}-singular-values`), r, date)));
    files.push(...(await correctorPlots(acc, join(outDir, `${tag}-correctors`), r, date)));
  }
  const step = r.steps[0];
  const summary = {
    status: r.status,
    stopReason: r.stopReason,
    message: r.message,
    iterations: r.steps.length,
    undoneSteps: r.steps.filter((s) => s.undone).length,
    rmsInitial: r.rmsInitial,
    rmsFinal: r.rmsFinal,
    dryRun: r.dryRun,
    ...(r.dryRun && step ? { rmsPredicted: step.rmsPredicted, scale: step.scale, writes: step.writes } : {}),
    files,
  };
  if (!json) process.stdout.write(`${correctionText(acc, r, units ?? r.orm.units)}files: ${files.join(', ')}\n`);
  return summary;
}
