/**
 * Serial model-independent BBA (issue 21 item 2): per pair, the corrector across
 * n steps of ±correctorStep, at each step the orbit with the quadrupole at +Δk and
 * −Δk (bipolar), averaged, after settling. In core's Measurement: the driven
 * families are locked, every step recorded, and on abort or failure every
 * quadrupole and corrector touched is restored.
 */
import { type Accelerator, type Family, Measurement, type MeasurementContext, type MeasurementProgress, type MeasurementRecord, sleep } from '@mlayer/core';
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
  const driveNames = [...new Set(plan.pairs.flatMap((p) => [p.quad.family, p.corrector.family]))];
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
        const setQ = async (v: number) => {
          await m.set(q, [v], { units: 'physics' });
          await settle(m, q);
        };
        if (options.precycle) {
          for (const v of [q0 + p.quadStep, q0 - p.quadStep]) await setQ(v);
          await m.set(q, [qhw]);
          await settle(m, q);
          m.note(`${p.quad.name}: cycled ±${p.quadStep}`);
        }
        const data: PairData = { pair: p, bpmNames: bpmFam.names, bpmIndex, corrector: [], plus: [], minus: [], plusErr: [], minusErr: [] };
        for (const t of points) {
          const cv = c0 + t * p.correctorStep;
          await m.set(c, [cv], { units: 'physics' });
          await settle(m, c);
          await setQ(q0 + p.quadStep);
          const a = await read();
          await setQ(q0 - p.quadStep);
          const b = await read();
          data.corrector.push(cv);
          data.plus.push(a.v);
          data.plusErr.push(a.e);
          data.minus.push(b.v);
          data.minusErr.push(b.e);
          m.progress(++step, `${p.plane} ${p.bpm.name} / ${p.quad.name}: corrector ${p.corrector.name} step ${data.corrector.length} of ${points.length}`);
        }
        // Back to the starting hardware values exactly (not through the conversion).
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
