/**
 * Optics correction from a LOCO fit: the quadrupole (and skew quadrupole)
 * setpoint changes that undo the fitted gradient errors, written through the
 * accelerator like every other write.
 *
 * The fit says the machine's gradient of group g is design + ΔK_g; each device
 * whose lattice element is in a fitted group gets the physics change
 * −fraction · ΔK_g / scale (scale: the change of the element's K per unit of
 * the device, the family's model binding: 1 for a K in m⁻², 1/L for an
 * integrated one). The setpoints are planned against the limits first
 * (`onLimit`: 'stop' refuses, 'scale' shortens the whole step); a dry run writes
 * nothing; an aborted or failed write restores every setpoint the correction
 * changed (core's Measurement).
 */
import { type Accelerator, type DeviceId, type Family, Measurement, type MeasurementProgress } from '@mlayer/core';
import { type LimitPolicy, type PlannedWrite, type StepRequest, planStep } from '@mlayer/tuning-common';
import { LocoError } from './errors.js';

/** A fitted group, as LocoResult holds it. */
export interface FittedGroup {
  readonly name: string;
  readonly elements: readonly number[];
  readonly delta: number;
}

export interface CorrectOpticsOptions {
  /** Share of the correction applied (default 1). */
  readonly fraction?: number;
  /** 'stop' (default): a setpoint past its limit stops the correction before any write; 'scale': the whole step is shortened. */
  readonly onLimit?: Exclude<LimitPolicy, 'exclude'>;
  /** Plan and report, write nothing. */
  readonly dryRun?: boolean;
  /** Families to write (default: every family bound to PolynomB[1], and to PolynomA[1] for skew groups). */
  readonly families?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: MeasurementProgress) => void;
}

export interface OpticsCorrectionResult {
  readonly dryRun: boolean;
  /** Share of the requested step applied (below 1 when the limits shortened it). */
  readonly scale: number;
  /** Setpoints written (or, in a dry run, that would be), hardware units. */
  readonly writes: readonly PlannedWrite[];
  /** Physics change per device, by family (only devices that change). */
  readonly changes: readonly { readonly family: string; readonly name: string; readonly element: number; readonly group: string; readonly physics: number }[];
  /** Groups none of whose elements a device drives: not corrected. */
  readonly uncorrected: readonly string[];
}

/** Plans (and unless dryRun, writes) the correction of the fitted gradient groups. */
export async function correctOptics(acc: Accelerator, fit: { readonly quadrupoles: readonly FittedGroup[]; readonly skewQuadrupoles: readonly FittedGroup[] }, options: CorrectOpticsOptions = {}): Promise<OpticsCorrectionResult> {
  const fraction = options.fraction ?? 1;
  if (!(Number.isFinite(fraction) && fraction > 0 && fraction <= 1)) throw new LocoError(`correction fraction ${fraction}: must be in (0, 1]`);
  const model = acc.model;
  if (!model) throw new LocoError(`${acc.name}: the accelerator has no lattice model; the fitted elements cannot be matched to devices`);
  const groupOf = new Map<string, Map<number, FittedGroup>>();
  for (const [field, list] of [['PolynomB', fit.quadrupoles], ['PolynomA', fit.skewQuadrupoles]] as const) {
    const m = new Map<number, FittedGroup>();
    for (const g of list) for (const e of g.elements) m.set(e, g);
    groupOf.set(field, m);
  }
  const names = options.families ?? acc.familyNames();
  const requests: StepRequest[] = [];
  const changes: OpticsCorrectionResult['changes'][number][] = [];
  const covered = new Set<string>();
  for (const name of names) {
    const fam = acc.family(name);
    const binding = fam.modelBinding;
    if (!binding || binding.index !== 1 || (binding.field !== 'PolynomB' && binding.field !== 'PolynomA')) {
      if (options.families) throw new LocoError(`family ${name} is not bound to PolynomB[1] or PolynomA[1] (model: ${JSON.stringify(binding ?? null)}); it cannot apply a gradient correction`);
      continue;
    }
    const groups = groupOf.get(binding.field)!;
    const params = fam.modelParameters(model);
    const deltas = new Float64Array(fam.size);
    params.forEach((p, k) => {
      const g = groups.get(p.ref.element);
      if (!g) return;
      covered.add(`${binding.field}:${g.name}`);
      deltas[k] = (-fraction * g.delta) / p.scale;
      if (deltas[k] !== 0) changes.push({ family: fam.name, name: fam.names[k], element: p.ref.element, group: g.name, physics: deltas[k] });
    });
    if (deltas.some((d) => d !== 0)) requests.push({ family: fam, current: new Float64Array(fam.size), deltas, units: 'physics' });
  }
  const uncorrected = [
    ...fit.quadrupoles.filter((g) => !covered.has(`PolynomB:${g.name}`)).map((g) => g.name),
    ...fit.skewQuadrupoles.filter((g) => !covered.has(`PolynomA:${g.name}`)).map((g) => g.name),
  ];
  const families = requests.map((r) => r.family);
  const measurement = new Measurement(acc, { name: 'optics correction', drives: options.dryRun ? [] : families, signal: options.signal, total: 1 });
  const sub = options.onProgress ? measurement.progress$.subscribe({ next: options.onProgress, error: () => undefined }) : undefined;
  try {
    return await measurement.run(async (m) => {
      const planned: StepRequest[] = [];
      for (const r of requests) planned.push({ ...r, current: await r.family.get({ field: 'setpoint', signal: m.signal }) });
      const plan = planStep(planned, options.onLimit ?? 'stop');
      if (!options.dryRun && plan.scale > 0) {
        for (const w of plan.writes) await m.set(familyOf(acc, w), w.target);
        for (const w of plan.writes) await m.settle(familyOf(acc, w));
      }
      m.progress(1, `${options.dryRun ? 'dry run: ' : ''}${plan.writes.reduce((s, w) => s + w.devices.length, 0)} setpoints ${options.dryRun ? 'would change' : 'changed'}${plan.scale < 1 ? ` (step scaled to ${plan.scale.toFixed(3)} by the limits)` : ''}`);
      return { dryRun: options.dryRun === true, scale: plan.scale, writes: plan.writes, changes: changes.map((c) => ({ ...c, physics: c.physics * plan.scale })), uncorrected };
    });
  } finally {
    sub?.unsubscribe();
  }
}

function familyOf(acc: Accelerator, w: PlannedWrite): Family {
  return acc.family(w.family).devices(w.devices as DeviceId[]);
}
