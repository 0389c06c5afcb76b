import type { Command } from 'commander';
import { MlayerError, describeChecks, type Accelerator, type CheckSummary, type MeasurementProgress, type Units } from '@mlayer/core';
import {
  correctOrbit,
  orbitTarget,
  localBump,
  measureDispersion,
  resolveOrbitFamilies,
  measureOrbit,
  measureOrm,
  modelOrm,
  saveDispersion,
  saveOrbit,
  saveOrm,
  type CorrectionMethod,
  type OrbitResponseMatrix,
} from '@mlayer/orbit';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { parseInteger, parseNumber, settleOf } from '../cli-values.js';
import { orbitPlots, reportCorrection } from './orbit-report.js';
import { dispersionPlots, dispersionText } from './dispersion-report.js';
import { toJson } from '../format/json.js';
import { formatQuantity } from '@mlayer/core';
import { writesTable } from '../format/correction-table.js';
import { ormSummary } from '../format/orm-summary.js';
import type { GlobalOptions } from '../global-options.js';
import { dispersionStep, ormKicks, ormOf, targetOf } from './orbit-defaults.js';
import { readyTarget } from '../measurement-files.js';
import { type Interrupt, interruptSignal, progressBar } from '../progress.js';
import { shownMode } from '../recording-session.js';

export interface OrbitCliOptions {
  units: string;
  average: string;
  out?: string;
  force: boolean;
  plots: boolean;
}

const num = (v: string, what: string): number => parseNumber(v, what);

/** Warnings of a measurement (settling defaults, checks skipped) go to stderr, one line each. */
const warn = (w: string): void => {
  process.stderr.write(`warning: ${w}\n`);
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
export async function withAccelerator<T>(cmd: Command, body: (acc: Accelerator, ctx: { signal: AbortSignal; onProgress: ReturnType<typeof progressBar>['onProgress']; g: GlobalOptions; interrupt: Interrupt }) => Promise<T>): Promise<T> {
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

/** `mlayer orbit show`. */
export async function orbitShow(o: OrbitCliOptions, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, { signal, g }) => {
    const r = await measureOrbit(acc, { units: unitsOf(o), average: num(o.average, '--average'), signal });
    const t = readyTarget(targetOf(acc, 'orbit', o));
    const files = [await saveOrbit(t.file, r, acc, { overwrite: t.overwrite })];
    if (o.plots) files.push(...(await orbitPlots(acc, t.base, 'Orbit', [{ name: 'orbit', reading: r }])));
    const out = { mode: shownMode(acc), x: r.x && { rms: rmsOf(r.x.values), unit: r.x.unit, names: r.x.names, values: r.x.values }, y: r.y && { rms: rmsOf(r.y.values), unit: r.y.unit, names: r.y.names, values: r.y.values }, files };
    if (g.json) process.stdout.write(`${toJson(out)}\n`);
    else {
      for (const p of ['x', 'y'] as const) if (r[p]) process.stdout.write(`${r[p]!.family}: ${r[p]!.values.length} BPMs, rms ${formatQuantity(rmsOf(r[p]!.values), r[p]!.unit)}, max |${p}| ${formatQuantity(Math.max(...Array.from(r[p]!.values, Math.abs).filter(Number.isFinite)), r[p]!.unit)}\n`);
      if (files.length > 1) process.stdout.write(`files: ${files.join(', ')}\n`);
    }
  });
}

/** `mlayer orbit measure-orm`. */
export async function orbitMeasureOrm(o: OrbitCliOptions & { kick?: string; rfStep?: string; settle: string }, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, { signal, onProgress, g, interrupt }) => {
    refuseOnlineWrites(acc, g, 'orbit measure-orm', 'the measurement steps every corrector');
    const target = targetOf(acc, 'orm', o);
    const kicks = await ormKicks(acc, o.kick, unitsOf(o), cmd);
    const rfStep = o.rfStep !== undefined ? await dispersionStep(acc, o.rfStep, unitsOf(o), '--rf-step') : undefined;
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
    let summary = '';
    try {
      const orm = await measureOrm(acc, { kick: kicks, units: unitsOf(o), average: num(o.average, '--average'), rf: rfStep !== undefined ? { step: rfStep } : undefined, settle: settleOf(o), signal, onProgress: keep, onWarning: g.json ? undefined : warn });
      const t = readyTarget(target);
      file = await saveOrm(t.file, orm, acc, { overwrite: t.overwrite });
      summary = ormSummary(orm);
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
    if (g.json) process.stdout.write(`${toJson({ file, units, checks: checksJson(checks), warnings })}\n`);
    else {
      process.stdout.write(`${summary}response matrix written to ${file}\n`);
      if (checks) process.stdout.write(`${describeChecks(checks)}\n`);
    }
  });
}

/** `mlayer orbit measure-dispersion`. */
export async function orbitMeasureDispersion(o: OrbitCliOptions & { step?: string; settle: string }, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
    refuseOnlineWrites(acc, g, 'orbit measure-dispersion', 'the measurement steps the RF frequency');
    const target = targetOf(acc, 'dispersion', o);
    const d = await measureDispersion(acc, { step: await dispersionStep(acc, o.step, unitsOf(o)), units: unitsOf(o), average: num(o.average, '--average'), momentumCompaction: acc.model?.momentumCompaction(), settle: settleOf(o), signal, onProgress, onWarning: g.json ? undefined : warn });
    const t = readyTarget(target);
    const file = await saveDispersion(t.file, d, acc, { overwrite: t.overwrite });
    const text = dispersionText(acc, d);
    const files = [file, ...(o.plots ? await dispersionPlots(acc, t.base, d) : [])];
    if (g.json) process.stdout.write(`${toJson({ file, files, ...text.json, checks: checksJson(d.checks), warnings: d.warnings ?? [] })}\n`);
    else {
      process.stdout.write(text.lines);
      process.stdout.write(`dispersion written to ${file}${files.length > 1 ? `; plots: ${files.slice(1).join(', ')}` : ''}\n`);
      if (d.checks) process.stdout.write(`${describeChecks(d.checks)}\n`);
    }
  });
}

/** `mlayer orbit correct` (exit status 2: no improvement, 3: diverged). */
export async function orbitCorrect(o: OrbitCliOptions & { orm?: string; target?: string; offsets: boolean; sv?: string; threshold?: string; tikhonov?: string; micado?: string; rf: boolean; iterations: string; onLimit: string; dryRun: boolean; gain?: string; settle: string }, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
    if (!o.dryRun) refuseOnlineWrites(acc, g, 'orbit correct');
    const dryRun = o.dryRun;
    const given = await ormOf(acc, o.orm);
    const orm: OrbitResponseMatrix = given === 'model' ? await modelOrm(acc, { rf: o.rf }) : given;
    const target = targetOf(acc, 'correction', o);
    const goal = await orbitTarget(acc, orm, o.target, o.offsets);
    if (!g.json) process.stdout.write(`target orbit: ${goal.label}\n`);
    const r = await correctOrbit(acc, { orm, golden: goal.golden, offsets: goal.offsets, method: method(o, correctorCount(acc, orm, o.rf)), rf: o.rf, iterations: num(o.iterations, '--iterations'), onLimit: o.onLimit as 'scale', dryRun, average: num(o.average, '--average'), gain: gainOf(o.gain), settle: settleOf(o), signal, onProgress, onWarning: g.json ? undefined : warn });
    // The correction works in the units of its response matrix; --units, when given, is the unit of the setpoints printed.
    const shown = cmd.getOptionValueSource('units') === 'cli' ? unitsOf(o) : undefined;
    const out = readyTarget(target);
    const summary = await reportCorrection(acc, r, out.dir, o.plots, !!g.json, out.tag, shown);
    if (g.json) process.stdout.write(`${toJson({ ...summary, target: goal.label, warnings: r.warnings })}\n`);
    // Not a success: a correction that did not improve the orbit, or had to undo a step.
    if (r.status === 'no improvement') process.exitCode = 2;
    if (r.status === 'diverged') process.exitCode = 3;
  });
}

/** `mlayer orbit bump`. */
export async function orbitBump(o: OrbitCliOptions & { plane: string; bpm: string; position: string; angle?: string; correctors: string; orm?: string; dryRun: boolean; settle: string }, cmd: Command): Promise<void> {
  await withAccelerator(cmd, async (acc, { signal, onProgress, g }) => {
    if (o.plane !== 'x' && o.plane !== 'y') throw new MlayerError(`--plane must be x or y (got '${o.plane}')`);
    if (!o.dryRun) refuseOnlineWrites(acc, g, 'orbit bump');
    const r = await localBump(acc, {
      orm: await ormOf(acc, o.orm),
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
    const out = { correctors: r.correctors, deltas: r.deltas, predicted: { reached: r.predicted.reached, leakage: r.predicted.leakage }, measured: r.measured && { reached: r.measured.reached, leakage: r.measured.leakage } };
    if (g.json) process.stdout.write(`${toJson(out)}\n`);
    else {
      // The orbit in the units of the matrix's BPM family; the correctors as a table (present, target, change).
      const bpmUnit = resolveOrbitFamilies(acc, {}, [o.plane], { bpms: true }).bpms[o.plane]!.units()[r.units];
      const q = (v: number) => formatQuantity(v, bpmUnit);
      process.stdout.write(`bump at ${o.bpm} (${o.plane}) with ${r.correctors.join(', ')}${o.dryRun ? ' (dry run, nothing written)' : ''}\n`);
      process.stdout.write(writesTable(acc, r.writes, r.units));
      process.stdout.write(`target ${r.targets.map((t) => `${t.bpm} ${q(t.value)}`).join(', ')}; predicted ${Array.from(r.predicted.reached, q).join(', ')}, leakage (rms outside) ${q(r.predicted.leakage)}\n`);
      if (r.measured) process.stdout.write(`measured ${Array.from(r.measured.reached, q).join(', ')}, leakage ${q(r.measured.leakage)}\n`);
    }
  });
}
