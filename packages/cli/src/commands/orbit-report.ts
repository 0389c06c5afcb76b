import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Accelerator } from '@mlayer/core';
import { saveCorrection, type CorrectOrbitResult, type OrbitReading } from '@mlayer/orbit';
import { writeChart } from '../plots.js';

/** Plots of orbit readings, one chart per plane: `<base>-x.svg/.png`, `<base>-y.svg/.png`; returns the files. */
export async function orbitPlots(base: string, title: string, series: { name: string; reading: OrbitReading }[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of ['x', 'y'] as const) {
    const s = series.filter((r) => r.reading[p]).map((r) => ({ name: r.name, x: Array.from(r.reading[p]!.values, (_v, i) => i + 1), y: r.reading[p]!.values }));
    if (s.length === 0) continue;
    const unit = series[0].reading[p]!.unit;
    const out = await writeChart(`${base}-${p}`, s, { title: `${title} (${p})`, xLabel: `BPM number (${series[0].reading[p]!.family})`, yLabel: `${p} (${unit})` });
    files.push(out.svg, out.png);
  }
  return files;
}

/** Report of a correction: rms before/after per plane, plots, file. */
export async function reportCorrection(acc: Accelerator, r: CorrectOrbitResult, outDir: string, plots: boolean, json: boolean, tag = 'correction'): Promise<Record<string, unknown>> {
  mkdirSync(outDir, { recursive: true });
  const file = await saveCorrection(join(outDir, `${tag}.h5`), r, acc, { overwrite: true });
  const files = [file];
  if (plots) {
    files.push(...(await orbitPlots(join(outDir, `${tag}-orbit`), 'Orbit before and after correction', [{ name: 'before', reading: r.initial }, { name: 'after', reading: r.final }])));
    const sv = r.steps[0]?.correction.systems.flatMap((s) => Array.from(s.singularValues)) ?? [];
    if (sv.length > 0) {
      const out = await writeChart(join(outDir, `${tag}-singular-values`), [{ name: 'singular values', x: sv.map((_v, i) => i + 1), y: sv }], { title: 'Singular values of the response matrix', xLabel: 'index', yLabel: 'singular value', logY: true });
      files.push(out.svg, out.png);
    }
    for (const p of r.planes) {
      const axis = r.orm.correctors[p];
      if (!axis) continue;
      const total = new Float64Array(axis.names.length);
      for (const s of r.steps) s.correction.deltas[p]?.forEach((d, j) => (total[j] += d * s.scale));
      const out = await writeChart(join(outDir, `${tag}-correctors-${p}`), [{ name: `${axis.family} change`, x: Array.from(total, (_v, j) => j + 1), y: total }], { title: `Corrector changes (${axis.family})`, xLabel: 'corrector number', yLabel: `change (${r.orm.units === 'physics' ? 'physics units' : 'hardware units'})`, mark: 'bar' });
      files.push(out.svg, out.png);
    }
  }
  const summary = { status: r.status, stopReason: r.stopReason, message: r.message, iterations: r.steps.length, undoneSteps: r.steps.filter((s) => s.undone).length, rmsInitial: r.rmsInitial, rmsFinal: r.rmsFinal, dryRun: r.dryRun, files };
  if (!json) {
    for (const p of r.planes) process.stdout.write(`rms ${p}: ${r.rmsInitial[p]!.toExponential(3)} -> ${r.rmsFinal[p]!.toExponential(3)} (${r.initial[p]?.unit ?? ''})\n`);
    process.stdout.write(`${r.message}\nfiles: ${files.join(', ')}\n`);
  }
  return summary;
}
