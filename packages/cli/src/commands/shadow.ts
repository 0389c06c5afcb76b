import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import type { ShadowCommandOptions } from './shadow-actions.js';


/**
 * `mlayer shadow --from MODE|ws://HOST:PORT [--errors FILE --seed N] [--rate HZ] [--updates N]`:
 * the digital shadow (issue 24): a twin of the facility follows the source's magnet and RF
 * setpoints; residuals measured − model are watched and alarms printed (shadow-actions.ts).
 */
export function registerShadowCommand(program: Command): void {
  program
    .command('shadow')
    .description("digital shadow: a twin fed from the source's live setpoints; prints drift, dead-BPM, stuck and tolerance alarms (thresholds: the facility's shadow.detection)")
    .requiredOption('--from <source>', 'the machine followed: a mode of the facility (epics, tango, twin, ...) or a running mlayer server (ws://HOST:PORT)')
    .option('--twin <name>', "the shadow's twin control system (default: the first of type twin)")
    .option('-e, --errors <file>', "error set (YAML) of the shadow's lattice (the model of the machine)")
    .option('-s, --seed <n>', 'seed of the error set (default 1)')
    .option('--rate <Hz>', 'updates per second (default 10)')
    .option('--updates <n>', 'stop after N updates (default: run until Ctrl-C)')
    .action(async (o: ShadowCommandOptions, cmd: Command) => (await import('./shadow-actions.js')).shadowAction(o, cmd.optsWithGlobals<GlobalOptions>()));
}
