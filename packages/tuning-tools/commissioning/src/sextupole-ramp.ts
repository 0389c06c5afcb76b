/**
 * The sextupole ramp of a commissioning sequence: the sextupole families go from a fraction
 * (`from`, default 0: off) of their target setpoints to the targets in `steps` equal steps,
 * with a closed-orbit correction after each (model ORM; to the golden orbit, else the BBA
 * offsets, else zero readings), as a ring is commissioned with its sextupoles off and then
 * ramped while the beam is stored. The targets are the setpoints when the seed first ramps
 * (the machine's saved settings), kept in the seed's state so that a retry or a resumed seed
 * ramps to the same values. Hardware units, linearly; every set within the families' limits.
 */
import { type Accelerator, isFamilyOfClass } from '@mlayer/core';
import { correctOrbit, modelOrm } from '@mlayer/orbit';
import { CommissioningError } from './errors.js';
import type { StageParameters } from './stage-kinds.js';

type PlaneValues = { x?: Record<string, number>; y?: Record<string, number> };
/** What the ramp reads and keeps of the seed's state (stages.ts SeedState). */
export interface RampState {
  sextupoleTargets?: Record<string, number[]>;
  golden?: PlaneValues;
  bbaOffsets?: PlaneValues;
}

/** Sextupole families with a setpoint (the sequence's, else every family of class Sextupole). */
function sextupoleFamilies(acc: Accelerator, given?: readonly string[]): readonly string[] {
  const names = given ?? acc.familyNames().filter((n) => isFamilyOfClass(acc.family(n), 'sextupole') && acc.family(n).fields.includes('setpoint'));
  if (names.length === 0) throw new CommissioningError(`${acc.name}: no sextupole family with a setpoint to ramp`);
  return names;
}

export async function rampSextupoles(acc: Accelerator, state: RampState, p: StageParameters<'sextupole-ramp'>, signal?: AbortSignal): Promise<Record<string, number>> {
  const families = sextupoleFamilies(acc, p.families);
  const start = new Map<string, Float64Array>();
  for (const n of families) start.set(n, await acc.family(n).get({ field: 'setpoint', signal }));
  const targets: Record<string, number[]> = { ...state.sextupoleTargets };
  for (const n of families) targets[n] ??= Array.from(start.get(n)!);
  state.sextupoleTargets = targets;
  const known = state.golden ?? state.bbaOffsets;
  try {
    return await ramp(acc, families, targets, known, p, signal);
  } catch (e) {
    // A failed or aborted ramp puts the sextupoles back where this attempt found them (the orbit correctors stay).
    for (const n of families) await acc.family(n).set(start.get(n)!);
    throw e;
  }
}

async function ramp(acc: Accelerator, families: readonly string[], targets: Record<string, number[]>, known: PlaneValues | undefined, p: StageParameters<'sextupole-ramp'>, signal?: AbortSignal): Promise<Record<string, number>> {
  let rms = { x: Number.NaN, y: Number.NaN };
  for (let i = 0; i <= p.steps; i++) {
    if (i === 0 && p.from === 1) continue;
    signal?.throwIfAborted();
    const f = p.from + ((1 - p.from) * i) / p.steps;
    for (const n of families) await acc.family(n).set(targets[n].map((v) => f * v), { signal });
    if (i === 0) continue;
    const orm = await modelOrm(acc, {});
    const offsets = known ? { x: orm.bpms.x?.names.map((b) => known.x?.[b] ?? 0), y: orm.bpms.y?.names.map((b) => known.y?.[b] ?? 0) } : undefined;
    const r = await correctOrbit(acc, { orm, offsets, method: { type: 'svd', threshold: p.svThreshold }, iterations: p.iterations, average: p.average, signal });
    rms = { x: r.rmsFinal.x ?? Number.NaN, y: r.rmsFinal.y ?? Number.NaN };
  }
  return { steps: p.steps, orbit_rms_x: rms.x, orbit_rms_y: rms.y };
}
