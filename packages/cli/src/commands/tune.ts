import type { Command } from 'commander';
import { SETTLE_HELP } from '../option-help.js';
import type { TuneCliOptions } from './tune-actions.js';

/**
 * `mlayer tune show|measure|set QX QY` (MML gettune, settune) and
 * `mlayer chrom measure|set XIX XIY` (MML measchro, setchro). tune-actions.ts is loaded when one runs.
 */
export function registerTuneCommands(program: Command): void {
  const tune = program.command('tune').description('betatron tunes: show, measure (tune monitors or turn-by-turn data), set with quadrupole families');
  const measureOpts = (c: Command) =>
    c
      .option('--method <method>', 'auto, monitor (tune monitors) or tbt (turn-by-turn BPM data after a kick)', 'auto')
      .option('--samples <n>', 'tune monitor readings averaged', '5');

  measureOpts(tune.command('show').description('the fractional tunes now (MML gettune), with the model tunes when there is a model')).action(async (o: TuneCliOptions, cmd: Command) => (await import('./tune-actions.js')).tuneShow(o, cmd));

  measureOpts(tune.command('measure').description('measure the tunes with their resolution; --plot writes the turn-by-turn spectra as SVG and PNG'))
    .option('--plot <base>', 'write <base>.svg and <base>.png (turn-by-turn spectra)')
    .action(async (o: TuneCliOptions, cmd: Command) => (await import('./tune-actions.js')).tuneMeasure(o, cmd));

  measureOpts(tune.command('set <qx> <qy>').description('set the fractional tunes with quadrupole families (MML settune): measure, step, up to --iterations times'))
    .option('--families <list>', "quadrupole families, comma-separated (two or more); default: the facility's tools.tune.families")
    .option('--iterations <n>', 'most correction steps', '3')
    .option('--tolerance <dq>', 'stop when both tunes are this close', '1e-4')
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (qx: string, qy: string, o: TuneCliOptions & { families?: string; iterations: string; tolerance: string; settle: string }, cmd: Command) => (await import('./tune-actions.js')).tuneSet(qx, qy, o, cmd));

  const chrom = program.command('chrom').description('chromaticity: measure by an RF-frequency scan, set with sextupole families');
  const chromOpts = (c: Command) =>
    measureOpts(c)
      .option('--points <n>', 'points of the RF scan', '7')
      .option('--range <dp>', 'momentum offsets scanned: -dp to +dp', '2e-3')
      .option('--order <n>', 'fit order: 1 (linear) or 2 (quadratic)', '1')
      .option('--settle <ms>', SETTLE_HELP, '0');

  chromOpts(chrom.command('measure').description('measure the chromaticities (MML measchro); --dir saves the scan, --plot writes tune vs RF as SVG and PNG'))
    .option('--dir <dir>', "save the scan into this new directory (openPMD line scan); default: chrom-<UTC time> in the facility's data folder (tools.dataDir, else ./out)")
    .option('--plot <base>', 'write <base>.svg and <base>.png (tunes against the RF frequency)')
    .action(async (o: TuneCliOptions & { points: string; range: string; order: string; settle: string; dir?: string }, cmd: Command) => (await import('./tune-actions.js')).chromMeasure(o, cmd));

  chromOpts(chrom.command('set <xix> <xiy>').description('set the chromaticities with sextupole families (MML setchro)'))
    .option('--families <list>', "sextupole families, comma-separated (two or more); default: the facility's tools.chromaticity.families")
    .option('--iterations <n>', 'most correction steps', '3')
    .option('--tolerance <dxi>', 'stop when both chromaticities are this close', '0.05')
    .action(async (xix: string, xiy: string, o: TuneCliOptions & { points: string; range: string; order: string; settle: string; families?: string; iterations: string; tolerance: string }, cmd: Command) => (await import('./tune-actions.js')).chromSet(xix, xiy, o, cmd));
}
