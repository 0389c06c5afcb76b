import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MlayerError, describeChecks, type Accelerator, type CheckSummary, type MeasurementProgress, type Units } from '@mlayer/core';
import {
  correctOrbit,
  loadOrm,
  localBump,
  measureDispersion,
  resolveOrbitFamilies,
  measureOrbit,
  measureOrm,
  saveCorrection,
  saveDispersion,
  saveOrbit,
  saveOrm,
  type CorrectOrbitResult,
  type CorrectionMethod,
  type OrbitReading,
  type OrbitResponseMatrix,
} from '@mlayer/orbit';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { parseInteger, parseNumber } from '../cli-values.js';
import type { GlobalOptions } from '../program.js';
import { type Interrupt, interruptSignal, progressBar } from '../progress.js';
import { writeChart } from '../plots.js';

interface OrbitCliOptions {
  units: string;
  average: string;
  out: string;
  plots: boolean;
}

const num = (v: string, what: string): number => parseNumber(v, what);

/** Warnings of a measurement (settling defaults, checks skipped) go to stderr, one line each. */
const warn = (w: string): void => {
  process.stderr.write(`warning: ${w}\n`);
};

const SETTLE_HELP = "extra wait after each step, ms, on top of the facility's settle times and fresh-data waits";

/** --settle in ms, >= 0. */
const settleOf = (o: { settle: string }): number => {
  const v = num(o.settle, '--settle');
  if (!(v >= 0)) throw new MlayerError(`--settle '${o.settle}': expected a number of ms >= 0`);
  return v;
};

/** The check counts for JSON output. */
const checksJson = (c: CheckSummary | undefined) => c && { columns: c.columns, retried: c.retried, flagged: c.flagged, flaggedColumns: c.flaggedColumns };

/** --gain g (both planes) or gx,gy. */
function gainOf(text: string | undefined): number | { x: number; y: number } | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',');
  if (parts.length === 1) return num(parts[0], '--gain');
  if (parts.length === 2) return { x: num(parts[0], '--gain (x)'), y: num(parts[1], '--gain (y)') };
  throw new MlayerError(`--gain '${text}': expected one fraction for both planes, or gx,gy`);
}

function unitsOf(o: { units: string }): Units {
  if (o.units !== 'physics' && o.units !== 'hardware') throw new MlayerError(`--units must be physics or hardware (got '${o.units}')`);
  return o.units;
}

const rmsOf = (v: ArrayLike<number>): number => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) (s += v[i] * v[i]), n++;
  return n > 0 ? Math.sqrt(s / n) : Number.NaN;
};

/** Runs a command body with the accelerator, Ctrl-C abort and a progress bar. */
async function withAccelerator<T>(cmd: Command, body: (acc: Accelerator, ctx: { signal: AbortSignal; onProgress: ReturnType<typeof progressBar>['onProgress']; g: GlobalOptions; interrupt: Interrupt }) => Promise<T>): Promise<T> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { acc } = await openAccelerator(g);
  const interrupt = interruptSignal();
  const bar = progressBar(!g.json);
  try {
    return await body(acc, { signal: interrupt.signal, onProgress: bar.onProgress, g, interrupt });
  } finally {
    bar.stop();
    interrupt.dispose();
    await acc.close();
  }
}

/**
 * The correction method of the options; one method only. `correctors` is the number of
 * corrector columns per plane (fewest of the planes): --micado and --sv cannot ask for more.
 */
function method(o: { sv?: string; threshold?: string; tikhonov?: string; micado?: string }, correctors: number): CorrectionMethod {
  const given = (['sv', 'threshold', 'tikhonov', 'micado'] as const).filter((k) => o[k] !== undefined);
  if (given.length > 1 && !(given.length === 2 && given.includes('sv') && given.includes('threshold'))) {
    throw new MlayerError(`${given.map((k) => `--${k}`).join(' and ')}: give one correction method (--sv and --threshold may go together)`);
  }
  if (o.tikhonov !== undefined) return { type: 'tikhonov', alpha: num(o.tikhonov, '--tikhonov') };
  if (o.micado !== undefined) return { type: 'micado', correctors: parseInteger(o.micado, '--micado', 1, correctors) };
  return { type: 'svd', singularValues: o.sv !== undefined ? parseInteger(o.sv, '--sv', 1, correctors) : undefined, threshold: o.threshold !== undefined ? num(o.threshold, '--threshold') : 1e-3 };
}

/** Corrector columns per plane of a response matrix (or of the facility's orbit correctors for the model), fewest first. */
function correctorCount(acc: Accelerator, orm: OrbitResponseMatrix | 'model', rf: boolean): number {
  const counts = (['x', 'y'] as const).map((p) => {
    if (orm !== 'model') return orm.correctors[p]?.names.length;
    try {
      return resolveOrbitFamilies(acc, {}, [p], { correctors: true }).correctors[p]?.size;
    } catch {
      return undefined;
    }
  });
  const known = counts.filter((n): n is number => n !== undefined && n > 0);
  return known.length > 0 ? Math.min(...known) + (rf ? 1 : 0) : Number.MAX_SAFE_INTEGER;
}

async function orbitPlots(base: string, title: string, series: { name: string; reading: OrbitReading }[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of ['x', 'y'] as const) {
    const s = series.filter((r) => r.reading[p]).map((r) => ({ name: r.name, x: Array.from(r.reading[p]!.values, (_v, i) => i + 1), y: r.reading[p]!.values }));
    if (s.length === 0) continue;
    const unit = series[0].reading[p]!.unit;
    const out = await writeChart(`${base}-${p}`, s, { title: `${title} (${p})`, xLabel: `BPM number (${series[0].reading[p]!.family})`, yLabel: `${p} (${unit})` });
    files.push(out.svg, out.png);
  }
  return files;
}

/** Report of a correction: rms before/after per plane, plots, file. */
export async function reportCorrection(acc: Accelerator, r: CorrectOrbitResult, outDir: string, plots: boolean, json: boolean, tag = 'correction'): Promise<Record<string, unknown>> {
  mkdirSync(outDir, { recursive: true });
  const file = await saveCorrection(join(outDir, `${tag}.h5`), r, acc, { overwrite: true });
  const files = [file];
  if (plots) {
    files.push(...(await orbitPlots(join(outDir, `${tag}-orbit`), 'Orbit before and after correction', [{ name: 'before', reading: r.initial }, { name: 'after', reading: r.final }])));
    const sv = r.steps[0]?.correction.systems.flatMap((s) => Array.from(s.singularValues)) ?? [];
    if (sv.length > 0) {
      const out = await writeChart(join(outDir, `${tag}-singular-values`), [{ name: 'singular values', x: sv.map((_v, i) => i + 1), y: sv }], { title: 'Singular values of the response matrix', xLabel: 'index', yLabel: 'singular value', logY: true });
      files.push(out.svg, out.png);
    }
    for (const p of r.planes) {
      const axis = r.orm.correctors[p];
      if (!axis) continue;
      const total = new Float64Array(axis.names.length);
      for (const s of r.steps) s.correction.deltas[p]?.forEach((d, j) => (total[j] += d * s.scale));
      const out = await writeChart(join(outDir, `${tag}-correctors-${p}`), [{ name: `${axis.family} change`, x: Array.from(total, (_v, j) => j + 1), y: total }], { title: `Corrector changes (${axis.family})`, xLabel: 'corrector number', yLabel: `change (${r.orm.units === 'physics' ? 'physics units' : 'hardware units'})`, mark: 'bar' });
      files.push(out.svg, out.png);
    }
  }
  const summary = { status: r.status, stopReason: r.stopReason, message: r.message, iterations: r.steps.length, undoneSteps: r.steps.filter((s) => s.undone).length, rmsInitial: r.rmsInitial, rmsFinal: r.rmsFinal, dryRun: r.dryRun, files };
  if (!json) {
    for (const p of r.planes) process.stdout.write(`rms ${p}: ${r.rmsInitial[p]!.toExponential(3)} -> ${r.rmsFinal[p]!.toExponential(3)} (${r.initial[p]?.unit ?? ''})\n`);
    process.stdout.write(`${r.message}\nfiles: ${files.join(', ')}\n`);
  }
  return summary;
}

/** `mlayer orbit show|measure-orm|measure-dispersion|correct|bump`. */
export function registerOrbitCommands(program: Command): void {
  const orbit = program.command('orbit').description('orbit: read, measure the response matrix and dispersion, correct, bumps');
  const common = (c: Command) =>
    c
      .option('-u, --units <units>', 'physics or hardware', 'hardware')
      .option('-a, --average <n>', 'readings averaged per point', '1')
      .option('-o, --out <dir>', 'directory for measurement files and plots', 'out')
      .option('--no-plots', 'do not write SVG/PNG plots');

  common(orbit.command('show').description('read the orbit (averaged; disabled BPMs and NaN readings excluded)')).action(async (o: OrbitCliOptions, cmd: Command) =>
    withAccelerator(cmd, async (acc, { signal, g }) => {
      const r = await measureOrbit(acc, { units: unitsOf(o), average: num(o.average, '--average'), signal });
      mkdirSync(o.out, { recursive: true });
      const files = [await saveOrbit(join(o.out, 'orbit.h5'), r, acc, { overwrite: true })];
      if (o.plots) files.push(...(await orbitPlots(join(o.out, 'orbit'), 'Orbit', [{ name: 'orbit', reading: r }])));
      const out = { mode: acc.mode, x: r.x && { rms: rmsOf(r.x.values), unit: r.x.unit, names: r.x.names, values: Array.from(r.x.values) }, y: r.y && { rms: rmsOf(r.y.values), unit: r.y.unit, names: r.y.names, values: Array.from(r.y.values) }, files };
      if (g.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else for (const p of ['x', 'y'] as const) if (r[p]) process.stdout.write(`${r[p]!.family}: ${r[p]!.values.length} BPMs, rms ${rmsOf(r[p]!.values).toExponential(3)} ${r[p]!.unit}\n`);
    }),
  );

  common(orbit.command('measure-orm').description('measure the orbit response matrix (MML measbpmresp: bipolar steps, both planes)'))
    .requiredOption('-k, --kick <value>', 'half-amplitude of the step per corrector (in --units)')
    .option('--rf-step <hz>', 'also measure the RF column with this half-amplitude (RF units)')
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (o: OrbitCliOptions & { kick: string; rfStep?: string; settle: string }, cmd: Command) =>
      withAccelerator(cmd, async (acc, { signal, onProgress, g, interrupt }) => {
        refuseOnlineWrites(acc, g, 'orbit measure-orm', 'the measurement steps every corrector');
        // Once the last column is measured, Ctrl-C no longer throws the matrix away: it is written first.
        let release: (() => void) | undefined;
        const keep = (p: MeasurementProgress) => {
          if (p.total > 0 && p.step >= p.total) release ??= interrupt.hold('the response matrix is measured, it is being saved');
          onProgress(p);
        };
        let file: string;
        let units: Units;
        let checks: CheckSummary | undefined;
        let warnings: readonly string[] = [];
        try {
          const orm = await measureOrm(acc, { kick: num(o.kick, '--kick'), units: unitsOf(o), average: num(o.average, '--average'), rf: o.rfStep ? { step: num(o.rfStep, '--rf-step') } : undefined, settle: settleOf(o), signal, onProgress: keep, onWarning: g.json ? undefined : warn });
          mkdirSync(o.out, { recursive: true });
          file = await saveOrm(join(o.out, 'orm.h5'), orm, acc, { overwrite: true });
          units = orm.units;
          checks = orm.checks;
          warnings = orm.warnings ?? [];
        } catch (e) {
          release?.();
          throw e;
        } finally {
          // The checks and the file write after the last column are synchronous: a Ctrl-C pressed
          // meanwhile is answered only when the event loop turns. It turns here, still held, so
          // that Ctrl-C is told the matrix is being saved instead of being taken as an abort.
          // Once saved, the hold stays until the command ends: nothing is left to abort.
          await new Promise((r) => setImmediate(r));
        }
        if (g.json) process.stdout.write(`${JSON.stringify({ file, units, checks: checksJson(checks), warnings })}\n`);
        else {
          process.stdout.write(`response matrix written to ${file}\n`);
          if (checks) process.stdout.write(`${describeChecks(checks)}\n`);
        }
      }),
    );

  common(orbit.command('measure-dispersion').description('measure the dispersion with an RF step'))
    .requiredOption('-s, --step <hz>', 'half-amplitude of the RF step (RF units)')
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (o: OrbitCliOptions & { step: string; settle: string }, cmd: Command) =>
      withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
        refuseOnlineWrites(acc, g, 'orbit measure-dispersion', 'the measurement steps the RF frequency');
        const d = await measureDispersion(acc, { step: num(o.step, '--step'), units: unitsOf(o), average: num(o.average, '--average'), momentumCompaction: acc.model?.momentumCompaction(), settle: settleOf(o), signal, onProgress, onWarning: g.json ? undefined : warn });
        mkdirSync(o.out, { recursive: true });
        const file = await saveDispersion(join(o.out, 'dispersion.h5'), d, acc, { overwrite: true });
        if (g.json) process.stdout.write(`${JSON.stringify({ file, checks: checksJson(d.checks), warnings: d.warnings ?? [] })}\n`);
        else {
          process.stdout.write(`dispersion written to ${file}\n`);
          if (d.checks) process.stdout.write(`${describeChecks(d.checks)}\n`);
        }
      }),
    );

  common(orbit.command('correct').description('correct the orbit (SVD, Tikhonov or MICADO), iterating until converged'))
    .option('--orm <file|model>', "response matrix: a measurement file, or 'model'", 'model')
    .option('--sv <n>', 'number of singular values kept')
    .option('--threshold <r>', 'keep singular values above r x the largest (default 1e-3)')
    .option('--tikhonov <alpha>', 'Tikhonov regularisation instead of a cut')
    .option('--micado <n>', 'MICADO with n correctors')
    .option('--rf', 'use the RF frequency as an extra column', false)
    .option('-i, --iterations <n>', 'maximum iterations', '5')
    .option('--on-limit <policy>', 'scale, stop or exclude when a corrector would pass its limit', 'scale')
    .option('--dry-run', 'show what would be set, write nothing', false)
    .option('--gain <g>', 'fraction of each computed step applied: one for both planes, or gx,gy (default 1)')
    .option('--settle <ms>', SETTLE_HELP, '0')
    .addHelpText('after', '\nExit status: 0 converged or improved, 2 no improvement, 3 diverged (the step that made the orbit worse was undone).')
    .action(async (o: OrbitCliOptions & { orm: string; sv?: string; threshold?: string; tikhonov?: string; micado?: string; rf: boolean; iterations: string; onLimit: string; dryRun: boolean; gain?: string; settle: string }, cmd: Command) =>
      withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
        if (!o.dryRun) refuseOnlineWrites(acc, g, 'orbit correct');
        const dryRun = o.dryRun;
        const orm: OrbitResponseMatrix | 'model' = o.orm === 'model' ? 'model' : await loadOrm(o.orm);
        const r = await correctOrbit(acc, { orm, method: method(o, correctorCount(acc, orm, o.rf)), rf: o.rf, iterations: num(o.iterations, '--iterations'), onLimit: o.onLimit as 'scale', dryRun, average: num(o.average, '--average'), gain: gainOf(o.gain), settle: settleOf(o), signal, onProgress, onWarning: g.json ? undefined : warn });
        if (dryRun && !g.json) for (const w of r.steps[0]?.writes ?? []) process.stdout.write(`would set ${JSON.stringify(w)}\n`);
        const summary = await reportCorrection(acc, r, o.out, o.plots, !!g.json);
        if (g.json) process.stdout.write(`${JSON.stringify({ ...summary, warnings: r.warnings })}\n`);
        // Not a success: a correction that did not improve the orbit, or had to undo a step.
        if (r.status === 'no improvement') process.exitCode = 2;
        if (r.status === 'diverged') process.exitCode = 3;
      }),
    );

  common(orbit.command('bump').description('closed local bump at a BPM (3 or more correctors)'))
    .requiredOption('-p, --plane <plane>', 'x or y')
    .requiredOption('-b, --bpm <name>', 'BPM (common name)')
    .requiredOption('--position <value>', 'orbit change at the BPM (BPM units)')
    .option('--angle <value>', 'angle between the BPM and the next one (needs 4 correctors)')
    .option('-c, --correctors <n>', 'number of correctors', '3')
    .option('--orm <file|model>', "response matrix: a measurement file, or 'model'", 'model')
    .option('--dry-run', 'compute only', false)
    .option('--settle <ms>', SETTLE_HELP, '0')
    .action(async (o: OrbitCliOptions & { plane: string; bpm: string; position: string; angle?: string; correctors: string; orm: string; dryRun: boolean; settle: string }, cmd: Command) =>
      withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
        if (o.plane !== 'x' && o.plane !== 'y') throw new MlayerError(`--plane must be x or y (got '${o.plane}')`);
        if (!o.dryRun) refuseOnlineWrites(acc, g, 'orbit bump');
        const r = await localBump(acc, {
          orm: o.orm === 'model' ? 'model' : await loadOrm(o.orm),
          plane: o.plane,
          bpm: o.bpm,
          position: num(o.position, '--position'),
          angle: o.angle !== undefined ? num(o.angle, '--angle') : undefined,
          correctors: parseInteger(o.correctors, '--correctors', 3),
          dryRun: o.dryRun,
          settle: settleOf(o),
          signal,
          onProgress,
        });
        const out = { correctors: r.correctors, deltas: Array.from(r.deltas), predicted: { reached: Array.from(r.predicted.reached), leakage: r.predicted.leakage }, measured: r.measured && { reached: Array.from(r.measured.reached), leakage: r.measured.leakage } };
        if (g.json) process.stdout.write(`${JSON.stringify(out)}\n`);
        else {
          process.stdout.write(`bump at ${o.bpm} (${o.plane}) with ${r.correctors.join(', ')}\n`);
          r.correctors.forEach((c, i) => process.stdout.write(`  ${c}: ${r.deltas[i].toExponential(4)}\n`));
          process.stdout.write(`predicted leakage (rms outside): ${r.predicted.leakage.toExponential(3)}${r.measured ? `, measured: ${r.measured.leakage.toExponential(3)}, reached ${Array.from(r.measured.reached, (v) => v.toExponential(3)).join(' ')}` : ''}\n`);
        }
      }),
    );
}
