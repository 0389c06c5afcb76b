import type { Command } from 'commander';
import type { BbaApplyCliOptions, BbaMeasureCliOptions, BbaPlanCliOptions } from './bba-actions.js';

/** `mlayer bba plan|measure|show|apply-offsets`: beam-based alignment (bba-actions.ts, loaded when run). */
export function registerBbaCommands(program: Command): void {
  const bba = program.command('bba').description('beam-based alignment: BPM offsets to the centres of the neighbouring quadrupoles by quadrupole modulation');
  const planOptions = (c: Command): Command =>
    c
      .option('--bpms <names>', 'BPM device names to align, comma-separated (default: every enabled BPM)')
      .option('--planes <planes>', 'x, y or both', 'both')
      .option('--amplitude <m>', 'orbit amplitude at the BPM across the corrector scan, m', '0.5e-3')
      .option('--modulation <m>', 'orbit change at the BPM for a beam `amplitude` off the quadrupole centre, m', '50e-6')
      .option('--steps <n>', 'corrector steps across ±amplitude', '5')
      .option('--max-distance <m>', 'farthest quadrupole centre from its BPM, m', '3')
      .option('--every-quad', 'also pair every other individually powered quadrupole with its nearest BPM (extra pairs, for steering through every centre; apply-offsets keeps each BPM\'s nearest quadrupole)', false);
  planOptions(bba.command('plan').description('pair every BPM with its nearest individually powered quadrupole and the corrector that moves the beam most there; print the steps (nothing is written); BPMs without a quadrupole are listed'))
    .option('--json', 'print the plan as one JSON object', false)
    .action(async (o: BbaPlanCliOptions, cmd: Command) => (await import('./bba-actions.js')).bbaPlanAction(o, cmd));
  planOptions(bba.command('measure').description('measure the pairs one at a time (bipolar quadrupole modulation at each corrector step) and save the measurement file: every orbit, the fits, the offsets with 1σ; Ctrl-C restores every setpoint touched; online writes need --yes'))
    .option('--average <n>', 'readings averaged per orbit', '1')
    .option('--settle <ms>', 'extra wait after each change, ms', '0')
    .option('--precycle', 'cycle each quadrupole ±Δk once before its scan (hysteresis; serial only)', false)
    .option('--keep-tunes <families>', 'keep the tunes constant during the modulation: these quadrupole families (comma-separated, two or more) cancel each quadrupole\'s tune shift (model, first order); their own induced orbit is measured and taken off (serial only)')
    .option('--rounds <n>', 'measure one plane after the other (y, then x), steering the beam through the centres just measured after each, n rounds (the other plane\'s offset in the modulated quadrupole then no longer shifts the centres; the beam stays on the last centred orbit)')
    .option('--parallel <k>', 'modulate up to k quadrupoles at once (pairs of one plane whose kicks the model separates; the signs of their changes cancel the tune shift)')
    .option('-o, --out <path>', 'the measurement file (.json) or a folder (default: the data folder, bba-<time>.json)')
    .option('--force', 'replace the file named by -o', false)
    .option('--dry-run', 'print the plan (with --parallel: the groups, the steps against serial, the largest orbit change expected at any BPM, the largest quadrupole change), write nothing', false)
    .option('--json', 'print the offsets as one JSON object', false)
    .action(async (o: BbaMeasureCliOptions, cmd: Command) => (await import('./bba-actions.js')).bbaMeasureAction(o, cmd));
  bba
    .command('show <file>')
    .description('print the offsets of a measurement file (bba measure): per BPM and plane, offset ±1σ, quadrupole, corrector, BPMs used')
    .option('--json', 'print the offsets as one JSON object', false)
    .option('--plot <base>', 'write <base>-offsets and <base>-fits .svg and .png (offsets ±1σ; the fit lines of the first pairs)')
    .action(async (file: string, o: { json?: boolean; plot?: string }, cmd: Command) => (await import('./bba-actions.js')).bbaShowAction(file, o, cmd));
  bba
    .command('apply-offsets <file>')
    .description("write the offsets of a measurement file as a BPM offsets file the orbit tool reads (tools.orbit.offsets of the facility, or orbit correct --target)")
    .requiredOption('-o, --out <file>', 'the offsets file to write (.yaml or .json)')
    .option('--force', 'replace an existing file', false)
    .option('--max-sigma <m>', 'leave out offsets whose 1σ is larger, m')
    .action(async (file: string, o: BbaApplyCliOptions, cmd: Command) => (await import('./bba-actions.js')).bbaApplyOffsetsAction(file, o, cmd));
}
