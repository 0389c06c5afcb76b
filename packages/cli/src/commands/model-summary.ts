import type { Command } from 'commander';
import type { ModelSummaryOptions } from './model-summary-action.js';

/**
 * `mlayer model summary --lattice FILE [--json]` (MML's atsummary): the radiation-integral values
 * (4D optics: I1-I5, U0, J, damping times, natural emittance, energy spread, bunch length) and the
 * 6D-model values (pyAT enable_6d: tunes, Qs, damping times from the 6D one-turn matrix, Ohmi-envelope
 * emittances, energy spread, bunch length), named so. Action in model-summary-action.ts, loaded when run.
 */
export function registerModelSummary(model: Command): void {
  model
    .command('summary')
    .description('ring parameters: radiation integrals and the 6D model (Ohmi envelope): U0, tunes, Qs, damping, emittances, energy spread, bunch length')
    .requiredOption('-l, --lattice <file>', "lattice file (any format of 'mlayer model formats')")
    .option('--use <name>', 'the MAD-X sequence or LINE, or elegant LINE, to read')
    .option('--json', 'print one JSON object', false)
    .action(async (o: ModelSummaryOptions, cmd: Command) => (await import('./model-summary-action.js')).modelSummaryAction(o, cmd));
}
