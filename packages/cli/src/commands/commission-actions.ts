import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlayerError, formatQuantity, isDigitalTwin } from '@mlayer/core';
import {
  type FigureName,
  type SeedResultFile,
  aggregate,
  figureUnit,
  openStudy,
  readSeedResult,
  readSequence,
  readStudy,
  runLocalStudy,
  runSeed,
  runSlurmStudy,
  seedDir,
  seedHeader,
  studyProgress,
  type WorkerCommand,
} from '@mlayer/commissioning';
import { measurementAuthor } from '@mlayer/tuning-common';
import { parseInteger } from '../cli-values.js';
import { facilityFile } from '../demo-facility.js';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { toJson } from '../format/json.js';
import { formatTable } from '../format/table.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal } from '../progress.js';

export interface CommissionRunOptions {
  sequence?: string;
  errors?: string;
  seeds?: string;
  name?: string;
  author?: string;
  runner: string;
  workers?: string;
  sbatchArgs?: string;
  resubmit: string;
  poll: string;
}

export interface CommissionReportOptions {
  out?: string;
  plots: boolean;
}

/** '1-4,9' -> [1, 2, 3, 4, 9]. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new MlayerError(`--seeds ${text}: '${part}' is not a seed or a range (1-20, 0,3,7)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new MlayerError(`--seeds ${text}: range '${part}' runs backwards`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  if (out.length === 0) throw new MlayerError(`--seeds ${text}: no seed`);
  return out;
}

/** The built CLI entry (dist/bin.js), also when this module runs from its TypeScript source (tests). */
function binPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = resolve(here, '../bin.js');
  if (existsSync(js)) return js;
  const dist = js.replace(/[/\\]src[/\\]bin\.js$/, '/dist/bin.js');
  if (existsSync(dist)) return dist;
  throw new MlayerError(`the mlayer command is not built (${dist} missing): run npx tsc -b`);
}

const workerCommand = (g: GlobalOptions): WorkerCommand => {
  const bin = binPath();
  return (dir, seed) => ({ command: process.execPath, args: [bin, ...(g.verbose ? ['--verbose'] : []), 'commission', 'seed', dir, '--seed', seed] });
};

/** `mlayer commission run DIR`. */
export async function commissionRunAction(dirArg: string, o: CommissionRunOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const dir = resolve(dirArg);
  const fresh = !existsSync(join(dir, 'study.json'));
  let study;
  if (fresh) {
    if (!o.sequence || !o.seeds) throw new MlayerError(`commission run ${dirArg}: a new study needs --sequence FILE and --seeds LIST`);
    readSequence(o.sequence); // checked before anything is created or run
    study = openStudy(dir, {
      name: o.name ?? basename(dir).replace(/[^A-Za-z0-9_.-]/g, '_'),
      author: measurementAuthor(o.author),
      facility: facilityOf(g),
      errors: o.errors,
      sequence: o.sequence,
      seeds: parseSeeds(o.seeds),
      mode: 'twin',
    });
  } else {
    study = readStudy(dir);
    if (o.seeds && JSON.stringify(parseSeeds(o.seeds)) !== JSON.stringify(study.seeds)) throw new MlayerError(`${join(dir, 'study.json')}: the study has seeds ${study.seeds.join(',')}; --seeds ${o.seeds} differs (use another directory)`);
    if (o.sequence && resolve(o.sequence) !== study.sequence) throw new MlayerError(`${join(dir, 'study.json')}: the study runs ${study.sequence}, not ${resolve(o.sequence)}`);
  }
  readSequence(study.sequence);
  const interrupt = interruptSignal();
  const say = (s: string) => {
    if (!g.json) process.stderr.write(`${s}\n`);
  };
  const onPoint = (r: { index: number; status: string; error: string }, p: { done: number; total: number }) => say(`commission: seed ${study.seeds[r.index]} ${r.status}${r.error ? ` (${r.error})` : ''} [${p.done}/${p.total}]`);
  const t0 = Date.now();
  let summary;
  if (o.runner === 'local') {
    summary = await runLocalStudy(dir, study, { worker: workerCommand(g), workers: o.workers === undefined ? undefined : parseInteger(o.workers, '--workers', 1), signal: interrupt.signal, onPoint });
  } else if (o.runner === 'slurm') {
    summary = await runSlurmStudy(dir, study, {
      worker: workerCommand(g),
      sbatchArgs: o.sbatchArgs ? o.sbatchArgs.split(/\s+/).filter(Boolean) : [],
      resubmit: parseInteger(o.resubmit, '--resubmit', 0),
      pollMs: parseInteger(o.poll, '--poll', 10),
      signal: interrupt.signal,
      onPoint,
      onSubmit: (id, seeds) => say(`commission: Slurm job ${id}: array of ${seeds.length} seed${seeds.length > 1 ? 's' : ''} (${seeds.join(',')})`),
    });
  } else throw new MlayerError(`--runner ${o.runner}: local or slurm`);
  const out = { dir, seeds: study.seeds.length, completed: summary.completed, failed: summary.failed, computed: summary.computed, reused: summary.reused, seconds: (Date.now() - t0) / 1000 };
  if (g.json) process.stdout.write(`${toJson(out)}\n`);
  else process.stdout.write(`study ${study.name}: ${out.seeds} seeds, ${out.completed} points completed, ${out.failed} failed (${out.computed} computed now, ${out.seeds - out.computed} not computed again) in ${out.seconds.toFixed(1)} s: ${dir}\n`);
  if (summary.failed > 0) process.exitCode = 1;
}

function facilityOf(g: GlobalOptions): string {
  return facilityFile(g.facility);
}

/** `mlayer commission seed DIR --seed N`: one seed (a worker of the runners). */
export async function commissionSeedAction(dirArg: string, o: { seed: string }, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const dir = resolve(dirArg);
  const study = readStudy(dir);
  const seed = parseInteger(o.seed, '--seed', 0);
  if (!study.seeds.includes(seed)) throw new MlayerError(`${join(dir, 'study.json')}: seed ${seed} is not one of the study's (${study.seeds.join(',')})`);
  const sequence = readSequence(study.sequence);
  if (sequence.sha256 !== study.sequenceSha256) throw new MlayerError(`${study.sequence}: changed since the study started (SHA-256 ${sequence.sha256}, study ${study.sequenceSha256}); use another directory`);
  const { acc, facility } = await openAccelerator({ ...g, facility: study.facility, mode: study.mode ?? 'twin' });
  const interrupt = interruptSignal();
  try {
    if (study.errors) {
      const { applyErrorSetFile } = await import('@mlayer/adapters-sim');
      applyErrorSetFile(acc, facility.config, study.errors, seed);
    }
    const header = seedHeader(acc, sequence, seed, study.errors);
    const r = await runSeed(acc, {
      sequence,
      header,
      dir: seedDir(dir, seed),
      signal: interrupt.signal,
      onStage: (f) => process.stderr.write(`seed ${seed}: stage ${f.record.index} ${f.record.name}: ${f.record.success ? 'success' : 'failure'} (${f.timing.seconds.toFixed(2)} s, run ${f.timing.run})\n`),
    });
    process.stdout.write(`seed ${seed}: ${r.result.reached}/${sequence.stages.length} stages reached${r.result.completed ? '' : ' (stopped)'} in ${r.timing.seconds.toFixed(1)} s over ${r.timing.runs} run${r.timing.runs > 1 ? 's' : ''}\n`);
  } finally {
    await acc.close();
  }
}

/** `mlayer commission live --sequence FILE -o DIR`: the sequence on the machine of --mode, stage by stage with confirmations. */
export async function commissionLiveAction(o: { sequence: string; out: string; confirm: boolean }, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const sequence = readSequence(o.sequence);
  if (o.confirm && !process.stdin.isTTY) throw new MlayerError('commission live: confirmations are asked on a terminal; give --no-confirm to run every stage without asking');
  const { acc } = await openAccelerator(g);
  const interrupt = interruptSignal();
  const { createInterface } = await import('node:readline/promises');
  const rl = o.confirm ? createInterface({ input: process.stdin, output: process.stderr }) : undefined;
  try {
    refuseOnlineWrites(acc, g, 'commission live', 'run it on the twin first: mlayer commission run');
    const seed = isDigitalTwin(acc.controlSystem) ? (acc.twin.errorSeed ?? 0) : 0;
    const r = await runSeed(acc, {
      sequence,
      header: seedHeader(acc, sequence, seed),
      dir: resolve(o.out),
      signal: interrupt.signal,
      confirm: rl
        ? async (stage, i) => {
            for (;;) {
              const a = (await rl.question(`stage ${i} ${stage.name} (${stage.kind} ${JSON.stringify(stage.attempts[0])}) on ${acc.name} (${acc.mode}): [r]un, [s]kip, [q]uit? `)).trim().toLowerCase();
              if (a === 'r' || a === 'run') return 'run';
              if (a === 's' || a === 'skip') return 'skip';
              if (a === 'q' || a === 'quit') return 'stop';
            }
          }
        : undefined,
      onStage: (f) => process.stderr.write(`stage ${f.record.index} ${f.record.name}: ${f.record.attempts.length === 0 ? 'not run' : f.record.success ? 'success' : `failure (${f.record.attempts[f.record.attempts.length - 1].failure})`}; orbit rms read x ${formatQuantity(f.record.figures.orbit_read_rms_x, 'm')} y ${formatQuantity(f.record.figures.orbit_read_rms_y, 'm')}\n`),
    });
    process.stdout.write(`${r.result.reached}/${sequence.stages.length} stages reached${r.result.completed ? '' : ' (stopped)'}: ${resolve(o.out)}\n`);
  } finally {
    rl?.close();
    await acc.close();
  }
}

/** `mlayer commission status DIR`. */
export async function commissionStatusAction(dirArg: string, o: { watch?: string }, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const dir = resolve(dirArg);
  const study = readStudy(dir);
  const sequence = readSequence(study.sequence);
  const period = o.watch === undefined ? 0 : Number(o.watch);
  for (;;) {
    const p = studyProgress(dir, study);
    if (g.json) process.stdout.write(`${toJson(p)}\n`);
    else {
      process.stdout.write(`study ${study.name}: ${p.total} seeds: ${p.done} done, ${p.running} started, ${p.failed} failed, ${p.pending} pending\n`);
      const rows = p.seeds.map((s) => [String(s.seed), s.status, `${s.stagesDone}/${sequence.stages.length}`, s.stage || '-', s.reached === undefined ? '' : String(s.reached), s.error ?? '']);
      process.stdout.write(formatTable([{ header: 'seed' }, { header: 'status', align: 'left' }, { header: 'stages' }, { header: 'last stage', align: 'left' }, { header: 'reached' }, { header: 'error', align: 'left' }], rows));
    }
    if (!(period > 0) || p.running + p.pending === 0) return;
    await new Promise((r) => setTimeout(r, period * 1000));
  }
}

const fmtFigure = (f: FigureName, v: number): string => {
  if (!Number.isFinite(v)) return '-';
  if (figureUnit(f) === 'm') return formatQuantity(v, 'm');
  if (/beta_beat|^coupling$/.test(f)) return `${(100 * v).toFixed(2)} %`;
  return v.toPrecision(4);
};

/** `mlayer commission report DIR`. */
export async function commissionReportAction(dirArg: string, o: CommissionReportOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const dir = resolve(dirArg);
  const study = readStudy(dir);
  const sequence = readSequence(study.sequence);
  const results = study.seeds.map((s) => readSeedResult(dir, s)).filter((r): r is SeedResultFile => r !== undefined);
  const agg = aggregate(sequence, results);
  const plots = o.plots && results.length > 0 ? await (await import('./commission-plots.js')).writeCommissionPlots(o.out ?? join(dir, 'report'), study.name, agg) : [];
  if (g.json) {
    process.stdout.write(`${toJson({ ...agg, plots })}\n`);
    return;
  }
  const shown: FigureName[] = ['orbit_true_rms_x', 'orbit_true_rms_y', 'quad_offset_rms_x', 'quad_offset_rms_y', 'beta_beat_x', 'beta_beat_y', 'tune_error_x', 'tune_error_y', 'chromaticity_error_x', 'chromaticity_error_y', 'emittance_x', 'emittance_y', 'coupling', 'dynamic_aperture_x', 'dynamic_aperture_y'];
  process.stdout.write(`study ${study.name}: ${results.length} of ${study.seeds.length} seeds with a result, ${agg.completed} through the whole sequence\n`);
  process.stdout.write(
    formatTable(
      [{ header: 'stage', align: 'left' }, { header: 'ran' }, { header: 'succeeded' }, { header: 'reached' }, { header: 'median time' }],
      agg.stages.map((s) => [`${s.index} ${s.name}`, String(s.ran), String(s.succeeded), `${(100 * s.reachedFraction).toFixed(0)} %`, Number.isFinite(s.medianSeconds) ? `${s.medianSeconds.toFixed(2)} s` : '-']),
    ),
  );
  process.stdout.write(`\nbefore the first stage (${agg.seeds} seeds): median / 90th percentile\n`);
  process.stdout.write(formatTable([{ header: 'figure', align: 'left' }, { header: 'median' }, { header: '90 %' }], shown.map((f) => [f, fmtFigure(f, agg.initial[f][0]), fmtFigure(f, agg.initial[f][1])]), '  '));
  for (const s of agg.stages) {
    process.stdout.write(`\nafter stage ${s.index} ${s.name} (${s.ran} seeds): median / 90th percentile\n`);
    process.stdout.write(formatTable([{ header: 'figure', align: 'left' }, { header: 'median' }, { header: '90 %' }], shown.map((f) => [f, fmtFigure(f, s.figures[f][0]), fmtFigure(f, s.figures[f][1])]), '  '));
  }
  if (plots.length > 0) process.stdout.write(`\nplots: ${plots.join(', ')}\n`);
}
