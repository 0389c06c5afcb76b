import type { Command } from 'commander';
import { MlayerError, type Accelerator } from '@mlayer/core';
import { measureTunes, setTunes, type MeasureTuneOptions, type TuneMethod } from '@mlayer/tune';
import { measureChromaticity, setChromaticity, type TuneReader } from '@mlayer/chromaticity';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { knobFamilies } from './knob-families.js';
import { dataDirOf, measurementDir } from '../measurement-files.js';
import { parseNumber, settleOf } from '../cli-values.js';
import { writeChart, writeSpec } from '../plots.js';
import { chromFitSpec } from '../plots/chromaticity-fit.js';
import { knobMoves, knobTable } from '../format/knob-moves.js';
import { toJson } from '../format/json.js';
import { formatQuantity } from '@mlayer/core';
import { plotSubtitle } from './orbit-report.js';
import type { GlobalOptions } from '../global-options.js';

export interface TuneCliOptions {
  method: string;
  samples: string;
  plot?: string;
}

const frac = (q: number) => q - Math.floor(q);

const num = (text: string, what: string): number => parseNumber(text, what);

function tuneOptions(o: TuneCliOptions): MeasureTuneOptions {
  const method = o.method as TuneMethod;
  if (!['auto', 'monitor', 'tbt'].includes(method)) throw new MlayerError(`--method '${o.method}': expected auto, monitor or tbt`);
  const samples = num(o.samples, '--samples');
  if (!Number.isInteger(samples) || samples < 1) throw new MlayerError(`--samples '${o.samples}': expected a positive integer`);
  return { method, samples };
}

async function withAccelerator<T>(cmd: Command, body: (acc: Accelerator, g: GlobalOptions) => Promise<T>): Promise<T> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { acc } = await openAccelerator(g);
  try {
    return await body(acc, g);
  } finally {
    await acc.close();
  }
}

const out = (text: string) => process.stdout.write(`${text}\n`);

/** The RF scan of `chrom measure` and `chrom set`. */
const scanOptions = (o: TuneCliOptions & { points: string; range: string; order: string; settle: string }) => {
  const order = num(o.order, '--order');
  if (order !== 1 && order !== 2) throw new MlayerError(`--order '${o.order}': expected 1 or 2`);
  const dp = num(o.range, '--range');
  const t = tuneOptions(o);
  const readTunes: TuneReader = (acc, signal) => measureTunes(acc, { ...t, signal });
  return { points: num(o.points, '--points'), dpRange: [-Math.abs(dp), Math.abs(dp)] as const, order: order as 1 | 2, readTunes, settle: settleOf(o) };
};

/** `mlayer tune show`. */
export async function tuneShow(o: TuneCliOptions, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, g) => {
    const m = await measureTunes(acc, tuneOptions(o));
    const model = acc.model?.tunes();
    if (g.json) out(JSON.stringify({ tunes: m.tunes, resolution: m.resolution, method: m.method, model: model ? [frac(model.qx), frac(model.qy)] : null }));
    else {
      out(`qx ${m.tunes[0].toFixed(6)}  qy ${m.tunes[1].toFixed(6)}  (${m.method})`);
      if (model) out(`model qx ${frac(model.qx).toFixed(6)}  qy ${frac(model.qy).toFixed(6)}`);
    }
  });
}

/** `mlayer tune measure`. */
export async function tuneMeasure(o: TuneCliOptions, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, g) => {
    const m = await measureTunes(acc, tuneOptions(o));
    let files: { svg: string; png: string } | undefined;
    if (o.plot) {
      if (!m.planes) throw new MlayerError('--plot: spectra come from turn-by-turn data (--method tbt); the tune monitors give none');
      const series = (['x', 'y'] as const).map((p) => ({ name: `${p} (q${p} = ${m.planes![p].tune.toFixed(5)})`, x: m.planes![p].spectrum.frequency, y: m.planes![p].spectrum.amplitude }));
      files = await writeChart(o.plot, series, { title: 'Turn-by-turn spectra (Hanning window)', subtitle: plotSubtitle(acc), xLabel: 'folded tune', yLabel: 'amplitude (m)', logY: true });
    }
    if (g.json) out(toJson({ tunes: m.tunes, resolution: m.resolution, method: m.method, kicks: m.kicks ?? null, plot: files ?? null }));
    else {
      out(`qx ${m.tunes[0].toFixed(6)} ± ${m.resolution[0].toExponential(1)}  qy ${m.tunes[1].toFixed(6)} ± ${m.resolution[1].toExponential(1)}  (${m.method}; ± is the resolution, 3 standard errors)`);
      if (files) out(`plots: ${files.svg} ${files.png}`);
    }
  });
}

/** `mlayer tune set QX QY`. */
export async function tuneSet(qx: string, qy: string, o: TuneCliOptions & { families?: string; iterations: string; tolerance: string; settle: string }, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, g) => {
    refuseOnlineWrites(acc, g, 'tune set', 'it steps quadrupole families');
    const target: [number, number] = [num(qx, 'QX'), num(qy, 'QY')];
    const r = await setTunes(acc, target, { families: knobFamilies(acc, o.families, 'tune'), iterations: num(o.iterations, '--iterations'), tolerance: num(o.tolerance, '--tolerance'), measure: tuneOptions(o), settle: settleOf(o), onWarning: g.json ? undefined : (w) => process.stderr.write(`warning: ${w}\n`) });
    const moves = await knobMoves(acc, r.steps);
    if (g.json) out(toJson({ target, tunes: r.tunes, converged: r.converged, steps: r.steps.map((s) => ({ families: s.families, deltas: s.deltas })), moves }));
    else {
      const before = r.history[0]?.tunes;
      out(`${r.converged ? 'converged' : 'not converged'} after ${r.steps.length} step(s): qx ${before ? `${before[0].toFixed(6)} -> ` : ''}${r.tunes[0].toFixed(6)}  qy ${before ? `${before[1].toFixed(6)} -> ` : ''}${r.tunes[1].toFixed(6)} (target ${target[0]}, ${target[1]})`);
      process.stdout.write(knobTable(moves));
    }
  });
}

/** `mlayer chrom measure`. */
export async function chromMeasure(o: TuneCliOptions & { points: string; range: string; order: string; settle: string; dir?: string }, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, g) => {
    refuseOnlineWrites(acc, g, 'chrom measure', 'the measurement scans the RF frequency');
    const m = await measureChromaticity(acc, { ...scanOptions(o), dir: o.dir ?? measurementDir('chrom', { dataDir: dataDirOf(acc.facility) }) });
    let files: { svg: string; png: string } | undefined;
    if (o.plot) {
      const planes = (['x', 'y'] as const).map((p, k) => ({ plane: p, tunes: m.tunes[p], coefficients: m.fits[p].coefficients, xiError: m.uncertainty[k] }));
      files = await writeSpec(o.plot, chromFitSpec({ title: `Chromaticity: tunes against δ, ${m.order === 1 ? 'linear' : 'quadratic'} fit (RF ${formatQuantity(m.f0, 'Hz')}, α = ${m.momentumCompaction.toExponential(3)})`, subtitle: plotSubtitle(acc), dp: m.dp, planes }));
    }
    if (g.json) out(toJson({ chromaticity: m.chromaticity, uncertainty: m.uncertainty, order: m.order, f0: m.f0, momentumCompaction: m.momentumCompaction, dp: m.dp, tunes: m.tunes, dir: m.dir ?? null, plot: files ?? null }));
    else {
      out(`ξx ${m.chromaticity[0].toFixed(4)} ± ${m.uncertainty[0].toFixed(4)}  ξy ${m.chromaticity[1].toFixed(4)} ± ${m.uncertainty[1].toFixed(4)}  (${m.order === 1 ? 'linear' : 'quadratic'} fit, ${m.dp.length} points; RF restored to ${formatQuantity(m.f0, 'Hz')})`);
      if (m.dir) out(`scan: ${m.dir}`);
      if (files) out(`plots: ${files.svg} ${files.png}`);
    }
  });
}

/** `mlayer chrom set XIX XIY`. */
export async function chromSet(xix: string, xiy: string, o: TuneCliOptions & { points: string; range: string; order: string; settle: string; families?: string; iterations: string; tolerance: string }, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, g) => {
    refuseOnlineWrites(acc, g, 'chrom set', 'it steps sextupole families and scans the RF frequency');
    const target: [number, number] = [num(xix, 'XIX'), num(xiy, 'XIY')];
    const scan = scanOptions(o);
    const r = await setChromaticity(acc, target, { families: knobFamilies(acc, o.families, 'chromaticity'), iterations: num(o.iterations, '--iterations'), tolerance: num(o.tolerance, '--tolerance'), measure: scan, settle: scan.settle, onWarning: g.json ? undefined : (w) => process.stderr.write(`warning: ${w}\n`) });
    const moves = await knobMoves(acc, r.steps);
    if (g.json) out(toJson({ target, chromaticity: r.chromaticity, converged: r.converged, steps: r.steps.map((s) => ({ families: s.families, deltas: s.deltas })), moves }));
    else {
      const before = r.history[0]?.chromaticity;
      out(`${r.converged ? 'converged' : 'not converged'} after ${r.steps.length} step(s): ξx ${before ? `${before[0].toFixed(4)} -> ` : ''}${r.chromaticity[0].toFixed(4)}  ξy ${before ? `${before[1].toFixed(4)} -> ` : ''}${r.chromaticity[1].toFixed(4)} (target ${target[0]}, ${target[1]})`);
      process.stdout.write(knobTable(moves));
    }
  });
}
