/**
 * The LOCO stage: the orbit response matrix measured through the orbit tool in
 * physics units (bipolar corrector steps in rad, BPM readings in m), fitted by LOCO
 * (one gradient group per quadrupole, or per family, BPM gains, fixed momentum: the twin's
 * correctors leave the momentum unchanged), and the fitted gradient errors corrected
 * through the quadrupole families.
 */
import { type Accelerator, isFamilyOfClass } from '@mlayer/core';
import { correctOptics, locoFit, parseFit, parseOrm } from '@mlayer/loco';
import { type OrbitResponseMatrix, measureOrm } from '@mlayer/orbit';
import { CommissioningError } from './errors.js';

/** A physics-unit orbit-tool matrix as LOCO's ORM.json contents (orbit change in m per corrector step in rad). */
function locoInput(acc: Accelerator, orm: OrbitResponseMatrix, coupling: boolean): unknown {
  const model = acc.model!;
  const bx = orm.bpms.x!;
  const elements = acc.family(bx.family).devices(bx.devices).latticeElements(model);
  const correctors = { x: [] as { name: string; element: number; kick: number }[], y: [] as { name: string; element: number; kick: number }[] };
  for (const p of ['x', 'y'] as const) {
    const c = orm.correctors[p]!;
    const els = acc.family(c.family).devices(c.devices).latticeElements(model);
    c.names.forEach((name, j) => correctors[p].push({ name, element: els[j], kick: c.kicks[j] }));
  }
  const block = (m: OrbitResponseMatrix['Rxx'], kicks: Float64Array) => m!.map((row) => Array.from(row, (v, j) => (Number.isFinite(v) ? v * kicks[j] : null)));
  return {
    bpms: bx.names.map((name, i) => ({ name, element: elements[i] })),
    correctors,
    orm: {
      xx: block(orm.Rxx, orm.correctors.x!.kicks),
      yy: block(orm.Ryy, orm.correctors.y!.kicks),
      // LOCO's ab: orbit in plane a per corrector of plane b (the orbit tool's Rab: a orbit per b kick).
      ...(coupling ? { xy: block(orm.Rxy, orm.correctors.y!.kicks), yx: block(orm.Ryx, orm.correctors.x!.kicks) } : {}),
    },
  };
}

export interface LocoStageParameters {
  readonly kick: number;
  readonly average: number;
  readonly iterations: number;
  readonly svThreshold: number;
  readonly fraction: number;
  readonly families?: readonly string[];
  readonly groups: 'device' | 'family';
  /** Skew quadrupole families fitted too (one group per device) with the coupling blocks of the matrix, and corrected. */
  readonly skew?: readonly string[];
}

export async function locoStage(acc: Accelerator, p: LocoStageParameters, signal?: AbortSignal): Promise<Record<string, number>> {
  const model = acc.model;
  if (!model) throw new CommissioningError(`${acc.name}: no lattice model for LOCO`);
  const families = p.families ?? acc.familyNames().filter((n) => isFamilyOfClass(acc.family(n), 'quadrupole') && acc.family(n).fields.includes('setpoint'));
  if (families.length === 0) throw new CommissioningError(`${acc.name}: no quadrupole family to fit`);
  const orm = await measureOrm(acc, { kick: p.kick, average: p.average, units: 'physics', planes: 'both', observe: 'both', checks: false, signal });
  const groups =
    p.groups === 'family'
      ? families.map((name) => ({ name, elements: acc.family(name).latticeElements(model) }))
      : families.flatMap((name) => {
          const f = acc.family(name);
          return f.latticeElements(model).map((element, i) => ({ name: `${name}:${f.names[i]}`, elements: [element] }));
        });
  const skew = p.skew ?? [];
  for (const n of skew) if (!acc.familyNames().includes(n)) throw new CommissioningError(`loco skew: no family ${n}`);
  const skewGroups = skew.flatMap((name) => {
    const f = acc.family(name);
    return f.latticeElements(model).map((element, i) => ({ name: `${name}:${f.names[i]}`, elements: [element] }));
  });
  const spec = parseFit(
    { method: 'levenberg-marquardt', iterations: p.iterations, svThreshold: p.svThreshold, orbitType: 'fixed-momentum', couplingBlocks: skew.length > 0, fit: { quadrupoles: groups, ...(skew.length > 0 ? { skewQuadrupoles: skewGroups } : {}), bpmGains: true } },
    '(sequence loco stage)',
  );
  const fit = locoFit(model, parseOrm(locoInput(acc, orm, skew.length > 0), '(measured ORM)'), spec);
  const corrected = await correctOptics(acc, fit, { fraction: p.fraction, onLimit: 'scale', families: [...families, ...skew], signal });
  return { loco_residual_rms: fit.residualRms, loco_iterations: fit.iterations.length - 1, loco_scale: corrected.scale };
}
