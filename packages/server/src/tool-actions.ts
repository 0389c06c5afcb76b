/**
 * The tools a `run` message starts, called as the CLI calls them: orbit correction (a dry
 * run is the preview), response-matrix measurement, tune set, chromaticity set. Each gets
 * the run's abort signal and reports progress; each returns a JSON-ready result and the
 * measurement files it wrote (names in the data folder).
 */
import { mkdirSync } from 'node:fs';
import { type Accelerator, MlayerError, facilityTools } from '@mlayer/core';
import { freeFileName } from '@mlayer/data';
import { type CorrectOrbitResult, type OrbitResponseMatrix, PLANES, correctOrbit, loadOrm, measureOrm, modelOrm, orbitTarget, resolveOrbitFamilies, saveCorrection, saveOrm } from '@mlayer/orbit';
import { setTunes } from '@mlayer/tune';
import { setChromaticity } from '@mlayer/chromaticity';
import { dataFile } from './data-files.js';
import type { RunRequest } from './run-messages.js';

export interface ToolProgress {
  readonly step: number;
  readonly total: number;
  readonly message: string;
}

export interface ToolContext {
  readonly acc: Accelerator;
  readonly signal: AbortSignal;
  readonly dataDir: string | undefined;
  readonly progress: (p: ToolProgress) => void;
}

export interface ToolOutcome {
  readonly result: Record<string, unknown>;
  readonly files: string[];
}

/** Families a tool moves outside one measurement (tune and chromaticity set): the server puts them back on abort or failure. */
export function familiesMovedInSteps(acc: Accelerator, run: RunRequest): string[] {
  if (run.tool !== 'tune-set' && run.tool !== 'chrom-set') return [];
  const knob = run.tool === 'tune-set' ? 'tune' : 'chromaticity';
  if (run.families) return [...run.families];
  const t = facilityTools(acc.facility);
  const fallback = knob === 'tune' ? t.tuneFamilies : t.chromaticityFamilies;
  if (!fallback) throw new MlayerError(`run ${run.tool}: give the families (run.families), or name them in the facility (${acc.facility.file}: tools.${knob}.families)`);
  return [...fallback];
}

/** A new file name in the data folder: KIND-<UTC time>.h5 (-2, -3, ... when taken), as the CLI names its files (@mlayer/data freeFileName). */
function newFile(dataDir: string | undefined, kind: string): { path: string; name: string } {
  if (!dataDir) throw new MlayerError(`run: the server has no data folder to write the ${kind} file to`);
  mkdirSync(dataDir, { recursive: true });
  const { file, tag } = freeFileName(dataDir, kind);
  return { path: file, name: `${tag}.h5` };
}

const list = (a: ArrayLike<number>): number[] => Array.from(a);

/** The first step of a correction (the preview's only one): orbit error and prediction, corrector changes, singular values kept. */
function correctionSummary(r: CorrectOrbitResult): Record<string, unknown> | null {
  const first = r.steps[0];
  if (!first) return null;
  const c = first.correction;
  const orbit: Record<string, unknown> = {};
  const deltas: Record<string, unknown> = {};
  for (const p of r.planes) {
    const b = r.orm.bpms[p]!;
    const k = r.orm.correctors[p]!;
    orbit[p] = { names: b.names, unit: b.unit, error: list(c.error[p]!), predicted: list(c.predicted[p]!), rmsBefore: c.rmsBefore[p], rmsPredicted: c.rmsPredicted[p] };
    deltas[p] = { family: k.family, names: k.names, unit: k.unit, values: list(c.deltas[p]!) };
  }
  return { orbit, deltas, rf: c.rf, singularValues: c.systems.map((s) => ({ planes: s.planes, values: list(s.singularValues), used: s.used, ...(s.selected ? { selected: s.selected } : {}) })) };
}

async function orbitCorrect(run: Extract<RunRequest, { tool: 'orbit-correct' }>, ctx: ToolContext): Promise<ToolOutcome> {
  const { acc } = ctx;
  let orm: OrbitResponseMatrix;
  const named = run.orm ?? (facilityTools(acc.facility).responseMatrix !== undefined ? 'facility' : 'model');
  if (named === 'model') orm = await modelOrm(acc, { rf: run.rf });
  else if (named === 'facility') orm = await loadOrm(facilityTools(acc.facility).responseMatrix!);
  else {
    const file = dataFile(ctx.dataDir, named);
    if (!file) throw new MlayerError(`run orbit-correct: orm '${named}' is neither 'model' nor a measurement file of the data folder`);
    orm = await loadOrm(file);
  }
  // The target as the CLI takes it (@mlayer/orbit orbitTarget): the facility's golden orbit when it has one (YAML, or an
  // orbit measurement .h5), its BPM offsets subtracted unless the run says otherwise.
  let goal: Awaited<ReturnType<typeof orbitTarget>>;
  try {
    goal = await orbitTarget(acc, orm, run.target, run.offsets !== false);
  } catch (e) {
    throw new MlayerError(`run orbit-correct: ${(e as Error).message}`, { cause: e });
  }
  const { golden, offsets, label: target } = goal;
  const dryRun = run.dryRun === true;
  const r = await correctOrbit(acc, {
    orm,
    golden,
    offsets,
    method: run.method ?? { type: 'svd', threshold: 1e-3 },
    rf: run.rf,
    iterations: run.iterations,
    gain: run.gain,
    average: run.average,
    dryRun,
    signal: ctx.signal,
    onProgress: (p) => ctx.progress({ step: p.step, total: p.total, message: p.message }),
  });
  const files: string[] = [];
  if (!dryRun && run.save !== false) {
    const f = newFile(ctx.dataDir, 'correction');
    await saveCorrection(f.path, r, acc);
    files.push(f.name);
  }
  return {
    files,
    result: {
      dryRun: r.dryRun,
      target,
      status: r.status,
      stopReason: r.stopReason,
      message: r.message,
      units: r.units,
      rmsInitial: r.rmsInitial,
      rmsFinal: r.rmsFinal,
      steps: r.steps.map((s) => ({ rms: s.rms, rmsPredicted: s.rmsPredicted, rmsMeasured: s.rmsMeasured ?? null, scale: s.scale, rf: s.rf, undone: s.undone === true })),
      correction: correctionSummary(r),
      warnings: r.warnings,
    },
  };
}

async function orbitMeasureOrm(run: Extract<RunRequest, { tool: 'orbit-measure-orm' }>, ctx: ToolContext): Promise<ToolOutcome> {
  const { acc } = ctx;
  const fams = resolveOrbitFamilies(acc, {}, ['x', 'y'], { correctors: true }).correctors;
  const steps = facilityTools(acc.facility).ormStep;
  const kick: Record<string, number> = {};
  for (const p of PLANES) {
    const f = fams[p]!;
    const k = run.kick?.[p] ?? steps[f.name];
    if (k === undefined) throw new MlayerError(`run orbit-measure-orm: give run.kick.${p} (physics units), or name the step of ${f.name} in the facility (${acc.facility.file}: tools.orbit.ormStep.${f.name}); nothing was changed`);
    kick[p] = k;
  }
  const orm = await measureOrm(acc, { kick, units: 'physics', average: run.average, signal: ctx.signal, onProgress: (p) => ctx.progress({ step: p.step, total: p.total, message: p.message }) });
  const files: string[] = [];
  if (run.save !== false) {
    const f = newFile(ctx.dataDir, 'orm');
    await saveOrm(f.path, orm, acc);
    files.push(f.name);
  }
  const shape: Record<string, [number, number]> = {};
  for (const b of ['Rxx', 'Ryx', 'Rxy', 'Ryy'] as const) {
    const m = orm[b];
    if (m) shape[b.slice(1)] = [m.length, m[0]?.length ?? 0];
  }
  return { files, result: { units: orm.units, source: orm.source, shape, warnings: orm.warnings ?? [] } };
}

async function tuneSet(run: Extract<RunRequest, { tool: 'tune-set' }>, ctx: ToolContext): Promise<ToolOutcome> {
  const r = await setTunes(ctx.acc, run.target, {
    families: familiesMovedInSteps(ctx.acc, run),
    iterations: run.iterations,
    tolerance: run.tolerance,
    signal: ctx.signal,
    onProgress: (step, total, q) => ctx.progress({ step, total, message: `tunes measured: qx ${q[0].toFixed(6)} qy ${q[1].toFixed(6)}` }),
  });
  return { files: [], result: { target: r.target, tunes: r.tunes, converged: r.converged, history: r.history.map((m) => m.tunes), steps: r.steps.map((s) => ({ families: s.families, deltas: list(s.deltas) })) } };
}

async function chromSet(run: Extract<RunRequest, { tool: 'chrom-set' }>, ctx: ToolContext): Promise<ToolOutcome> {
  const range = run.range ?? 2e-3;
  const r = await setChromaticity(ctx.acc, run.target, {
    families: familiesMovedInSteps(ctx.acc, run),
    iterations: run.iterations,
    tolerance: run.tolerance,
    measure: { points: run.points ?? 7, dpRange: [-range, range] },
    signal: ctx.signal,
    onProgress: (step, total, xi) => ctx.progress({ step, total, message: `chromaticities measured: ξx ${xi[0].toFixed(4)} ξy ${xi[1].toFixed(4)}` }),
  });
  return { files: [], result: { target: r.target, chromaticity: r.chromaticity, converged: r.converged, history: r.history.map((m) => m.chromaticity), steps: r.steps.map((s) => ({ families: s.families, deltas: list(s.deltas) })) } };
}

/** Runs the tool a `run` message names. */
export function runTool(run: RunRequest, ctx: ToolContext): Promise<ToolOutcome> {
  switch (run.tool) {
    case 'orbit-correct':
      return orbitCorrect(run, ctx);
    case 'orbit-measure-orm':
      return orbitMeasureOrm(run, ctx);
    case 'tune-set':
      return tuneSet(run, ctx);
    case 'chrom-set':
      return chromSet(run, ctx);
  }
}
