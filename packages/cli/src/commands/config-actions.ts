/**
 * Machine configurations from the command line: the file format is @mlayer/data's
 * (machine-config.ts), the checks and the diff core's (planRestore, diffSnapshots);
 * this file parses options and prints.
 */
import { existsSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { type Accelerator, MlayerError, type SetpointChange, type Snapshot, diffSnapshots, executeRestore, isDigitalTwin } from '@mlayer/core';
import { MEASUREMENT_MODES, type MeasurementMode, readMachineConfig, sha256File, writeMachineConfig } from '@mlayer/data';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { formatTable } from '../format/table.js';
import type { GlobalOptions } from '../global-options.js';
import { dataDirOf, measurementTarget, readyTarget } from '../measurement-files.js';

/** A number as stored (shortest exact form); a change without float noise. */
const exact = (v: number) => String(v);
const delta = (v: number) => String(Number(v.toPrecision(12)));

/** format/table.ts's table: the columns of `right` (numbers) right-aligned, the others left. */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  return formatTable(header.map((h, c) => ({ header: h, align: right.includes(c) ? 'right' : 'left' })), rows);
}

function changesTable(changes: readonly SetpointChange[], oldName: string, newName: string): string {
  return table(
    ['family', 'device', 'name', oldName, newName, 'change', 'units'],
    changes.map((c) => [c.family, `[${c.device[0]},${c.device[1]}]`, c.name, exact(c.old), exact(c.new), delta(c.change), c.units]),
    [3, 4, 5],
  );
}

/** The provenance a measurement file needs (as the tools write it): lattice SHA-256, control-system type, the twin's error seed. */
function provenance(acc: Accelerator) {
  const cs = acc.facility.config.controlSystems[acc.mode];
  const mode = cs.type as MeasurementMode;
  if (!MEASUREMENT_MODES.includes(mode)) throw new MlayerError(`${acc.facility.file}: control system '${acc.mode}' has type '${cs.type}'; configuration files know the modes ${MEASUREMENT_MODES.join(', ')}`);
  const ref = acc.facility.config.lattice;
  if (!ref) throw new MlayerError(`${acc.facility.file}: the facility names no lattice file; a configuration file records its SHA-256 as every measurement does`);
  const lattice = { sha256: sha256File(acc.facility.resolvePath(ref.file)), file: ref.file };
  let errorSeed: number | undefined;
  if (mode === 'twin') {
    const seed = cs.settings.seed;
    errorSeed = (isDigitalTwin(acc.controlSystem) ? acc.twin.errorSeed : undefined) ?? (typeof seed === 'number' ? seed : 1);
  }
  return { facility: { name: acc.facility.config.name, configSha256: acc.facility.sha256 }, lattice, mode, errorSeed };
}

/** `mlayer config save FILE`. */
export async function configSave(file: string | undefined, o: { description?: string; author?: string; force?: boolean }, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { acc } = await openAccelerator(g);
  try {
    // A FILE.h5 is written as named (an existing one only with --force); a folder, or none (the
    // facility's data folder), gets config-<UTC time>.h5, as measurement files are named.
    if (file !== undefined && extname(file).toLowerCase() === '.h5' && existsSync(file) && !statSync(file).isDirectory() && !o.force) {
      throw new MlayerError(`${resolve(file)} exists: a configuration is never written over another; give another name, a folder, or --force to replace it (nothing was saved)`);
    }
    const target = measurementTarget('config', { out: file, force: o.force, dataDir: dataDirOf(acc.facility) });
    const snapshot = await acc.snapshot();
    const author = o.author ?? process.env.MLAYER_AUTHOR ?? userInfo().username;
    const ready = readyTarget(target);
    const path = await writeMachineConfig(ready.file, { ...provenance(acc), author, description: o.description, snapshot }, { overwrite: ready.overwrite });
    const families = Object.values(snapshot.families);
    const n = families.reduce((s, f) => s + f.values.length, 0);
    if (g.json) process.stdout.write(`${JSON.stringify({ file: path, facility: snapshot.facility, facilitySha256: snapshot.facilitySha256, mode: snapshot.mode, date: snapshot.date, families: families.length, setpoints: n })}\n`);
    else process.stdout.write(`saved ${n} setpoints of ${families.length} families (mode '${snapshot.mode}', ${snapshot.date}) to ${path}\n`);
  } finally {
    await acc.close();
  }
}

/** `mlayer config restore FILE`: planned and checked in full, printed, then written (online: with --yes). */
export async function configRestore(file: string, o: { dryRun?: boolean; allowFacilityChange?: boolean }, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const saved = await readMachineConfig(file);
  const { acc } = await openAccelerator(g);
  try {
    // Online without --yes: refused before any channel is read (a dry run reads and writes nothing).
    if (!o.dryRun) refuseOnlineWrites(acc, g, 'config restore');
    const plan = await acc.planRestore(saved.snapshot, { source: file, allowFacilityChange: o.allowFacilityChange });
    const what = saved.dataType === 'machine_configuration' ? 'configuration' : `setpoints recorded with the ${saved.dataType} measurement`;
    if (g.json && (o.dryRun || plan.changes.length === 0)) {
      process.stdout.write(`${JSON.stringify({ file, dataType: saved.dataType, date: saved.date, dryRun: o.dryRun ?? false, written: false, changes: plan.changes, unchanged: plan.unchanged, notInFile: plan.notInSnapshot })}\n`);
      return;
    }
    if (!g.json) {
      process.stdout.write(`${file}: ${what} of ${saved.date} (mode '${saved.snapshot.mode}'); now mode '${acc.mode}'\n`);
      if (plan.notInSnapshot.length > 0) process.stdout.write(`not in the file (left as they are): ${plan.notInSnapshot.join(', ')}\n`);
      if (plan.changes.length === 0) {
        process.stdout.write(`nothing to restore: all ${plan.unchanged} setpoints are at the file's values\n`);
        return;
      }
      process.stdout.write(`${o.dryRun ? 'dry run: would write' : 'writing'} ${plan.changes.length} setpoint(s) (${plan.unchanged} already at the file's values):\n`);
      process.stdout.write(changesTable(plan.changes, 'present', 'target'));
      if (o.dryRun) return;
    }
    await executeRestore(acc, plan, { wait: true });
    if (g.json) process.stdout.write(`${JSON.stringify({ file, dataType: saved.dataType, date: saved.date, dryRun: false, written: true, changes: plan.changes, unchanged: plan.unchanged, notInFile: plan.notInSnapshot })}\n`);
    else process.stdout.write(`restored ${plan.changes.length} setpoint(s) of ${new Set(plan.changes.map((c) => c.family)).size} families from ${file}\n`);
  } finally {
    await acc.close();
  }
}

/** `mlayer config diff A [B]`: B is the machine now when left out. */
export async function configDiff(a: string, b: string | undefined, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const first = (await readMachineConfig(a)).snapshot;
  let second: Snapshot;
  let secondName: string;
  if (b !== undefined) {
    second = (await readMachineConfig(b)).snapshot;
    secondName = b;
  } else {
    const { acc } = await openAccelerator(g);
    try {
      second = await acc.snapshot();
    } finally {
      await acc.close();
    }
    secondName = `the machine (mode '${second.mode}')`;
  }
  const d = diffSnapshots(first, second);
  if (g.json) {
    process.stdout.write(`${JSON.stringify({ a, b: b ?? null, ...d })}\n`);
    return;
  }
  process.stdout.write(`${a} (${first.date}) -> ${secondName}${b !== undefined ? ` (${second.date})` : ''}\n`);
  if (first.facility !== second.facility) process.stdout.write(`note: facilities differ ('${first.facility}' and '${second.facility}')\n`);
  else if (first.facilitySha256 && second.facilitySha256 && first.facilitySha256 !== second.facilitySha256) process.stdout.write('note: taken with different facility files (SHA-256 differ)\n');
  if (d.changes.length === 0) process.stdout.write(`no setpoint differs (${d.unchanged} compared)\n`);
  else {
    process.stdout.write(`${d.changes.length} setpoint(s) differ (${d.unchanged} equal):\n`);
    process.stdout.write(changesTable(d.changes, 'old', 'new'));
  }
  if (d.onlyInFirst.length > 0) process.stdout.write(`only in ${a}: ${d.onlyInFirst.join(', ')}\n`);
  if (d.onlyInSecond.length > 0) process.stdout.write(`only in ${b ?? 'the machine'}: ${d.onlyInSecond.join(', ')}\n`);
}

/** `mlayer config show FILE`. */
export async function configShow(file: string, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const c = await readMachineConfig(file);
  if (g.json) {
    process.stdout.write(`${JSON.stringify({ file, dataType: c.dataType, date: c.date, author: c.author, description: c.description, facility: c.facility, mode: c.mode, modeName: c.modeName, errorSeed: c.errorSeed, families: c.snapshot.families })}\n`);
    return;
  }
  process.stdout.write(`${file}: ${c.dataType === 'machine_configuration' ? 'machine configuration' : `setpoints recorded with a ${c.dataType} measurement`}\n`);
  process.stdout.write(`  date ${c.date}${c.author ? `, author ${c.author}` : ''}\n`);
  process.stdout.write(`  facility ${c.facility.name} (SHA-256 ${c.facility.configSha256})\n`);
  process.stdout.write(`  mode ${c.modeName ?? c.mode} (control system type ${c.mode})${c.errorSeed !== undefined ? `, twin error seed ${c.errorSeed}` : ''}\n`);
  if (c.description) process.stdout.write(`  ${c.description}\n`);
  for (const [family, s] of Object.entries(c.snapshot.families)) {
    process.stdout.write(`\n${family} (${s.values.length} devices, ${s.units || 'no units'})\n`);
    process.stdout.write(table(['device', 'name', 'value'], s.devices.map((d, i) => [`[${d[0]},${d[1]}]`, s.names[i], exact(s.values[i])]), [2]).replace(/^/gm, '  '));
  }
}
