import type { Command } from 'commander';
import { MlayerError, type Units } from '@mlayer/core';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { parseNumber, selectDevices } from '../cli-values.js';
import type { GlobalOptions } from '../global-options.js';
import { formatInUnit, formatter } from '@mlayer/core';
import { formatTable } from '../format/table.js';
import { shownMode } from '../recording-session.js';

export interface SelectOptions {
  devices?: string;
  names?: string;
  units?: string;
  field?: string;
}

function units(o: SelectOptions): Units {
  if (o.units !== undefined && o.units !== 'physics' && o.units !== 'hardware') throw new MlayerError(`--units must be physics or hardware (got '${o.units}')`);
  return (o.units as Units | undefined) ?? 'hardware';
}

/** `mlayer get FAMILY` (MML getam/getsp). */
export async function getAction(family: string, o: SelectOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { acc } = await openAccelerator(g);
  try {
    const fam = selectDevices(acc.family(family), o);
    const u = units(o);
    const field = o.field as 'setpoint' | 'readback' | 'monitor' | undefined;
    const values = await fam.get({ units: u, field });
    const unitName = fam.units(field)[u];
    if (g.json) {
      process.stdout.write(`${JSON.stringify({ family, mode: shownMode(acc), units: unitName, devices: fam.deviceList, names: fam.names, values: Array.from(values) })}\n`);
    } else {
      // One unit for the family, chosen by the magnitude of its values (frequencies to 0.01 Hz).
      const f = formatter(unitName, values, { significant: 6 });
      const rows = fam.names.map((n, i) => [String(fam.deviceList[i]), n, f.number(values[i])]);
      process.stdout.write(formatTable([{ header: 'device', align: 'left' }, { header: 'name', align: 'left' }, { header: `${family} (${f.unit})` }], rows));
    }
  } finally {
    await acc.close();
  }
}

/** `mlayer set FAMILY VALUES...` (MML setsp). */
export async function setAction(family: string, raw: string[], o: SelectOptions & { dryRun?: boolean }, cmd: Command): Promise<void> {
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
      fam.names.forEach((n, i) => process.stdout.write(`  ${n.padEnd(24)} ${formatInUnit(hw[i], fam.units('setpoint').hardware)} ${fam.units('setpoint').hardware}\n`));
      return;
    }
    await fam.set(hw, { wait: true });
    process.stdout.write(`set ${fam.size} device(s) of ${family}\n`);
  } finally {
    await acc.close();
  }
}
