/**
 * `mlayer families` and `mlayer devices FAMILY`: what a facility holds, from the facility
 * file alone (no control system is reached): families with their element class, groups,
 * device count, units and channels in the mode; a family's devices with limits and channels per mode.
 */
import type { Command } from 'commander';
import { FIELD_NAMES, MlayerError, groupNames, resolveFamilyName, type FamilyConfig, type FieldName, type LoadedFacility } from '@mlayer/core';
import { facilityFile } from '../demo-facility.js';
import { loadFacilityCached } from '../facility-cache.js';
import { formatTable } from '../format/table.js';
import type { GlobalOptions } from '../global-options.js';

function load(g: GlobalOptions): { facility: LoadedFacility; mode: string } {
  const { facility } = loadFacilityCached(facilityFile(g.facility));
  const modes = Object.keys(facility.config.controlSystems);
  const mode = g.mode ?? facility.config.defaultMode ?? modes[0];
  if (!facility.config.controlSystems[mode]) throw new MlayerError(`${facility.file}: unknown mode '${mode}'; the facility defines ${modes.join(', ')}`);
  return { facility, mode };
}

const fieldsOf = (fam: FamilyConfig): FieldName[] => FIELD_NAMES.filter((f) => fam.fields[f] !== undefined);

/** Units as "hardware -> physics", or one unit when both are the same. */
function unitsText(fam: FamilyConfig): string {
  const f = fam.fields.setpoint ?? fam.fields.readback ?? fam.fields.monitor;
  if (!f) return '';
  return f.units.hardware === f.units.physics ? f.units.hardware || '(none)' : `${f.units.hardware || '(none)'} -> ${f.units.physics || '(none)'}`;
}

/** Devices of a family with at least one channel in a mode. */
function devicesIn(facility: LoadedFacility, name: string, mode: string): number {
  const fam = facility.config.families[name];
  return fam.devices.filter((_d, i) => fieldsOf(fam).some((f) => facility.channel(name, i, f, mode) !== undefined)).length;
}

/** Left-aligned columns (format/table.ts). */
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => formatTable(header.map((h) => ({ header: h, align: 'left' as const })), rows);

/** `mlayer families`. */
export async function familiesAction(cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { facility, mode } = load(g);
  const { config } = facility;
  const cs = config.controlSystems[mode];
  const families = Object.entries(config.families).map(([name, fam]) => ({
    name,
    elementClass: fam.elementClass,
    groups: fam.memberOf,
    devices: fam.devices.length,
    fields: fieldsOf(fam),
    units: Object.fromEntries(fieldsOf(fam).map((f) => [f, fam.fields[f]!.units])),
    devicesInMode: devicesIn(facility, name, mode),
  }));
  const named = Object.entries(config.families).map(([name, fam]) => ({ name, memberOf: fam.memberOf }));
  const groups = groupNames(named).map((group) => ({ group, families: named.filter((f) => f.memberOf.includes(group)).map((f) => f.name) }));
  if (g.json) {
    process.stdout.write(`${JSON.stringify({ facility: config.name, file: facility.file, mode, controlSystem: { type: cs.type, description: cs.description }, families, groups })}\n`);
    return;
  }
  process.stdout.write(`facility ${config.name} (${facility.file}); mode '${mode}': control system type ${cs.type}${cs.description ? ` (${cs.description})` : ''}\n\n`);
  const rows = Object.entries(config.families).map(([name, fam], i) => [
    name,
    fam.elementClass,
    fam.memberOf.join(',') || '-',
    String(fam.devices.length),
    fieldsOf(fam).join(','),
    unitsText(fam),
    `${families[i].devicesInMode}/${fam.devices.length}`,
  ]);
  process.stdout.write(table(['family', 'class', 'groups', 'devices', 'fields', 'units (hardware -> physics)', `channels in ${mode}`], rows));
  process.stdout.write(`\ngroups (a group of one family stands for it: mlayer get HCM):\n`);
  process.stdout.write(table(['group', 'families'], groups.map((x) => [x.group, x.families.join(', ')])));
}

/** `mlayer devices FAMILY`. */
export async function devicesAction(family: string, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { facility, mode } = load(g);
  const { config } = facility;
  const name = resolveFamilyName(
    family,
    Object.entries(config.families).map(([n, f]) => ({ name: n, memberOf: f.memberOf })),
  );
  const fam = config.families[name];
  const fields = fieldsOf(fam);
  const modes = Object.keys(config.controlSystems);
  const devices = fam.devices.map((d, i) => ({
    device: d.device,
    name: d.name,
    enabled: d.enabled,
    limits: d.limits ?? fam.fields.setpoint?.limits ?? null,
    channels: Object.fromEntries(modes.map((m) => [m, Object.fromEntries(fields.map((f) => [f, facility.channel(name, i, f, m) ?? null]))])),
  }));
  const units = Object.fromEntries(fields.map((f) => [f, fam.fields[f]!.units]));
  if (g.json) {
    process.stdout.write(`${JSON.stringify({ facility: config.name, family: name, ...(name !== family ? { group: family } : {}), elementClass: fam.elementClass, groups: fam.memberOf, units, devices })}\n`);
    return;
  }
  const via = name !== family ? ` (the family of group ${family})` : '';
  process.stdout.write(`${name}${via}: ${fam.elementClass}, ${fam.devices.length} devices, groups ${fam.memberOf.join(', ') || '-'}\n`);
  for (const f of fields) {
    const u = fam.fields[f]!.units;
    const lim = f === 'setpoint' && fam.fields.setpoint?.limits ? `, limits [${fam.fields.setpoint.limits.join(', ')}] ${u.hardware}` : '';
    process.stdout.write(`  ${f}: ${u.hardware || '(none)'} (hardware), ${u.physics || '(none)'} (physics)${lim}\n`);
  }
  process.stdout.write('\n');
  const unit = fam.fields.setpoint?.units.hardware ?? '';
  const header = ['device', 'name', 'enabled', 'limits', ...modes.flatMap((m) => fields.map((f) => `${m} ${f}`))];
  const rows = devices.map((d) => [
    `[${d.device[0]},${d.device[1]}]`,
    d.name,
    d.enabled ? 'yes' : 'no',
    d.limits ? `[${d.limits[0]}, ${d.limits[1]}] ${unit}`.trimEnd() : '-',
    ...modes.flatMap((m) => fields.map((f) => d.channels[m][f] ?? '-')),
  ]);
  process.stdout.write(table(header, rows));
}
