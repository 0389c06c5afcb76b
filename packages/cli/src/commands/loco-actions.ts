import type { Command } from 'commander';
import { createLatticeModel, loadLattice } from '@mlayer/engine';
import { type IterationRecord, type LocoResult, locoFit, readFitFile, readOrmFile } from '@mlayer/loco';

export interface LocoFitCliOptions {
  lattice: string;
  orm: string;
  parameters: string;
  json?: boolean;
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
  const orm = readOrmFile(o.orm);
  const spec = await readFitFile(o.parameters);
  const design = createLatticeModel(loadLattice(o.lattice));
  const err = (s: string) => process.stderr.write(s);
  err(`loco: ${o.orm}: ${orm.bpms.length} BPMs, ${orm.correctors.x.length} + ${orm.correctors.y.length} correctors; ${spec.method}, at most ${spec.iterations} iterations\n`);
  const res = locoFit(design, orm, spec, { onIteration: (r) => err(progressLine(r)), onNote: (n) => err(`loco: note: ${n}\n`) });
  if (json) {
    process.stdout.write(`${JSON.stringify(locoJson(res))}\n`);
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
