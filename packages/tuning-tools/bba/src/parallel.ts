/**
 * Parallel BBA (issue 21 item 5, after X. Huang's simultaneous BBA): k pairs of one
 * plane measured at once. The scheduler groups pairs whose quadrupole kicks are
 * separable: their model orbit responses at the BPMs (√(β_j β_q) cos(|μ_j − μ_q| − πQ)
 * / (2 sin πQ), from the LatticeModel port's optics) have a well-conditioned matrix,
 * their quadrupoles' changes together shift the tunes by at most maxTuneShift,
 * and no two pairs share a quadrupole (pairs that share a corrector scan it together). The plan exists before anything
 * is written (`--dry-run` prints it). Each group's correctors step together (each
 * pair through its own order of the points, so that the pairs' offsets do not move
 * in lockstep) and its quadrupoles go +Δk and −Δk together; the induced orbit is
 * split into one kick per quadrupole by least squares on the model responses, and
 * each kick is fitted against its BPM's reading as in the serial analysis.
 */
import { type Accelerator, type LatticeModel, Measurement } from '@mlayer/core';
import { lstsq, svd } from '@mlayer/tuning-common';
import { fitLine, type PairResult, zeroCrossing } from './analyse.js';
import type { BbaPair, BbaPlan, DeviceRef, Plane } from './configure.js';
import { BbaError } from './errors.js';
import { type MeasureBbaOptions, checkLimits, readingOptions, scanPoints } from './measure.js';

export interface ParallelGroup {
  readonly plane: Plane;
  /** Indices into the plan's pairs. */
  readonly pairs: readonly number[];
  /** Model kick responses at the plane's BPMs (rows: BPMs of the plan's BPM family, columns: the group's quadrupoles; m/rad). */
  readonly response: readonly Float64Array[];
  /** Smallest over largest singular value of the normalised response. */
  readonly separation: number;
  /** Sign of each pair's quadrupole change at "+Δk" (chosen so that the group's tune shifts cancel). */
  readonly signs: readonly number[];
  /** First-order tune shift (x, y) of the group at +Δk. */
  readonly tuneShift: readonly [number, number];
}

export interface ParallelPlan {
  readonly plan: BbaPlan;
  readonly groups: readonly ParallelGroup[];
  /** BPM names per plane, in the order of the response rows. */
  readonly bpms: Readonly<Partial<Record<Plane, readonly string[]>>>;
  /** Set-and-read steps: parallel and as the serial measurement would take. */
  readonly steps: number;
  readonly serialSteps: number;
  /** Largest orbit change expected at any BPM from the correctors of one group at their extreme step (m), and the largest quadrupole change (physics). */
  readonly largestOrbitChange: number;
  readonly largestQuadChange: number;
}

export interface ParallelOptions {
  /** Pairs per group (default 8). */
  readonly k?: number;
  /** Smallest acceptable separation (default 0.2). */
  readonly minSeparation?: number;
  /** Largest tune shift (either plane) of a group's quadrupoles at +Δk together, first order (default 0.02; a single pair is never refused). */
  readonly maxTuneShift?: number;
  readonly model?: LatticeModel;
}

/** Model response of the orbit at each BPM to a unit kick at each quadrupole, per plane. */
function kickResponse(model: LatticeModel, bpmEls: readonly number[], quadEls: readonly number[], plane: Plane): Float64Array[] {
  // The model's own response to a kick at each quadrupole (thick elements as the model treats a corrector), else the thin-lens formula.
  try {
    const r = model.orbitResponse(bpmEls, quadEls);
    const blk = plane === 'x' ? r.Rxx : r.Ryy;
    const row = new Map(r.bpms.map((e, i) => [e, i]));
    const col = new Map(r.correctors.map((e, i) => [e, i]));
    return bpmEls.map((b) => Float64Array.from(quadEls, (q) => blk[row.get(b)!][col.get(q)!]));
  } catch {
    // fall through
  }
  const p = plane === 'x' ? 0 : 1;
  const t = model.tunes();
  const Q = plane === 'x' ? t.qx : t.qy;
  const ob = model.optics(bpmEls as number[]);
  // The quadrupole's kick acts over its length: the optics at its entrance and exit averaged.
  const oq = model.optics([...new Set(quadEls.flatMap((q) => [q, q + 1]))].sort((a, b) => a - b));
  const bpos = new Map(ob.map((o) => [o.index, o]));
  const at = new Map(oq.map((o) => [o.index, o]));
  const qpos = new Map(quadEls.map((q) => {
    const a = at.get(q)!;
    const b = at.get(q + 1)!;
    return [q, { beta: [(a.beta[0] + b.beta[0]) / 2, (a.beta[1] + b.beta[1]) / 2], mu: [(a.mu[0] + b.mu[0]) / 2, (a.mu[1] + b.mu[1]) / 2] }];
  }));
  const twoPiQ = 2 * Math.PI * Q;
  return bpmEls.map((b) => {
    const B = bpos.get(b)!;
    return Float64Array.from(quadEls, (q) => {
      const K = qpos.get(q)!;
      const dmu = Math.abs(B.mu[p] - K.mu[p]);
      return (Math.sqrt(B.beta[p] * K.beta[p]) * Math.cos(dmu - twoPiQ / 2)) / (2 * Math.sin(twoPiQ / 2));
    });
  });
}

function separationOf(columns: readonly Float64Array[], rows: number): number {
  const m = Array.from({ length: rows }, (_v, i) => Float64Array.from(columns, (c) => c[i]));
  const norms = columns.map((c) => Math.hypot(...c));
  for (const row of m) row.forEach((v, j) => (row[j] = v / norms[j]));
  const s = svd(m).s;
  return s[s.length - 1] / s[0];
}

/** Groups the plan's pairs for parallel measurement; nothing is written. */
export function planParallel(acc: Accelerator, plan: BbaPlan, options: ParallelOptions = {}): ParallelPlan {
  const model = options.model ?? acc.model;
  if (!model) throw new BbaError(`${acc.name}: no lattice model; the parallel plan separates the quadrupoles' kicks with the model`);
  const k = options.k ?? 8;
  if (!Number.isInteger(k) || k < 1) throw new BbaError(`k must be a positive integer (got ${options.k})`);
  const minSep = options.minSeparation ?? 0.2;
  const maxDq = options.maxTuneShift ?? 0.02;
  // First-order tune shift of each pair's +Δk, both planes: β ΔK L / 4π (ΔK in the model's units).
  const quadOptics = model.optics(plan.pairs.map((p) => p.quad.element));
  const opticsOf = new Map(quadOptics.map((o) => [o.index, o]));
  const dq = plan.pairs.map((p) => {
    const o = opticsOf.get(p.quad.element)!;
    const dk = p.quadStep * acc.family(p.quad.family).devices([p.quad.device]).modelParameters(model)[0].scale;
    const L = model.element(p.quad.element).length || 1;
    return [(o.beta[0] * dk * L) / (4 * Math.PI), (-o.beta[1] * dk * L) / (4 * Math.PI)];
  });
  const shiftOf = (ids: readonly number[], signs: readonly number[]): [number, number] => [0, 1].map((pl) => ids.reduce((s, i, j) => s + signs[j] * dq[i][pl], 0)) as [number, number];
  const worst = (v: readonly number[]) => Math.max(...v.map(Math.abs));
  const groups: ParallelGroup[] = [];
  const bpms: Partial<Record<Plane, readonly string[]>> = {};
  let largestOrbitChange = 0;
  for (const plane of ['x', 'y'] as const) {
    const idx = plan.pairs.flatMap((p, i) => (p.plane === plane ? [i] : []));
    if (idx.length === 0) continue;
    const bpmFam = acc.family(plan.pairs[idx[0]].bpm.family).enabled();
    bpms[plane] = bpmFam.names;
    const bpmEls = bpmFam.latticeElements(model);
    const cols = kickResponse(model, bpmEls, idx.map((i) => plan.pairs[i].quad.element), plane);
    const column = (n: number) => Float64Array.from(cols, (row) => row[n]);
    const left = idx.map((_i, n) => n);
    while (left.length > 0) {
      const chosen: number[] = [left.shift()!];
      const signs: number[] = [1];
      for (let n = 0; n < left.length && chosen.length < k; ) {
        const cand = left[n];
        const pc = plan.pairs[idx[cand]];
        const clash = chosen.some((c) => plan.pairs[idx[c]].quad.name === pc.quad.name);
        const ids = [...chosen, cand].map((c) => idx[c]);
        const sign = worst(shiftOf(ids, [...signs, 1])) <= worst(shiftOf(ids, [...signs, -1])) ? 1 : -1;
        if (!clash && worst(shiftOf(ids, [...signs, sign])) <= maxDq && separationOf([...chosen, cand].map(column), bpmEls.length) >= minSep) {
          chosen.push(cand);
          signs.push(sign);
          left.splice(n, 1);
        } else n++;
      }
      const response = cols.map((row) => Float64Array.from(chosen, (c) => row[c]));
      const ids = chosen.map((c) => idx[c]);
      groups.push({ plane, pairs: ids, response, separation: chosen.length > 1 ? separationOf(chosen.map(column), bpmEls.length) : 1, signs, tuneShift: shiftOf(ids, signs) });
    }
    // The orbit moved by a group's correctors at their extreme step: each moves its BPM by the amplitude; their sum bounds the rest.
    const corFam = acc.family(plan.pairs[idx[0]].corrector.family);
    const corEls = corFam.latticeElements(model);
    const orm = model.orbitResponse(bpmEls, corEls);
    const block = plane === 'x' ? orm.Rxx : orm.Ryy;
    const colOf = new Map(orm.correctors.map((e, i) => [e, i]));
    const scale = new Map(corFam.modelParameters(model).map((s, i) => [corEls[i], s.scale]));
    for (const g of groups.filter((gr) => gr.plane === plane)) {
      for (const row of block) {
        let sum = 0;
        for (const i of [...new Map(g.pairs.map((gi) => [plan.pairs[gi].corrector.name, gi])).values()]) {
          const p = plan.pairs[i];
          sum += Math.abs(row[colOf.get(p.corrector.element)!] * (scale.get(p.corrector.element) ?? 1) * p.correctorStep);
        }
        largestOrbitChange = Math.max(largestOrbitChange, sum);
      }
    }
  }
  const stepsPer = plan.steps * 2;
  return {
    plan,
    groups,
    bpms,
    steps: groups.length * stepsPer,
    serialSteps: plan.pairs.length * stepsPer,
    largestOrbitChange,
    largestQuadChange: Math.max(...plan.pairs.map((p) => Math.abs(p.quadStep))),
  };
}

export interface ParallelData {
  readonly parallel: ParallelPlan;
  /** Per group, per step: each pair's BPM reading (mean of ±Δk) and the induced orbit D = orbit(+Δk) − orbit(−Δk). */
  readonly groups: { x: number[][]; D: number[][] }[];
  readonly setReadSteps: number;
}

/** The order in which pair m of a group goes through the scan points (a rotation by m). */
const order = (n: number, m: number, i: number): number => (i + m) % n;

/** Measures the groups one after the other; abort or failure restores every setpoint touched. */
export async function measureBbaParallel(acc: Accelerator, pp: ParallelPlan, options: MeasureBbaOptions = {}): Promise<ParallelData> {
  const { average: n, settle } = readingOptions(options);
  const plan = pp.plan;
  const sel = (r: { family: string; device: readonly [number, number] }) => acc.family(r.family).devices([r.device]);
  const points = scanPoints(plan.steps);
  // One scan per corrector: pairs sharing one follow the first pair's order and step.
  const scanned = (pairs: readonly BbaPair[]) => [...new Map(pairs.map((p, j) => [p.corrector.name, j])).values()];
  // Every value the groups will set within the hardware limits, before anything moves.
  const within = async (r: DeviceRef, half: number, what: string) => {
    const f = sel(r);
    checkLimits(f, f.toPhysics(await f.get({ field: 'setpoint' }))[0], half, what);
  };
  for (const g of pp.groups) {
    const pairs = g.pairs.map((i) => plan.pairs[i]);
    for (const p of pairs) await within(p.quad, p.quadStep, 'quadrupole step');
    for (const j of scanned(pairs)) await within(pairs[j].corrector, pairs[j].correctorStep, 'corrector step');
  }
  const measurement = new Measurement(acc, {
    name: 'bba-parallel',
    drives: [...new Set(plan.pairs.flatMap((p) => [p.quad.family, p.corrector.family]))].map((f) => acc.family(f)),
    signal: options.signal,
    total: pp.groups.length * plan.steps,
  });
  const sub = options.onProgress ? measurement.progress$.subscribe({ next: options.onProgress, error: () => undefined }) : undefined;
  let setReadSteps = 0;
  try {
    const groups = await measurement.run(async (m) => {
      const out: ParallelData['groups'] = [];
      let step = 0;
      for (const g of pp.groups) {
        const pairs = g.pairs.map((i) => plan.pairs[i]);
        const q = pairs.map((p) => sel(p.quad));
        const corPairs = scanned(pairs);
        const c = corPairs.map((j) => sel(pairs[j].corrector));
        const qhw = await Promise.all(q.map(async (f) => (await f.get({ field: 'setpoint' }))[0]));
        const chw = await Promise.all(c.map(async (f) => (await f.get({ field: 'setpoint' }))[0]));
        const q0 = q.map((f, j) => f.toPhysics([qhw[j]])[0]);
        const c0 = c.map((f, j) => f.toPhysics([chw[j]])[0]);
        const bpmFam = acc.family(pairs[0].bpm.family).enabled();
        const bi = pairs.map((p) => bpmFam.names.indexOf(p.bpm.name));
        const setQuads = async (sign: number) => {
          for (const [j, f] of q.entries()) await m.set(f, [q0[j] + sign * g.signs[j] * pairs[j].quadStep], { units: 'physics' });
          for (const f of q) await settle(m, f);
        };
        const read = async () => {
          const r = await m.average(bpmFam, n, { interval: options.interval ?? 0, units: 'physics' });
          setReadSteps++;
          return Array.from(r.mean);
        };
        const data = { x: [] as number[][], D: [] as number[][] };
        for (let i = 0; i < points.length; i++) {
          for (const [j, f] of c.entries()) await m.set(f, [c0[j] + points[order(points.length, j, i)] * pairs[corPairs[j]].correctorStep], { units: 'physics' });
          for (const f of c) await settle(m, f);
          await setQuads(1);
          const a = await read();
          await setQuads(-1);
          const b = await read();
          data.x.push(bi.map((k) => (a[k] + b[k]) / 2));
          data.D.push(a.map((v, k) => v - b[k]));
          m.progress(++step, `${g.plane} group of ${pairs.length}: step ${i + 1} of ${points.length}`);
        }
        for (const [j, f] of q.entries()) await m.set(f, [qhw[j]]);
        for (const [j, f] of c.entries()) await m.set(f, [chw[j]]);
        for (const f of [...q, ...c]) await settle(m, f);
        out.push(data);
      }
      return out;
    });
    return { parallel: pp, groups, setReadSteps };
  } finally {
    sub?.unsubscribe();
  }
}

/** Splits each step's induced orbit into one kick per quadrupole (model responses) and fits each kick against its BPM. */
export function analyseBbaParallel(d: ParallelData): { pairs: PairResult[] } {
  const plan = d.parallel.plan;
  const results: PairResult[] = new Array(plan.pairs.length);
  d.parallel.groups.forEach((g, gi) => {
    const data = d.groups[gi];
    const kicks = data.D.map((D) => lstsq(g.response as Float64Array[], D));
    g.pairs.forEach((pi, j) => {
      const p: BbaPair = plan.pairs[pi];
      const x = data.x.map((row) => row[j]);
      const y = kicks.map((kv) => kv[j]);
      const fit = fitLine(x, y);
      const z = zeroCrossing(fit);
      results[pi] = { plane: p.plane, bpmFamily: p.bpm.family, bpm: p.bpm.name, quad: p.quad.name, corrector: p.corrector.name, offset: z.centre, sigma: z.sigma, used: data.D[0].length, bpms: [], x, y, fit };
    });
  });
  return { pairs: results };
}
