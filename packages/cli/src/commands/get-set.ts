import type { Command } from 'commander';
import { MlayerError, type Units } from '@mlayer/core';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { parseNumber, selectDevices } from '../cli-values.js';
import type { GlobalOptions } from '../program.js';

interface SelectOptions {
  devices?: string;
  names?: string;
  units?: string;
  field?: string;
}

export { parseDeviceList } from '../cli-values.js';

function units(o: SelectOptions): Units {
  if (o.units !== undefined && o.units !== 'physics' && o.units !== 'hardware') throw new MlayerError(`--units must be physics or hardware (got '${o.units}')`);
  return (o.units as Units | undefined) ?? 'hardware';
}

/** `mlayer get FAMILY` / `mlayer set FAMILY VALUES...` (MML getam / setsp). */
export function registerGetSetCommands(program: Command): void {
  program
    .command('get <family>')
    .description('read a family (MML getam/getsp): one value per device')
    .option('-d, --devices <list>', 'device list "sector,index;sector,index"')
    .option('-n, --names <names>', 'comma-separated common names')
    .option('-u, --units <units>', 'physics or hardware', 'hardware')
    .option('--field <field>', 'setpoint, readback or monitor (default: monitor, else readback)')
    .action(async (family: string, o: SelectOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { acc } = await openAccelerator(g);
      try {
        const fam = selectDevices(acc.family(family), o);
        const u = units(o);
        const field = o.field as 'setpoint' | 'readback' | 'monitor' | undefined;
        const values = await fam.get({ units: u, field });
        const unitName = fam.units(field)[u];
        if (g.json) {
          process.stdout.write(`${JSON.stringify({ family, mode: acc.mode, units: unitName, devices: fam.deviceList, names: fam.names, values: Array.from(values) })}\n`);
        } else {
          fam.names.forEach((n, i) => process.stdout.write(`${String(fam.deviceList[i]).padEnd(8)} ${n.padEnd(24)} ${values[i].toPrecision(8)} ${unitName}\n`));
        }
      } finally {
        await acc.close();
      }
    });

  program
    .command('set <family> <values...>')
    .description('set a family (MML setsp): one value for all selected devices, or one per device')
    .option('-d, --devices <list>', 'device list "sector,index;sector,index"')
    .option('-n, --names <names>', 'comma-separated common names')
    .option('-u, --units <units>', 'physics or hardware', 'hardware')
    .option('--dry-run', 'show what would be set, write nothing', false)
    .action(async (family: string, raw: string[], o: SelectOptions & { dryRun?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { acc } = await openAccelerator(g);
      try {
        const fam = selectDevices(acc.family(family), o);
        const values = raw.map((v, i) => parseNumber(v, raw.length === 1 ? 'value' : `value ${i + 1}`));
        if (values.length !== 1 && values.length !== fam.size) throw new MlayerError(`${values.length} values for ${fam.size} devices of ${family}: give one value or one per device`);
        const u = units(o);
        const target = values.length === 1 ? new Array<number>(fam.size).fill(values[0]) : values;
        const hw = u === 'physics' ? fam.toHardware(target) : Float64Array.from(target);
        if (!o.dryRun) refuseOnlineWrites(acc, g, 'set');
        if (o.dryRun) {
          process.stdout.write('dry run: would set\n');
          fam.names.forEach((n, i) => process.stdout.write(`  ${n.padEnd(24)} ${hw[i].toPrecision(8)} ${fam.units('setpoint').hardware}\n`));
          return;
        }
        await fam.set(hw, { wait: true });
        process.stdout.write(`set ${fam.size} device(s) of ${family}\n`);
      } finally {
        await acc.close();
      }
    });
}
