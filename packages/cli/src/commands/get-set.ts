import type { Command } from 'commander';
import type { SelectOptions } from './get-set-actions.js';

/** `mlayer get FAMILY` / `mlayer set FAMILY VALUES...` (MML getam / setsp); get-set-actions.ts is loaded when one runs. */
export function registerGetSetCommands(program: Command): void {
  program
    .command('get <family>')
    .description('read a family (MML getam/getsp): one value per device')
    .option('-d, --devices <list>', 'device list "sector,index;sector,index"')
    .option('-n, --names <names>', 'comma-separated common names')
    .option('-u, --units <units>', 'physics or hardware', 'hardware')
    .option('--field <field>', 'setpoint, readback or monitor (default: monitor, else readback)')
    .action(async (family: string, o: SelectOptions, cmd: Command) => (await import('./get-set-actions.js')).getAction(family, o, cmd));

  program
    .command('set <family> <values...>')
    .description('set a family (MML setsp): one value for all selected devices, or one per device')
    .option('-d, --devices <list>', 'device list "sector,index;sector,index"')
    .option('-n, --names <names>', 'comma-separated common names')
    .option('-u, --units <units>', 'physics or hardware', 'hardware')
    .option('--dry-run', 'show what would be set, write nothing', false)
    .action(async (family: string, raw: string[], o: SelectOptions & { dryRun?: boolean }, cmd: Command) => (await import('./get-set-actions.js')).setAction(family, raw, o, cmd));
}
