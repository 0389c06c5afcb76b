/**
 * Turning corrector changes into setpoints that respect the hardware limits: the
 * whole step is scaled down (direction kept) or the correction stops; a value past
 * a limit is never handed to a write.
 */
import type { DeviceId, Family, Units } from '@mlayer/core';
import { CorrectorLimitError, type LimitViolation, TuningError } from './errors.js';

/**
 * What to do when a step would pass a corrector limit: scale the whole step down
 * ('scale'), stop ('stop'), or (orbit correction only) leave the correctors that would
 * pass their limits out and solve again ('exclude').
 */
export type LimitPolicy = 'scale' | 'stop' | 'exclude';

export interface StepRequest {
  readonly family: Family;
  /** Present setpoints of the selection, hardware units. */
  readonly current: Float64Array;
  /** Changes in `units`. */
  readonly deltas: Float64Array;
  readonly units: Units;
}

/** Setpoints planned for one family: only devices that change. */
export interface PlannedWrite {
  readonly family: string;
  readonly devices: readonly DeviceId[];
  readonly names: readonly string[];
  /** Hardware units. */
  readonly current: Float64Array;
  /** Hardware units. */
  readonly target: Float64Array;
  /** The hardware unit. */
  readonly unit: string;
}

export interface StepPlan {
  /** Fraction of the requested step that is applied (1: all of it). */
  readonly scale: number;
  readonly writes: readonly PlannedWrite[];
  /** Correctors that limited the step (empty when scale is 1). */
  readonly limitedBy: readonly LimitViolation[];
}

function targetsAt(r: StepRequest, s: number): Float64Array {
  if (r.units === 'hardware') return r.current.map((c, j) => c + s * r.deltas[j]);
  const phys = r.family.toPhysics(r.current);
  return r.family.toHardware(phys.map((p, j) => p + s * r.deltas[j]));
}

function violations(r: StepRequest, hw: Float64Array): LimitViolation[] {
  const lim = r.family.limits;
  const names = r.family.names;
  const out: LimitViolation[] = [];
  hw.forEach((h, j) => {
    const l = lim[j];
    if (r.deltas[j] !== 0 && (!Number.isFinite(h) || (l && (h < l[0] || h > l[1])))) out.push({ family: r.family.name, name: names[j], current: r.current[j], target: h, limits: l ?? [Number.NaN, Number.NaN] });
  });
  return out;
}

/** Plans the setpoints of a correction step under the limit policy (throws CorrectorLimitError when it must stop). */
export function planStep(requests: readonly StepRequest[], policy: LimitPolicy): StepPlan {
  for (const r of requests) {
    if (r.current.length !== r.family.size || r.deltas.length !== r.family.size) throw new TuningError(`${r.family.name}: ${r.deltas.length} changes for ${r.family.size} devices`);
    r.deltas.forEach((d, j) => {
      if (!Number.isFinite(d)) throw new TuningError(`${r.family.name} ${r.family.names[j]}: the computed change is ${d}; nothing was written`);
    });
  }
  const check = (s: number) => requests.flatMap((r) => violations(r, targetsAt(r, s)));
  const full = check(1);
  let scale = 1;
  if (full.length > 0) {
    if (policy !== 'scale') throw new CorrectorLimitError(full);
    const already = check(0);
    if (already.length > 0) throw new CorrectorLimitError(already, 'they are outside their limits already; nothing was written');
    let lo = 0;
    let hi = 1;
    for (let k = 0; k < 60; k++) {
      const mid = 0.5 * (lo + hi);
      if (check(mid).length === 0) lo = mid;
      else hi = mid;
    }
    scale = lo;
  }
  const writes: PlannedWrite[] = [];
  for (const r of requests) {
    const target = targetsAt(r, scale);
    const left = violations(r, target);
    if (left.length > 0) throw new CorrectorLimitError(left, 'internal check before writing; nothing was written');
    const changed = r.current.reduce<number[]>((acc, c, j) => (target[j] !== c ? [...acc, j] : acc), []);
    if (changed.length === 0) continue;
    const devices = r.family.deviceList;
    const names = r.family.names;
    writes.push({
      family: r.family.name,
      devices: changed.map((j) => devices[j]),
      names: changed.map((j) => names[j]),
      current: Float64Array.from(changed, (j) => r.current[j]),
      target: Float64Array.from(changed, (j) => target[j]),
      unit: r.family.units('setpoint').hardware,
    });
  }
  return { scale, writes, limitedBy: scale < 1 ? full : [] };
}
