import type { Command } from 'commander';
import type { ModelOptions } from './model-actions.js';
import { registerModelSummary } from './model-summary.js';
import { registerModelAperture } from './model-aperture.js';

const collect = (v: string, acc: string[]) => [...acc, v];

/** `mlayer model formats|convert|optics|orbit|orm|track [--lattice FILE] [--use NAME] ...`: the engine on a lattice file (model-actions.ts, loaded when run). */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('model quantities of a lattice file (4D at fixed momentum, RF cavities as identity)');
  const common = (c: Command) =>
    c
      .option('-l, --lattice <file>', "lattice file (any format of 'mlayer model formats': .m, .mat, .atjson.json, .seq/.madx, ...); default: the facility's (tools.model.lattice, else lattice.file)")
      .option('--use <name>', "the MAD-X sequence or LINE, or elegant LINE, to read (default: the file's last USE, else the only or the last line defined)")
      .option('--bpms <selector>', "BPMs: 'class:Monitor', 'pass:...', 'famname:REGEX' or indices; default: the elements of the facility's BPM families (tools.model.bpms), with --lattice 'class:Monitor'")
      .option('--correctors <selector>', "correctors (same selector forms); default: the elements of the facility's corrector families (tools.model.correctors), with --lattice 'pass:CorrectorPass'")
      .option('--kick <INDEX:THX,THY>', 'KickAngle on an element (repeatable)', collect, [])
      .option('--dk <INDEX:DK>', 'add DK to the quadrupole strength of an element (repeatable)', collect, [])
      .option('--dp <dp>', 'momentum offset', '0')
      .option('--json', 'print one JSON object', false);

  const run = (what: 'optics' | 'orbit' | 'orm' | 'track') => async (o: ModelOptions, cmd: Command) => (await import('./model-actions.js')).modelAction(what, o, cmd);
  model
    .command('formats')
    .description('lattice file formats the engine reads and writes')
    .action(async (o: unknown, cmd: Command) => (await import('./model-actions.js')).formatsAction(o, cmd));
  model
    .command('convert')
    .description('convert a lattice file to another format (formats from the file names) and print what the conversion could not carry, per element')
    .argument('<in>', 'lattice file read')
    .argument('<out>', 'lattice file written')
    .option('--use <name>', 'the MAD-X sequence or LINE, or elegant LINE, to read')
    .option('--json', 'print one JSON object', false)
    .action(async (input: string, output: string, o: { use?: string; json?: boolean }, cmd: Command) => (await import('./model-actions.js')).convertAction(input, output, o, cmd));
  common(model.command('optics').description('tunes, chromaticity, momentum compaction and optics at the BPMs')).action(run('optics'));
  common(model.command('orbit').description('closed orbit at the BPMs (with --kick)')).action(run('orbit'));
  common(model.command('orm').description('orbit response matrices Rxx, Ryy, Rxy, Ryx (BPMs x correctors)')).action(run('orm'));
  common(model.command('track').description('track particles for some turns'))
    .option('--turns <n>', 'number of turns', '1')
    .option('--particle <x,px,y,py,delta,ct>', 'initial coordinates (repeatable)', collect, [])
    .action(run('track'));
  registerModelSummary(model);
  registerModelAperture(model);
}
