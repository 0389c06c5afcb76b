import type { Command } from 'commander';
import { MlayerError, type Accelerator } from '@mlayer/core';
import { measureTunes, setTunes, type MeasureTuneOptions, type TuneMethod } from '@mlayer/tune';
import { measureChromaticity, setChromaticity, type TuneReader } from '@mlayer/chromaticity';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { parseNumber } from '../cli-values.js';
import { writeChart } from '../plots.js';
import type { GlobalOptions } from '../program.js';

interface TuneCliOptions {
  method: string;
  samples: string;
  plot?: string;
}

const frac = (q: number) => q - Math.floor(q);

const num = (text: string, what: string): number => parseNumber(text, what);

function families(text: string | undefined, what: string): string[] {
  if (!text) throw new MlayerError(`give the ${what} families with --families A,B (two or more)`);
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

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

const SETTLE_HELP = "extra wait after each step, ms, on top of the facility's settle times and fresh-data waits";

/** --settle in ms, >= 0. */
function settleOf(o: { settle: string }): number {
  const v = num(o.settle, '--settle');
  if (!(v >= 0)) throw new MlayerError(`--settle '${o.settle}': expected a number of ms >= 0`);
  return v;
}

/**
 * `mlayer tune show|measure|set QX QY` (MML gettune, settune) and
 * `mlayer chrom measure|set XIX XIY` (MML measchro, setchro).
 */
export function registerTuneCommands(program: Command): void {
  const tune = program.command('tune').description('betatron tunes: show, measure (tune monitors or turn-by-turn data), set with quadrupole families');
  const measureOpts = (c: Command) =>
    c
      .option('--method <method>', 'auto, monitor (tune monitors) or tbt (turn-by-turn BPM data after a kick)', 'auto')
      .option('--samples <n>', 'tune monitor readings averaged', '5');

  measureOpts(tune.command('show').description('the fractional tunes now (MML gettune), with the model tunes when there is a model')).action(async (o: TuneCliOptions, cmd: Command) =>
    withAccelerator(cmd, async (acc, g) => {
      const m = await measureTunes(acc, tuneOptions(o));
      const model = acc.model?.tunes();
      if (g.json) out(JSON.stringify({ tunes: m.tunes, resolution: m.resolution, method: m.method, model: model ? [frac(model.qx), frac(model.qy)] : null }));
      else {
        out(`qx ${m.tunes[0].toFixed(6)}  qy ${m.tunes[1].toFixed(6)}  (${m.method})`);
        if (model) out(`model qx ${frac(model.qx).toFixed(6)}  qy ${frac(model.qy).toFixed(6)}`);
      }
    }),
  );

  measureOpts(tune.command('measure').description('measure the tunes with their resolution; --plot writes the turn-by-turn spectra as SVG and PNG'))
    .option('--plot <base>', 'write <base>.svg and <base>.png (turn-by-turn spectra)')
    .action(async (o: TuneCliOptions, cmd: Command) =>
      withAccelerator(cmd, async (acc, g) => {
        const m = await measureTunes(acc, tuneOptions(o));
        let files: { svg: string; png: string } | undefined;
        if (o.plot) {
          if (!m.planes) throw new MlayerError('--plot: spectra come from turn-by-turn data (--method tbt); the tune monitors give none');
          const series = (['x', 'y'] as const).map((p) => ({ name: `${p} (q${p} = ${m.planes![p].tune.toFixed(5)})`, x: m.planes![p].spectrum.frequency, y: m.planes![p].spectrum.amplitude }));
          files = await writeChart(o.plot, series, { title: `${acc.name}: turn-by-turn spectra (Hanning window)`, xLabel: 'folded tune', yLabel: 'amplitude (m)', logY: true });
        }
        if (g.json) out(JSON.stringify({ tunes: m.tunes, resolution: m.resolution, method: m.method, kicks: m.kicks ?? null, plot: files ?? null }));
        else {
          out(`qx ${m.tunes[0].toFixed(6)} ± ${m.resolution[0].toExponential(1)}  qy ${m.tunes[1].toFixed(6)} ± ${m.resolution[1].toExponential(1)}  (${m.method}; ± is the resolution, 3 standard errors)`);
          if (files) out(`plots: ${files.svg} ${files.png}`);
        }
      }),
    );

  measureOpts(tune.command('set <qx> <qy>').description('set the fractional tunes with quadrupole families (MML settune): measure, step, up to --iterations times'))
    .option('--families <list>', 'quadrupole families, comma-separated (two or more)')
    .option('--iterations <n>', 'most correction steps', '3')
    .option('--tolerance <dq>', 'stop when both tunes are this close', '1e-4')
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (qx: string, qy: string, o: TuneCliOptions & { families?: string; iterations: string; tolerance: string; settle: string }, cmd: Command) =>
      withAccelerator(cmd, async (acc, g) => {
        refuseOnlineWrites(acc, g, 'tune set', 'it steps quadrupole families');
        const target: [number, number] = [num(qx, 'QX'), num(qy, 'QY')];
        const r = await setTunes(acc, target, { families: families(o.families, 'quadrupole'), iterations: num(o.iterations, '--iterations'), tolerance: num(o.tolerance, '--tolerance'), measure: tuneOptions(o), settle: settleOf(o), onWarning: g.json ? undefined : (w) => process.stderr.write(`warning: ${w}\n`) });
        if (g.json) out(JSON.stringify({ target, tunes: r.tunes, converged: r.converged, steps: r.steps.map((s) => ({ families: s.families, deltas: Array.from(s.deltas) })) }));
        else out(`${r.converged ? 'converged' : 'not converged'} after ${r.steps.length} step(s): qx ${r.tunes[0].toFixed(6)}  qy ${r.tunes[1].toFixed(6)} (target ${target[0]}, ${target[1]})`);
      }),
    );

  const chrom = program.command('chrom').description('chromaticity: measure by an RF-frequency scan, set with sextupole families');
  const chromOpts = (c: Command) =>
    measureOpts(c)
      .option('--points <n>', 'points of the RF scan', '7')
      .option('--range <dp>', 'momentum offsets scanned: -dp to +dp', '2e-3')
      .option('--order <n>', 'fit order: 1 (linear) or 2 (quadratic)', '1')
      .option('--settle <ms>', SETTLE_HELP, '0');
  const scanOptions = (o: TuneCliOptions & { points: string; range: string; order: string; settle: string }) => {
    const order = num(o.order, '--order');
    if (order !== 1 && order !== 2) throw new MlayerError(`--order '${o.order}': expected 1 or 2`);
    const dp = num(o.range, '--range');
    const t = tuneOptions(o);
    const readTunes: TuneReader = (acc, signal) => measureTunes(acc, { ...t, signal });
    return { points: num(o.points, '--points'), dpRange: [-Math.abs(dp), Math.abs(dp)] as const, order: order as 1 | 2, readTunes, settle: settleOf(o) };
  };

  chromOpts(chrom.command('measure').description('measure the chromaticities (MML measchro); --dir saves the scan, --plot writes tune vs RF as SVG and PNG'))
    .option('--dir <dir>', 'save the scan into this new directory (openPMD line scan)')
    .option('--plot <base>', 'write <base>.svg and <base>.png (tunes against the RF frequency)')
    .action(async (o: TuneCliOptions & { points: string; range: string; order: string; settle: string; dir?: string }, cmd: Command) =>
      withAccelerator(cmd, async (acc, g) => {
        refuseOnlineWrites(acc, g, 'chrom measure', 'the measurement scans the RF frequency');
        const m = await measureChromaticity(acc, { ...scanOptions(o), dir: o.dir });
        let files: { svg: string; png: string } | undefined;
        if (o.plot) {
          const df = Array.from(m.frequencies, (f) => f - m.f0);
          files = await writeChart(o.plot, [{ name: 'qx', x: df, y: m.tunes.x }, { name: 'qy', x: df, y: m.tunes.y }], { title: `${acc.name}: tunes against the RF frequency (ξx = ${m.chromaticity[0].toFixed(3)}, ξy = ${m.chromaticity[1].toFixed(3)})`, xLabel: `f - f0 (Hz), f0 = ${m.f0} Hz`, yLabel: 'fractional tune', mark: 'point' });
        }
        if (g.json) out(JSON.stringify({ chromaticity: m.chromaticity, uncertainty: m.uncertainty, order: m.order, f0: m.f0, momentumCompaction: m.momentumCompaction, dir: m.dir ?? null, plot: files ?? null }));
        else {
          out(`ξx ${m.chromaticity[0].toFixed(4)} ± ${m.uncertainty[0].toFixed(4)}  ξy ${m.chromaticity[1].toFixed(4)} ± ${m.uncertainty[1].toFixed(4)}  (${m.order === 1 ? 'linear' : 'quadratic'} fit, ${m.dp.length} points; RF restored to ${m.f0} Hz)`);
          if (m.dir) out(`scan: ${m.dir}`);
          if (files) out(`plots: ${files.svg} ${files.png}`);
        }
      }),
    );

  chromOpts(chrom.command('set <xix> <xiy>').description('set the chromaticities with sextupole families (MML setchro)'))
    .option('--families <list>', 'sextupole families, comma-separated (two or more)')
    .option('--iterations <n>', 'most correction steps', '3')
    .option('--tolerance <dxi>', 'stop when both chromaticities are this close', '0.05')
    .action(async (xix: string, xiy: string, o: TuneCliOptions & { points: string; range: string; order: string; settle: string; families?: string; iterations: string; tolerance: string }, cmd: Command) =>
      withAccelerator(cmd, async (acc, g) => {
        refuseOnlineWrites(acc, g, 'chrom set', 'it steps sextupole families and scans the RF frequency');
        const target: [number, number] = [num(xix, 'XIX'), num(xiy, 'XIY')];
        const scan = scanOptions(o);
        const r = await setChromaticity(acc, target, { families: families(o.families, 'sextupole'), iterations: num(o.iterations, '--iterations'), tolerance: num(o.tolerance, '--tolerance'), measure: scan, settle: scan.settle, onWarning: g.json ? undefined : (w) => process.stderr.write(`warning: ${w}\n`) });
        if (g.json) out(JSON.stringify({ target, chromaticity: r.chromaticity, converged: r.converged, steps: r.steps.map((s) => ({ families: s.families, deltas: Array.from(s.deltas) })) }));
        else out(`${r.converged ? 'converged' : 'not converged'} after ${r.steps.length} step(s): ξx ${r.chromaticity[0].toFixed(4)}  ξy ${r.chromaticity[1].toFixed(4)} (target ${target[0]}, ${target[1]})`);
      }),
    );
}
