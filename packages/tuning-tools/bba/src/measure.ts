/**
 * Serial model-independent BBA (issue 21 item 2): per pair, the corrector across
 * n steps of ±correctorStep, at each step the orbit with the quadrupole at +Δk and
 * −Δk (bipolar), averaged, after settling. In core's Measurement: the driven
 * families are locked, every step recorded, and on abort or failure every
 * quadrupole and corrector touched is restored.
 */
import { type Accelerator, type Family, Measurement, type ParameterRef, type MeasurementContext, type MeasurementProgress, type MeasurementRecord, sleep } from '@mlayer/core';
import { modelFamilyResponse, solveTwoRows } from '@mlayer/tuning-common';
import type { BbaPair, BbaPlan } from './configure.js';
import { BbaError } from './errors.js';

export interface MeasureBbaOptions {
  /** Readings averaged per orbit (default 1). */
  readonly average?: number;
  /** Time between readings, ms (default 0). */
  readonly interval?: number;
  /** Extra wait after each change once the readbacks settled, ms (default 0). */
  readonly settle?: number;
  /** Cycle the quadrupole (+Δk, −Δk, back) once before its first step (hysteresis). */
  readonly precycle?: boolean;
  /**
   * Keep the tunes constant during the modulation (as ESRF's model-dependent BBA): these quadrupole families (two or
   * more) move with each quadrupole, at +Δk by the model's least-norm first-order cancellation of its tune shift, at
   * −Δk by minus that; they are restored after each pair. Serial measurement only.
   */
  readonly keepTunes?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: MeasurementProgress) => void;
}

/** The raw data of one pair: every orbit read. */
export interface PairData {
  readonly pair: BbaPair;
  /** Names of the BPMs read (the BPM family of the pair's plane), physics units (m). */
  readonly bpmNames: readonly string[];
  /** Index of the paired BPM among bpmNames. */
  readonly bpmIndex: number;
  /** Corrector setpoint (physics) at each step. */
  readonly corrector: number[];
  /** Orbit with the quadrupole at +Δk and at −Δk, per step. */
  readonly plus: number[][];
  readonly minus: number[][];
  /** Standard error of each reading's mean (per step, per BPM), from the spread of the averaged readings (NaN with one). */
  readonly plusErr: number[][];
  readonly minusErr: number[][];
  /** With keepTunes: each family's change (physics, every device) at +Δk that cancels the quadrupole's tune shift. */
  readonly tuneCompensation?: readonly { family: string; step: number }[];
  /**
   * With keepTunes: the orbit with the families alone at +compensation and −compensation (the quadrupole at its own
   * share), at the first and the last corrector step (`at`: step indices). The families' magnets kick the beam too, where
   * it passes off their centres; the analyses take their induced orbit, interpolated between the two, off each step's.
   */
  readonly compensationOrbits?: { readonly at: readonly number[]; readonly plus: number[][]; readonly minus: number[][] };
}

export interface BbaData {
  readonly plan: BbaPlan;
  readonly average: number;
  readonly pairs: PairData[];
  /** Set-and-read steps: every set followed by a read counts once. */
  readonly setReadSteps: number;
  readonly records: readonly MeasurementRecord[];
}

/** Steps of the corrector: n values evenly across [−1, 1]. */
export function scanPoints(n: number): number[] {
  return Array.from({ length: n }, (_v, i) => -1 + (2 * i) / (n - 1));
}

/** Checks before anything moves that every value the measurement will set is within the hardware limits. */
export function checkLimits(f: Family, v0: number, half: number, what: string): void {
  const lim = f.limits[0];
  if (!lim) return;
  for (const v of [v0 - half, v0 + half]) {
    const hw = f.toHardware([v])[0];
    if (hw < lim[0] || hw > lim[1]) throw new BbaError(`${f.name} ${f.names[0]}: the ${what} to ${hw} (hardware) would pass the limits [${lim[0]}, ${lim[1]}]; choose a smaller step (nothing was changed)`);
  }
}

/** The options shared by the serial and parallel measurements, checked: readings per orbit, and the wait after a change (the family's readbacks, then the extra time). */
export function readingOptions(options: MeasureBbaOptions): { average: number; settle: (m: MeasurementContext, f: Family) => Promise<void> } {
  const average = options.average ?? 1;
  if (!Number.isInteger(average) || average < 1) throw new BbaError(`average must be a positive integer (got ${options.average})`);
  const extra = options.settle ?? 0;
  if (!(extra >= 0)) throw new BbaError(`settle must be a number of ms >= 0 (got ${options.settle})`);
  const settle = async (m: MeasurementContext, f: Family) => {
    await m.settle(f);
    if (extra > 0) await sleep(extra, m.signal);
  };
  return { average, settle };
}

/** Measures every pair of the plan, one at a time. */
export async function measureBba(acc: Accelerator, plan: BbaPlan, options: MeasureBbaOptions = {}): Promise<BbaData> {
  const { average: n, settle } = readingOptions(options);
  if (plan.pairs.length === 0) throw new BbaError(`${plan.facility}: the plan has no BPM-quadrupole pair to measure`);
  const sel = (r: { family: string; device: readonly [number, number] }) => acc.family(r.family).devices([r.device]);
  const driveNames = [...new Set([...plan.pairs.flatMap((p) => [p.quad.family, p.corrector.family]), ...(options.keepTunes ?? [])])];
  const bpmFams = [...new Set(plan.pairs.map((p) => p.bpm.family))].map((f) => acc.family(f).enabled());
  const points = scanPoints(plan.steps);
  const total = plan.pairs.length * plan.steps;
  // Starting values, and the limit check of every step, before anything moves.
  const start = plan.pairs.map((p) => {
    const q = sel(p.quad);
    const c = sel(p.corrector);
    return { q, c };
  });
  const startValues = await Promise.all(
    start.map(async ({ q, c }) => {
      const qhw = (await q.get({ units: 'hardware', field: 'setpoint' }))[0];
      const chw = (await c.get({ units: 'hardware', field: 'setpoint' }))[0];
      return { qhw, chw, q0: q.toPhysics([qhw])[0], c0: c.toPhysics([chw])[0] };
    }),
  );
  plan.pairs.forEach((p, i) => {
    checkLimits(start[i].q, startValues[i].q0, p.quadStep, 'quadrupole step');
    checkLimits(start[i].c, startValues[i].c0, p.correctorStep, 'corrector step');
  });
  const comp = options.keepTunes ? await tuneCompensation(acc, plan, options.keepTunes) : undefined;
  const measurement = new Measurement(acc, {
    name: 'bba',
    drives: driveNames.map((f) => acc.family(f)),
    observes: bpmFams,
    signal: options.signal,
    total,
  });
  const sub = options.onProgress ? measurement.progress$.subscribe({ next: options.onProgress, error: () => undefined }) : undefined;
  let setReadSteps = 0;
  try {
    const pairs = await measurement.run(async (m) => {
      const out: PairData[] = [];
      let step = 0;
      for (const [i, p] of plan.pairs.entries()) {
        const { q, c } = start[i];
        const { q0, c0, qhw, chw } = startValues[i];
        const bpmFam = bpmFams.find((f) => f.name === p.bpm.family)!;
        const bpmIndex = bpmFam.names.indexOf(p.bpm.name);
        if (bpmIndex < 0) throw new BbaError(`${p.bpm.family} ${p.bpm.name}: the paired BPM is not enabled`);
        const read = async () => {
          const r = await m.average(bpmFam, n, { interval: options.interval ?? 0, units: 'physics' });
          setReadSteps++;
          return { v: Array.from(r.mean), e: Array.from(r.std, (s, k) => s / Math.sqrt(r.count[k])) };
        };
        const own = comp?.pairs[i];
        const setQ = async (v: number, sign = 0) => {
          // The compensating families first (their share of the pair's own quadrupole included), then the quadrupole.
          for (const [j, f] of (comp?.families ?? []).entries()) {
            await m.set(f.family, f.start.map((x) => x + sign * own!.steps[j]), { units: 'physics' });
            await settle(m, f.family);
          }
          await m.set(q, [v + sign * (own?.ownShare ?? 0)], { units: 'physics' });
          await settle(m, q);
        };
        if (options.precycle) {
          for (const v of [q0 + p.quadStep, q0 - p.quadStep]) await setQ(v);
          await m.set(q, [qhw]);
          await settle(m, q);
          m.note(`${p.quad.name}: cycled ±${p.quadStep}`);
        }
        const compOrbits = comp ? { at: [0, points.length - 1], plus: [] as number[][], minus: [] as number[][] } : undefined;
        const data: PairData = { pair: p, bpmNames: bpmFam.names, bpmIndex, corrector: [], plus: [], minus: [], plusErr: [], minusErr: [], ...(comp ? { tuneCompensation: comp.families.map((f, j) => ({ family: f.family.name, step: own!.steps[j] })) } : {}), ...(compOrbits ? { compensationOrbits: compOrbits } : {}) };
        for (const [k, t] of points.entries()) {
          const cv = c0 + t * p.correctorStep;
          await m.set(c, [cv], { units: 'physics' });
          await settle(m, c);
          if (compOrbits?.at.includes(k)) {
            // The families' own induced orbit (the quadrupole at its share of them only).
            await setQ(q0, 1);
            compOrbits.plus.push((await read()).v);
            await setQ(q0, -1);
            compOrbits.minus.push((await read()).v);
          }
          await setQ(q0 + p.quadStep, 1);
          const a = await read();
          await setQ(q0 - p.quadStep, -1);
          const b = await read();
          data.corrector.push(cv);
          data.plus.push(a.v);
          data.plusErr.push(a.e);
          data.minus.push(b.v);
          data.minusErr.push(b.e);
          m.progress(++step, `${p.plane} ${p.bpm.name} / ${p.quad.name}: corrector ${p.corrector.name} step ${data.corrector.length} of ${points.length}`);
        }
        // Back to the starting hardware values exactly (not through the conversion).
        for (const f of comp?.families ?? []) {
          await m.set(f.family, f.startHw);
          await settle(m, f.family);
        }
        await m.set(q, [qhw]);
        await settle(m, q);
        await m.set(c, [chw]);
        await settle(m, c);
        out.push(data);
      }
      return out;
    });
    return { plan, average: n, pairs, setReadSteps, records: measurement.records };
  } finally {
    sub?.unsubscribe();
  }
}

/**
 * The keepTunes compensation of each pair: the families' changes (physics, every device) at +Δk that cancel the first-order
 * tune shift of the quadrupole's +Δk (model tune response, least norm), checked against the families' limits, and the part
 * of them that falls on the pair's own quadrupole when it belongs to one of the families (its setpoint carries it too).
 */
async function tuneCompensation(acc: Accelerator, plan: BbaPlan, names: readonly string[]): Promise<{ families: { family: Family; start: Float64Array; startHw: Float64Array }[]; pairs: { steps: Float64Array; ownShare: number }[] }> {
  const model = acc.model;
  if (!model) throw new BbaError(`${acc.name}: no lattice model; keepTunes cancels the tune shifts with the model's tune response`);
  if (names.length < 2 || new Set(names).size !== names.length) throw new BbaError(`keepTunes: two or more distinct quadrupole families are required (got ${names.join(', ') || 'none'})`);
  const fams = names.map((n) => acc.family(n).enabled());
  const tuneResponse = (groups: readonly (readonly ParameterRef[])[]) => model.tuneResponse(groups);
  const J = modelFamilyResponse(model, fams, tuneResponse);
  const families = await Promise.all(
    fams.map(async (family) => {
      const startHw = await family.get({ field: 'setpoint' });
      return { family, startHw, start: family.toPhysics(startHw) };
    }),
  );
  const pairs = plan.pairs.map((p) => {
    const quad = acc.family(p.quad.family).devices([p.quad.device]);
    const [dqx, dqy] = modelFamilyResponse(model, [quad], tuneResponse).map((r) => r[0] * p.quadStep);
    const steps = solveTwoRows(J, [-dqx, -dqy]).x;
    families.forEach((f, j) => {
      f.family.limits.forEach((lim, d) => {
        for (const sgn of [1, -1]) {
          const v = f.family.toHardware(Float64Array.from(f.start, (x) => x + sgn * steps[j]))[d];
          if (lim && (v < lim[0] || v > lim[1])) throw new BbaError(`keepTunes: ${f.family.name} ${f.family.names[d]} would be set to ${v} (hardware) to keep the tunes for ${p.quad.name}, past the limits [${lim[0]}, ${lim[1]}] (nothing was changed)`);
        }
      });
    });
    const j = families.findIndex((f) => f.family.name === p.quad.family && f.family.names.includes(p.quad.name));
    return { steps, ownShare: j >= 0 ? steps[j] : 0 };
  });
  return { families, pairs };
}
