import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MlayerError, formatQuantity } from '@mlayer/core';
import {
  analyseBba,
  analyseBbaParallel,
  loadBba,
  measureBba,
  measureBbaParallel,
  measureBbaRounds,
  planBba,
  planParallel,
  saveBba,
  writeOffsets,
  type BbaData,
  type BbaFile,
  type BbaPlan,
  type ParallelPlan,
  type Plane,
  type PlanOptions,
} from '@mlayer/bba';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { parseInteger, parseNumber, settleOf } from '../cli-values.js';
import { toJson } from '../format/json.js';
import type { GlobalOptions } from '../global-options.js';
import { measurementTarget, dataDirOf, readyTarget } from '../measurement-files.js';
import { interruptSignal, progressBar } from '../progress.js';

export interface BbaPlanCliOptions {
  bpms?: string;
  planes: string;
  amplitude: string;
  modulation: string;
  steps: string;
  maxDistance: string;
  everyQuad?: boolean;
  json?: boolean;
}

export interface BbaMeasureCliOptions extends BbaPlanCliOptions {
  average: string;
  settle: string;
  precycle: boolean;
  keepTunes?: string;
  rounds?: string;
  parallel?: string;
  out?: string;
  force: boolean;
  dryRun: boolean;
}

export interface BbaApplyCliOptions {
  out: string;
  force: boolean;
  maxSigma?: string;
}

function planOptionsOf(o: BbaPlanCliOptions): PlanOptions {
  const planes: Plane[] = o.planes === 'both' ? ['x', 'y'] : o.planes === 'x' || o.planes === 'y' ? [o.planes] : [];
  if (planes.length === 0) throw new MlayerError(`--planes must be x, y or both (got '${o.planes}')`);
  return {
    planes,
    bpms: o.bpms?.split(',').map((s) => s.trim()).filter(Boolean),
    amplitude: parseNumber(o.amplitude, '--amplitude'),
    modulation: parseNumber(o.modulation, '--modulation'),
    steps: parseInteger(o.steps, '--steps', 3, 1000),
    maxDistance: parseNumber(o.maxDistance, '--max-distance'),
    everyQuad: o.everyQuad === true,
  };
}

function planText(plan: BbaPlan): string {
  const lines = plan.pairs.map(
    (p) =>
      `${p.plane} ${p.bpm.name.padEnd(18)} ${p.quad.name.padEnd(18)} ${p.distance.toFixed(2).padStart(6)} m  ${p.corrector.name.padEnd(18)} ±${formatQuantity(p.correctorStep, 'rad')}  Δk ±${p.quadStep.toPrecision(3)}${p.extra ? '  (extra)' : ''}`,
  );
  const steps = plan.pairs.length * plan.steps * 2;
  const extra = plan.pairs.filter((p) => p.extra).length;
  lines.push(`${plan.pairs.length} pairs${extra > 0 ? ` (${extra} extra: quadrupoles with the nearest BPM)` : ''}, ${plan.steps} corrector steps each, ${steps} set-and-read steps; amplitude ${formatQuantity(plan.amplitude, 'm')}, modulation ${formatQuantity(plan.modulation, 'm')}`);
  for (const u of plan.unpaired) lines.push(`not paired: ${u.plane} ${u.bpm.name}: ${u.reason}`);
  return `${lines.join('\n')}\n`;
}

function parallelText(pp: ParallelPlan): string {
  const lines = pp.groups.map(
    (g, i) =>
      `group ${i + 1} (${g.plane}, separation ${g.separation.toFixed(2)}, tune shift ${g.tuneShift.map((v) => v.toFixed(4)).join('/')}): ${g.pairs.map((p, j) => `${g.signs[j] > 0 ? '+' : '-'}${g.quadScale[j] < 1 ? `${g.quadScale[j].toFixed(2)}x` : ''}${pp.plan.pairs[p].quad.name}@${pp.plan.pairs[p].bpm.name}`).join(' ')}`,
  );
  lines.push(`${pp.groups.length} groups for ${pp.plan.pairs.length} pairs, ${pp.passes === 2 ? `two passes of ${pp.passSteps.join(' + ')} corrector steps (the beam steered through the first pass's centres between them; the offsets refer to that orbit)` : `one pass of ${pp.passSteps[0]} corrector steps`}: ${pp.steps} set-and-read steps (serial: ${pp.serialSteps}); largest orbit change expected at a BPM ${formatQuantity(pp.largestOrbitChange, 'm')}, largest quadrupole change ${pp.largestQuadChange.toPrecision(3)}`);
  return `${lines.join('\n')}\n`;
}

/** `mlayer bba plan`. */
export async function bbaPlanAction(o: BbaPlanCliOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { acc } = await openAccelerator(g);
  try {
    const plan = planBba(acc, planOptionsOf(o));
    process.stdout.write(g.json || o.json ? `${toJson(plan)}\n` : planText(plan));
  } finally {
    await acc.close();
  }
}

function offsetsText(f: BbaFile): string {
  const lines = f.offsets.map((r) => `${r.plane} ${r.bpm.padEnd(18)} ${formatQuantity(r.offset, 'm').padStart(12)} ± ${formatQuantity(r.sigma, 'm').padEnd(10)} ${r.quad.padEnd(18)} ${r.corrector.padEnd(18)} ${r.used} BPMs`);
  return `${lines.join('\n')}\n`;
}

/** `mlayer bba measure`. */
export async function bbaMeasureAction(o: BbaMeasureCliOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { acc } = await openAccelerator(g);
  const interrupt = interruptSignal();
  const bar = progressBar(!(g.json || o.json));
  try {
    const plan = planBba(acc, planOptionsOf(o));
    if (o.parallel !== undefined && o.keepTunes !== undefined) throw new MlayerError('--keep-tunes is for the serial measurement (a parallel group cancels its tune shift with the signs and sizes of its own quadrupole changes)');
    if (o.parallel !== undefined && o.rounds !== undefined) throw new MlayerError('--rounds measures serially, one plane after the other; --parallel measures the planes in groups: give one of them');
    const rounds = o.rounds !== undefined ? parseInteger(o.rounds, '--rounds', 1, 20) : undefined;
    const keepTunes = o.keepTunes?.split(',').map((f) => f.trim()).filter(Boolean);
    const pp = o.parallel !== undefined ? planParallel(acc, plan, { k: parseInteger(o.parallel, '--parallel', 1, 1000) }) : undefined;
    if (o.dryRun) {
      if (pp) process.stdout.write(g.json || o.json ? `${toJson({ ...pp, plan: undefined, pairs: plan.pairs })}\n` : `${planText(plan)}${parallelText(pp)}`);
      else process.stdout.write(g.json || o.json ? `${toJson(plan)}\n` : `${planText(plan)}${rounds ? `${rounds} rounds, one plane after the other (y, x), the beam steered through the centres just measured after each: ${rounds} x the steps above\n` : ''}`);
      return;
    }
    refuseOnlineWrites(acc, g, 'bba measure');
    const target = measurementTarget('bba', { out: o.out, force: o.force, dataDir: dataDirOf(acc.facility), ext: '.json' });
    const common = { average: parseInteger(o.average, '--average', 1, 100000), settle: settleOf(o), signal: interrupt.signal, onProgress: bar.onProgress };
    let data: BbaData;
    let result;
    if (pp) {
      const pd = await measureBbaParallel(acc, pp, common);
      result = analyseBbaParallel(pd);
      // The file keeps the parallel raw data in place of the serial pairs.
      data = { plan, average: common.average, pairs: [], setReadSteps: pd.setReadSteps, records: [], parallel: pd } as BbaData;
    } else if (rounds !== undefined) {
      // One plane after the other, the beam left on the last centred orbit (the offsets refer to it).
      const r = await measureBbaRounds(acc, planOptionsOf(o), { ...common, rounds, order: ['y', 'x'].filter((p) => plan.pairs.some((q) => q.plane === p)) as Plane[], precycle: o.precycle, keepTunes });
      data = r.data;
      result = r.result;
    } else {
      data = await measureBba(acc, plan, { ...common, precycle: o.precycle, keepTunes });
      result = analyseBba(data);
    }
    bar.stop();
    const t = readyTarget(target);
    saveBba(t.file, data, result);
    const f = loadBba(t.file);
    if (g.json || o.json) process.stdout.write(`${toJson({ file: t.file, setReadSteps: data.setReadSteps, offsets: f.offsets })}\n`);
    else process.stdout.write(`${offsetsText(f)}${data.setReadSteps} set-and-read steps; file: ${t.file}\n`);
  } finally {
    bar.stop();
    interrupt.dispose();
    await acc.close();
  }
}

/** `mlayer bba show FILE`. */
export async function bbaShowAction(file: string, o: { json?: boolean; plot?: string }, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const f = loadBba(resolve(file));
  // The serial fits again from the raw data (a parallel file has no per-pair serial data).
  const files = o.plot ? await (await import('./bba-plots.js')).writeBbaPlots(resolve(o.plot), f, f.data.pairs.length > 0 ? analyseBba(f.data).pairs : []) : [];
  process.stdout.write(g.json || o.json ? `${toJson({ facility: f.facility, time: f.time, offsets: f.offsets, files })}\n` : `${f.facility}, ${f.time}\n${offsetsText(f)}${files.length > 0 ? `files: ${files.join(', ')}\n` : ''}`);
}

/** `mlayer bba apply-offsets FILE -o OFFSETS.yaml`. */
export async function bbaApplyOffsetsAction(file: string, o: BbaApplyCliOptions, _cmd: Command): Promise<void> {
  const f = loadBba(resolve(file));
  const out = resolve(o.out);
  if (existsSync(out) && !o.force) throw new MlayerError(`${out} exists: give another name or --force to replace it (nothing was written)`);
  const maxSigma = o.maxSigma !== undefined ? parseNumber(o.maxSigma, '--max-sigma') : Infinity;
  // A BPM's offset is the one of its nearest quadrupole: extra pairs (bba measure --every-quad) serve centring only.
  const own = f.offsets.filter((r) => !r.extra);
  const kept = own.filter((r) => Number.isFinite(r.offset) && r.sigma <= maxSigma);
  const left = own.length - kept.length;
  writeOffsets(out, kept, `BPM offsets from beam-based alignment: ${resolve(file)} (${f.time})`);
  process.stdout.write(`${kept.length} offsets written to ${out}${left > 0 ? `; ${left} left out (1σ above ${o.maxSigma} m or not finite)` : ''}\nuse: tools.orbit.offsets: ${out} in the facility's tools.yaml, then mlayer orbit correct\n`);
}
