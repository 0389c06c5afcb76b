import type { Command } from 'commander';
import { MlayerError } from '@mlayer/core';
import { createLatticeModel, loadLattice } from '@mlayer/engine';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { type FitSpec, type IterationRecord, type LocoResult, correctOptics, isH5Path, locoFit, readFitFile, readOrmFile, readSavedFit, saveFitResult, saveFitResultH5 } from '@mlayer/loco';
import { parseNumber } from '../cli-values.js';
import { openAccelerator, refuseOnlineWrites } from '../context.js';
import { toJson } from '../format/json.js';
import type { GlobalOptions } from '../global-options.js';

export interface LocoFitCliOptions {
  lattice: string;
  orm: string;
  parameters: string;
  json?: boolean;
  save?: string;
  force?: boolean;
  plot?: string;
}

export interface LocoCorrectCliOptions {
  fraction: string;
  onLimit: string;
  families?: string;
  dryRun?: boolean;
}

const pct = (v: number) => `${(100 * v).toFixed(3)} %`;

function progressLine(r: IterationRecord): string {
  const head = r.iteration === 0 ? 'start      ' : `iteration ${String(r.iteration).padEnd(2)}`;
  const lambda = r.lambda === null ? '' : `  λ ${r.lambda.toExponential(1)}`;
  const sv = r.iteration === 0 ? '' : `  singular values ${r.singularValuesKept}/${r.singularValues}`;
  const out = r.outliersRemoved > 0 ? `  outliers removed ${r.outliersRemoved}` : '';
  return `loco: ${head}  χ²/DOF ${r.chi2PerDof.toExponential(4)}  residual rms ${r.residualRms.toExponential(3)} m${lambda}${sv}${out}  beta-beat vs design x ${pct(r.betaBeat.x)} y ${pct(r.betaBeat.y)}\n`;
}

/** The --json object of issue 20: exactly these fields. */
export function locoJson(res: LocoResult): Record<string, unknown> {
  const groups = (g: LocoResult['quadrupoles']) => g.map((q) => ({ name: q.name, delta: q.delta, value: q.value }));
  return {
    iterations: res.iterations.map((r) => ({ chi2PerDof: r.chi2PerDof, residualRms: r.residualRms })),
    quadrupoles: groups(res.quadrupoles),
    skewQuadrupoles: groups(res.skewQuadrupoles),
    bpmGains: res.bpmGains,
    bpmCouplings: res.bpmCouplings,
    correctorKicks: res.correctorKicks,
    residualRms: res.residualRms,
  };
}

/** `mlayer loco fit --lattice FILE --orm ORM.json --parameters FIT.yaml [--json]`. */
export async function locoFitAction(o: LocoFitCliOptions, cmd: Command): Promise<void> {
  const json = o.json || cmd.optsWithGlobals<{ json?: boolean }>().json;
  // Files first: a bad ORM.json or FIT.yaml is reported before the lattice is loaded.
  if (o.save && isH5Path(o.save) && !isH5Path(o.orm)) {
    throw new MlayerError(`--save ${o.save}: an HDF5 result is a measurement file and takes the machine provenance (facility, lattice, mode, setpoints) of the orbit-tool measurement file it fits; ${o.orm} has none. Write JSON with --save FILE.json`);
  }
  if (o.save && existsSync(o.save) && !o.force) {
    throw new MlayerError(`--save ${o.save}: the file exists and a saved fit is never written over; give another name, or --force to replace it (nothing was fitted)`);
  }
  const fitFile = await readFitFile(o.parameters);
  const { orm, spec } = /\.mat$/i.test(o.orm) ? await ormFromLocoInputFile(o.orm, fitFile) : { spec: fitFile, orm: isH5Path(o.orm) ? await ormFromMeasurementFile(o.orm, cmd) : isDirectory(o.orm) ? await ormFromMmlFolder(o.orm, cmd) : readOrmFile(o.orm) };
  const design = createLatticeModel(loadLattice(o.lattice));
  const err = (s: string) => process.stderr.write(s);
  err(`loco: ${o.orm}: ${orm.bpms.length} BPMs, ${orm.correctors.x.length} + ${orm.correctors.y.length} correctors; ${spec.method}, at most ${spec.iterations} iterations\n`);
  const res = locoFit(design, orm, spec, { onIteration: (r) => err(progressLine(r)), onNote: (n) => err(`loco: note: ${n}\n`) });
  if (o.save) {
    const inputs = { lattice: o.lattice, orm: o.orm, parameters: o.parameters };
    if (isH5Path(o.save)) await saveFitResultH5(o.save, res, inputs);
    else saveFitResult(o.save, res, inputs);
    err(`loco: result written to ${o.save}\n`);
  }
  if (o.plot) {
    const { writeLocoPlots } = await import('./loco-plots.js');
    const files = await writeLocoPlots(o.plot, res, design, orm, `${o.orm} on ${o.lattice}`);
    err(`loco: plots ${files.join(' ')}\n`);
  }
  if (json) {
    process.stdout.write(`${toJson(locoJson(res))}\n`);
    return;
  }
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const last = res.iterations[res.iterations.length - 1];
  say(`LOCO fit of ${o.orm} on ${o.lattice}: ${res.iterations.length - 1} iterations, χ²/DOF ${last.chi2PerDof.toFixed(4)}, residual rms ${res.residualRms.toExponential(3)} m`);
  say(`fitted model against design: beta-beat x ${pct(last.betaBeat.x)} y ${pct(last.betaBeat.y)} rms, dispersion x ${last.dispersionBeat.x.toExponential(2)} m y ${last.dispersionBeat.y.toExponential(2)} m rms`);
  for (const [title, list] of [['quadrupoles', res.quadrupoles], ['skew quadrupoles', res.skewQuadrupoles]] as const) {
    if (list.length === 0) continue;
    say(`${title}:`);
    say(`  ${'name'.padEnd(16)} ${'ΔK (m⁻²)'.padStart(12)} ${'1σ'.padStart(10)} ${'K (m⁻²)'.padStart(12)}`);
    for (const q of list) say(`  ${q.name.padEnd(16)} ${q.delta.toExponential(4).padStart(12)} ${q.sigma.toExponential(2).padStart(10)} ${(q.value === null ? '(differ)' : q.value.toFixed(6)).padStart(12)}`);
  }
  const spread = (v: number[]) => (v.length === 0 ? '-' : `${Math.min(...v).toFixed(5)} .. ${Math.max(...v).toFixed(5)}`);
  say(`BPM gains x ${spread(res.bpmGains.x)}, y ${spread(res.bpmGains.y)}`);
  say(`corrector kicks (rad per step) x ${res.correctorKicks.x.length ? `${Math.min(...res.correctorKicks.x).toExponential(4)} .. ${Math.max(...res.correctorKicks.x).toExponential(4)}` : '-'}, y ${res.correctorKicks.y.length ? `${Math.min(...res.correctorKicks.y).toExponential(4)} .. ${Math.max(...res.correctorKicks.y).toExponential(4)}` : '-'}`);
}

/** `mlayer loco correct RESULT.json [--fraction F] [--on-limit stop|scale] [--families LIST] [--dry-run]`. */
export async function locoCorrectAction(result: string, o: LocoCorrectCliOptions, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const fraction = parseNumber(o.fraction, '--fraction');
  if (!(Number.isFinite(fraction) && fraction > 0 && fraction <= 1)) throw new MlayerError(`--fraction '${o.fraction}': expected a number in (0, 1]`);
  if (o.onLimit !== 'stop' && o.onLimit !== 'scale') throw new MlayerError(`--on-limit '${o.onLimit}': expected stop or scale`);
  const fit = await readSavedFit(result);
  const { acc } = await openAccelerator(g);
  try {
    if (!o.dryRun) refuseOnlineWrites(acc, g, 'loco correct', 'it writes quadrupole setpoints; --dry-run shows what would be written');
    const families = o.families ? o.families.split(',').map((f) => f.trim()).filter((f) => f) : undefined;
    const r = await correctOptics(acc, fit, { fraction, onLimit: o.onLimit, dryRun: o.dryRun, families });
    if (g.json) {
      process.stdout.write(`${toJson({ dryRun: r.dryRun, scale: r.scale, changes: r.changes, uncorrected: r.uncorrected, writes: r.writes.map((w) => ({ family: w.family, names: w.names, current: w.current, target: w.target, unit: w.unit })) })}\n`);
      return;
    }
    const say = (s: string) => process.stdout.write(`${s}\n`);
    say(`${r.dryRun ? 'dry run: would change' : 'changed'} ${r.changes.length} setpoints (fraction ${fraction}${r.scale < 1 ? `, step scaled to ${r.scale.toFixed(3)} by the limits` : ''})`);
    for (const w of r.writes) w.names.forEach((n, k) => say(`  ${w.family.padEnd(10)} ${n.padEnd(20)} ${w.current[k].toPrecision(8).padStart(14)} -> ${w.target[k].toPrecision(8).padStart(14)} ${w.unit}`));
    if (r.uncorrected.length > 0) say(`not corrected (no device drives their elements): ${r.uncorrected.join(', ')}`);
  } finally {
    await acc.close();
  }
}

/** An orbit-tool measurement file (mlayer orbit measure-orm) read through the facility (-f) that measured it. */
async function ormFromMeasurementFile(file: string, cmd: Command) {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const [{ loadOrm }, { locoOrmFromMeasurement }] = await Promise.all([import('@mlayer/orbit'), import('./loco-orm-file.js')]);
  const orm = await loadOrm(file);
  const { acc } = await openAccelerator(g);
  try {
    return locoOrmFromMeasurement(orm, acc, file);
  } finally {
    await acc.close();
  }
}

/** `mlayer loco show RESULT.json [--json]`: a saved fit. */
export async function locoShowAction(result: string, o: { json?: boolean }, cmd: Command): Promise<void> {
  const doc = await readSavedFit(result);
  if (o.json || cmd.optsWithGlobals<{ json?: boolean }>().json) {
    process.stdout.write(`${toJson(doc)}\n`);
    return;
  }
  const say = (s: string) => process.stdout.write(`${s}\n`);
  if (doc.inputs) say(`LOCO fit of ${doc.inputs.orm} on ${doc.inputs.lattice} with ${doc.inputs.parameters}${doc.date ? ` (${doc.date})` : ''}`);
  const p = doc.provenance;
  if (p) say(`measured on ${p.facility.name} (${p.mode}${p.errorSeed !== undefined ? `, error seed ${p.errorSeed}` : ''}), lattice SHA-256 ${p.lattice.sha256.slice(0, 12)}…, setpoints of ${p.setpoints.length} families`);
  for (const r of doc.iterations ?? []) {
    say(`  ${r.iteration === 0 ? 'start      ' : `iteration ${String(r.iteration).padEnd(2)}`} χ²/DOF ${r.chi2PerDof.toExponential(4)}  residual rms ${r.residualRms.toExponential(3)} m${r.lambda === null ? '' : `  λ ${r.lambda.toExponential(1)}`}${r.iteration === 0 ? '' : `  singular values ${r.singularValuesKept}/${r.singularValues}`}${r.outliersRemoved ? `  outliers ${r.outliersRemoved}` : ''}  beta-beat vs design x ${pct(r.betaBeat.x)} y ${pct(r.betaBeat.y)}`);
  }
  for (const [title, list] of [['quadrupoles', doc.quadrupoles], ['skew quadrupoles', doc.skewQuadrupoles]] as const) {
    if (list.length === 0) continue;
    say(`${title}:`);
    for (const q of list) say(`  ${q.name.padEnd(16)} ΔK ${q.delta.toExponential(4).padStart(12)} ± ${(q.sigma ?? Number.NaN).toExponential(2)}  K ${q.value === null ? '(differ)' : q.value.toFixed(6)}`);
  }
  for (const n of doc.notes ?? []) say(`note: ${n}`);
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** A folder of MML LOCO input files (BPMRespMat*.mat, BPMData*.mat, Disp*.mat), placed through the facility (-f). */
async function ormFromMmlFolder(dir: string, cmd: Command) {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { locoOrmFromMml } = await import('./loco-mml-files.js');
  const { acc } = await openAccelerator(g);
  try {
    return locoOrmFromMml(dir, acc, undefined, { facilityGiven: g.facility !== undefined });
  } finally {
    await acc.close();
  }
}

/** MML's buildlocoinput file (.mat): the measurement with its LocoFlags and FitParameters; placed by lattice index, no facility. */
async function ormFromLocoInputFile(file: string, fit: FitSpec) {
  const { readLocoInput, withLocoInput } = await import('./loco-mml-input.js');
  const input = readLocoInput(file);
  const { spec, notes } = withLocoInput(fit, input, file);
  for (const n of notes) process.stderr.write(`loco: note: ${n}\n`);
  return { orm: input.orm, spec };
}
