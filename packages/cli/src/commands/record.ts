import type { Command } from 'commander';

/**
 * `mlayer [global options] record --out FILE -- COMMAND [options]`; record-actions.ts is loaded when it runs.
 * `run` runs a command line (program.ts's main, passed in: no import cycle).
 */
export function registerRecordCommand(program: Command, run: (argv: readonly string[]) => Promise<number>): void {
  program
    .command('record')
    .description('run a command and record what it does on the control system: every read, monitor update and write, as JSON lines (replay it with --mode replay --recording FILE)')
    .requiredOption('--out <file>', 'the recording file (never written over without --force)')
    .option('--force', 'replace the file --out names when it exists', false)
    .argument('<command...>', 'the command and its options, after -- (for example: -- orbit measure-orm)')
    .usage('--out FILE [--force] -- COMMAND [options]')
    .action(async (args: string[], o: { out: string; force: boolean }, cmd: Command) => (await import('./record-actions.js')).recordCommand(args, o, cmd, run));
}
