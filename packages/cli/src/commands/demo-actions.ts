import type { Command } from 'commander';
import { join } from 'node:path';
import { describeChecks } from '@mlayer/core';
import { correctOrbit, measureOrbit, measureOrm, saveOrm, type OrbitReading } from '@mlayer/orbit';
import { applyErrorSetFile } from '@mlayer/adapters-sim';
import { openAccelerator } from '../context.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal, progressBar } from '../progress.js';
import { reportCorrection } from './orbit-report.js';
import { formatQuantity } from '@mlayer/core';
import { toJson } from '../format/json.js';
import { ormKicks } from './orbit-defaults.js';
import { dataDirOf, measurementTarget, readyTarget } from '../measurement-files.js';

export interface DemoOptions {
  seed: string;
  errors: string;
  kick?: string;
  out?: string;
  plots: boolean;
}

/** `mlayer demo`: error set, orbit, response matrix through the orbit tool, correction, files and plots. */
export async function demoAction(o: DemoOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const say = (s: string) => {
    if (!g.json) process.stdout.write(`${s}\n`);
  };
  const t0 = Date.now();
  const { acc, facility } = await openAccelerator({ ...g, mode: g.mode ?? 'twin' });
  const interrupt = interruptSignal();
  const bar = progressBar(!g.json);
  try {
    const seed = Number(o.seed);
    say(`facility ${acc.name} (${facility.file}), mode ${acc.mode}: ${acc.familyNames().length} families, loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    applyErrorSetFile(acc, facility.config, o.errors, seed);
    say(`error set ${o.errors}, seed ${seed}`);
    const trueRms = (): { x: number; y: number } => {
      const twin = acc.twin;
      const bpms = acc.family('BPMx').elements.filter((e): e is number => typeof e === 'number');
      const co = twin.machineModel.closedOrbit(bpms);
      const r = (k: number) => Math.sqrt(co.reduce((s, c) => s + c[k] * c[k], 0) / co.length);
      return { x: r(0), y: r(2) };
    };
    const before: OrbitReading = await measureOrbit(acc, { units: 'physics', average: 4, signal: interrupt.signal });
    const t1 = trueRms();
    say(`orbit before: BPM reading rms x ${formatQuantity(rms(before.x!.values), before.x!.unit)}, y ${formatQuantity(rms(before.y!.values), before.y!.unit)}; true orbit rms x ${formatQuantity(t1.x, 'm')}, y ${formatQuantity(t1.y, 'm')}`);
    // Files by kind and time in -o, else the facility's data folder/demo; never written over.
    const dir = o.out ?? join(dataDirOf(facility), 'demo');
    const ormTarget = measurementTarget('orm', { out: dir, dataDir: dir });
    // --kick in rad (a unit may be named), else the facility's step per corrector family.
    const kicks = await ormKicks(acc, o.kick === undefined || /[a-zµ]\s*$/i.test(o.kick) ? o.kick : `${o.kick}rad`, 'physics', cmd);
    const tOrm = Date.now();
    const orm = await measureOrm(acc, { kick: kicks, units: 'physics', average: 1, signal: interrupt.signal, onProgress: bar.onProgress });
    bar.stop();
    const ormFile = await saveOrm(readyTarget(ormTarget).file, orm, acc);
    say(`response matrix measured through the orbit tool in ${((Date.now() - tOrm) / 1000).toFixed(1)} s: ${ormFile}`);
    if (orm.checks) say(describeChecks(orm.checks));
    for (const w of orm.warnings ?? []) say(`warning: ${w}`);
    const result = await correctOrbit(acc, { orm, method: { type: 'svd', threshold: 1e-3 }, iterations: 5, average: 4, signal: interrupt.signal });
    const t2 = trueRms();
    const summary = await reportCorrection(acc, result, dir, o.plots, !!g.json, measurementTarget('demo-correction', { out: dir, dataDir: dir }).tag);
    say(`true orbit rms after: x ${formatQuantity(t2.x, 'm')}, y ${formatQuantity(t2.y, 'm')} (BPM offsets of the error set remain in the readings)`);
    say(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (g.json) process.stdout.write(`${toJson({ ...summary, seed, trueRmsBefore: t1, trueRmsAfter: t2, ormFile })}\n`);
  } finally {
    bar.stop();
    interrupt.dispose();
    await acc.close();
  }
}

/** rms of the finite values. */
function rms(v: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) (s += v[i] * v[i]), n++;
  return Math.sqrt(s / n);
}
