import type { Command } from 'commander';
import type { TwinCommandOptions } from './twin-actions.js';

/**
 * `mlayer twin errors apply FILE --seed N`, `mlayer twin reset`, `mlayer twin state`: the
 * twin's error set on a running `mlayer server` (twin-actions.ts, loaded when it runs).
 */
export function registerTwinCommands(program: Command): void {
  const twin = program
    .command('twin')
    .description("the twin's error set on a running mlayer server (the global --server and --token-file)");
  const errors = twin.command('errors').description('error sets');
  errors
    .command('apply <file>')
    .description('apply an error set (YAML, as --errors of demo and serve) with a seed')
    .requiredOption('-s, --seed <n>', 'seed of the error set')
    .action(async (file: string, o: { seed: string }, cmd: Command) => (await import('./twin-actions.js')).twinErrorsApply(file, o.seed, cmd.optsWithGlobals<TwinCommandOptions>()));
  twin
    .command('reset')
    .description('remove every error (the design lattice with the present setpoints)')
    .action(async (_o: unknown, cmd: Command) => (await import('./twin-actions.js')).twinReset(cmd.optsWithGlobals<TwinCommandOptions>()));
  const faults = twin.command('faults').description('injected faults (trip, stuck, gradient, bpm, rf-drift, corrector-noise, beam-loss)');
  faults
    .command('add <file>')
    .description('inject the faults of a YAML/JSON file (a list of { kind, family, device, start | after, ... }); all or none')
    .action(async (file: string, _o: unknown, cmd: Command) => (await import('./twin-actions.js')).twinFaultsAdd(file, cmd.optsWithGlobals<TwinCommandOptions>()));
  faults
    .command('list')
    .description('the injected faults, in order')
    .action(async (_o: unknown, cmd: Command) => (await import('./twin-actions.js')).twinFaultsList(cmd.optsWithGlobals<TwinCommandOptions>()));
  faults
    .command('clear')
    .description('remove every fault')
    .action(async (_o: unknown, cmd: Command) => (await import('./twin-actions.js')).twinFaultsClear(cmd.optsWithGlobals<TwinCommandOptions>()));
  twin
    .command('state')
    .description('the error set and seed applied now')
    .action(async (_o: unknown, cmd: Command) => (await import('./twin-actions.js')).twinState(cmd.optsWithGlobals<TwinCommandOptions>()));
}
