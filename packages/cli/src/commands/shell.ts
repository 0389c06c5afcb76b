import type { Command } from 'commander';
import type { ShellCliOptions } from './shell-actions.js';

/** `mlayer shell`: an interactive session with MML's functions over one accelerator; shell-actions.ts is loaded when it runs. */
export function registerShellCommand(program: Command): void {
  program
    .command('shell')
    .description("interactive session (MML's getam, setsp, stepsp, getx, gettune, steptune, getmachineconfig, ...): the facility is loaded once and the accelerator kept (the twin keeps its state); help() lists the functions, Tab completes, Ctrl-D ends")
    .option('--errors <file>', 'error set applied to the twin at start (as mlayer demo)')
    .option('--seed <n>', 'seed of the error set', '1')
    .action(async (o: ShellCliOptions, cmd: Command) => (await import('./shell-actions.js')).shellAction(o, cmd));
}
