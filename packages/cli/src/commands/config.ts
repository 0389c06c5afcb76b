import type { Command } from 'commander';

/**
 * `mlayer config save|restore|diff|show` (MML getmachineconfig / setmachineconfig): machine
 * configurations in HDF5 (@mlayer/data machine-config.ts); config-actions.ts is loaded when one runs.
 */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('machine configurations (MML getmachineconfig/setmachineconfig): save, restore, diff, show');

  config
    .command('save [file]')
    .description("save every setpoint (hardware units) with the time, mode, facility name and facility SHA-256 into an HDF5 file: FILE.h5, or config-<UTC time>.h5 in a folder given, else in the facility's data folder (tools.dataDir, else ./out)")
    .option('--description <text>', 'what this configuration is (stored in the file)')
    .option('--author <name>', 'author (default: $MLAYER_AUTHOR, else the login name)')
    .option('--force', 'replace an existing FILE.h5', false)
    .action(async (file: string | undefined, o: { description?: string; author?: string; force?: boolean }, cmd: Command) => (await import('./config-actions.js')).configSave(file, o, cmd));

  config
    .command('restore <file>')
    .description('write back the setpoints of a configuration or of any measurement file: everything checked first, only changed devices written')
    .option('--dry-run', 'show what would be written (present, target, change), write nothing', false)
    .option('--allow-facility-change', 'restore although the facility file changed since the file was saved (its SHA-256 differs)', false)
    .action(async (file: string, o: { dryRun?: boolean; allowFacilityChange?: boolean }, cmd: Command) => (await import('./config-actions.js')).configRestore(file, o, cmd));

  config
    .command('diff <a> [b]')
    .description('the devices whose setpoints differ between two files, or between a file and the machine now: old, new, change, units')
    .action(async (a: string, b: string | undefined, _o: unknown, cmd: Command) => (await import('./config-actions.js')).configDiff(a, b, cmd));

  config
    .command('show <file>')
    .description('print a configuration (or the setpoints a measurement file recorded)')
    .action(async (file: string, _o: unknown, cmd: Command) => (await import('./config-actions.js')).configShow(file, cmd));
}
