import type { Command } from 'commander';

/** `mlayer families` / `mlayer devices FAMILY` (what the facility holds); families-actions.ts is loaded when one runs. */
export function registerFamiliesCommands(program: Command): void {
  program
    .command('families')
    .description('list the families: element class, groups (memberOf), devices, units, channels in the mode')
    .action(async (_o: unknown, cmd: Command) => (await import('./families-actions.js')).familiesAction(cmd));

  program
    .command('devices <family>')
    .description('list the devices of a family (or of the one family of a group): device, name, enabled, limits, channels per mode')
    .action(async (family: string, _o: unknown, cmd: Command) => (await import('./families-actions.js')).devicesAction(family, cmd));
}
