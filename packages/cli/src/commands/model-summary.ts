import type { Command } from 'commander';
import type { ModelSummaryOptions } from './model-summary-action.js';

/**
 * `mlayer model summary --lattice FILE [--json]` (MML's atsummary): the ring parameters of the
 * lattice's 6D model (pyAT enable_6d): U0 from the radiation integral I2, and from the 6D one-turn
 * matrix the tunes, synchrotron tune, damping times and partition numbers (the values an Ohmi
 * envelope would report). Actions in model-summary-action.ts, loaded when run.
 */
export function registerModelSummary(model: Command): void {
  model
    .command('summary')
    .description('ring parameters of the 6D model (radiation, RF): U0, tunes, Qs, damping times and partition numbers')
    .requiredOption('-l, --lattice <file>', "lattice file (any format of 'mlayer model formats')")
    .option('--use <name>', 'the MAD-X sequence or LINE, or elegant LINE, to read')
    .option('--json', 'print one JSON object', false)
    .action(async (o: ModelSummaryOptions, cmd: Command) => (await import('./model-summary-action.js')).modelSummaryAction(o, cmd));
}
