/**
 * BBA one plane after the other, in rounds. When a quadrupole is modulated, the beam's offset
 * in it in the *other* plane kicks the beam there too, and the sextupoles' feed-down (the orbit
 * through them) couples that into the measured plane's induced orbit: a constant that the line
 * fit reads as a shift of the centre (on the demo twin, both planes at once with 0.5 mm scans:
 * up to 12.4 µm noise-free). Here each plane is measured (serial), then the beam is steered
 * through the centres just found (planCentring), so that the next plane is measured with the
 * first one centred; two rounds put both planes within 1 µm noise-free on the demo
 * (test/system/diamond-plane-rounds.test.ts). The centring steps are writes: on abort or failure
 * the correctors they moved are set back to where the rounds found them (each measurement
 * restores its own changes itself); on success the beam stays on the last centred orbit, which
 * the last offsets refer to.
 */
import type { Accelerator, Family } from '@mlayer/core';
import type { BbaResult } from './analyse.js';
import { analyseBba } from './analyse.js';
import { type CentringOptions, type CentringPlan, planCentring } from './centre.js';
import { type BbaPlan, type Plane, type PlanOptions, planBba } from './configure.js';
import { BbaError } from './errors.js';
import { type BbaData, type MeasureBbaOptions, measureBba } from './measure.js';

export interface RoundsOptions extends MeasureBbaOptions {
  /** Rounds over the planes (default 2). */
  readonly rounds?: number;
  /** The order of the planes in a round (default: the plan options' planes, else y then x). */
  readonly order?: readonly Plane[];
  readonly centring?: CentringOptions;
  /** Called before each plane's measurement (round from 1). */
  readonly beforePlane?: (round: number, plane: Plane, plan: BbaPlan) => void | Promise<void>;
}

export interface RoundsResult {
  /** The last round's measurement and offsets, both planes in one plan (as a serial measurement of both would give); its setReadSteps counts every round. */
  readonly data: BbaData;
  readonly result: BbaResult;
  /** Every measurement in order, with the centring applied after it. */
  readonly steps: readonly { readonly round: number; readonly plane: Plane; readonly result: BbaResult; readonly centring: CentringPlan }[];
}

export async function measureBbaRounds(acc: Accelerator, planOptions: PlanOptions, options: RoundsOptions = {}): Promise<RoundsResult> {
  const rounds = options.rounds ?? 2;
  if (!Number.isInteger(rounds) || rounds < 1) throw new BbaError(`rounds must be a positive integer (got ${options.rounds})`);
  const order = options.order ?? planOptions.planes ?? (['y', 'x'] as const);
  if (order.length === 0 || new Set(order).size !== order.length) throw new BbaError(`order must name each plane once (got ${order.join(', ') || 'none'})`);
  // Every plan first (nothing is written if one cannot be made), and the correctors the centrings may move.
  const plans = new Map(order.map((p) => [p, planBba(acc, { ...planOptions, planes: [p] })]));
  const moved = new Map<string, { family: Family; start: Float64Array }>();
  for (const plan of plans.values()) {
    for (const name of new Set(plan.pairs.map((p) => p.corrector.family))) {
      const family = acc.family(name).enabled();
      if (!moved.has(name)) moved.set(name, { family, start: await family.get({ field: 'setpoint' }) });
    }
  }
  const steps: { round: number; plane: Plane; result: BbaResult; centring: CentringPlan }[] = [];
  const last = new Map<Plane, { plan: BbaPlan; data: BbaData; result: BbaResult }>();
  let setReadSteps = 0;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const plane of order) {
        options.signal?.throwIfAborted();
        const plan = plans.get(plane)!;
        await options.beforePlane?.(round, plane, plan);
        const data = await measureBba(acc, plan, options);
        setReadSteps += data.setReadSteps;
        const result = analyseBba(data);
        const centring = await planCentring(acc, plan, result, options.centring);
        for (const c of centring.correctors) {
          options.signal?.throwIfAborted();
          const f = acc.family(c.family).enabled();
          const now = await f.get({ units: 'physics', field: 'setpoint' });
          await f.set(now.map((v, i) => v + c.change[i]), { units: 'physics' });
        }
        steps.push({ round, plane, result, centring });
        last.set(plane, { plan, data, result });
      }
    }
  } catch (e) {
    for (const { family, start } of moved.values()) await family.set(start);
    throw e;
  }
  const parts = order.map((p) => last.get(p)!);
  const first = parts[0].plan;
  const plan: BbaPlan = { ...first, pairs: parts.flatMap((p) => p.plan.pairs), unpaired: parts.flatMap((p) => p.plan.unpaired) };
  // setReadSteps: every round's (what the rounds cost), the raw data: the last round's.
  const data: BbaData = { plan, average: parts[0].data.average, pairs: parts.flatMap((p) => p.data.pairs), setReadSteps, records: parts.flatMap((p) => p.data.records) };
  return { data, result: { pairs: parts.flatMap((p) => p.result.pairs) }, steps };
}
