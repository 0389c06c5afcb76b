/**
 * Parallel BBA (issue 21 item 5, after X. Huang's simultaneous BBA): k pairs of one
 * plane measured at once. The scheduler deals the plane's pairs, in order along the
 * ring, to ⌈n/k⌉ groups in turn, so that a group's quadrupoles are about 1/k of the
 * ring apart and their kick responses at the BPMs (model, through the LatticeModel
 * port) nearly orthogonal; a group keeps a separation (smallest over largest singular
 * value) of at least minSeparation, no shared quadrupole, and its quadrupole changes,
 * signed and scaled, leave the tunes constant (first order). The plan exists before
 * anything is written (`--dry-run` prints it). Each pair's scan is a closed bump of the
 * whole corrector family (least squares on the model ORM: the beam moved in the
 * pair's quadrupole, the other BPMs left near zero), each pair through its own order
 * of the points; the group's quadrupoles go +Δk and −Δk together; the induced orbit
 * is split into one kick per quadrupole by least squares on the model responses over
 * all BPMs, and each kick's zero crossing is found against the model orbit the bumps
 * put in its quadrupole (see analyseBbaParallel).
 */
import { type Accelerator, type LatticeModel, Measurement, type MeasurementContext } from '@mlayer/core';
import { lstsq, pseudoInverse, svd } from '@mlayer/tuning-common';
import { fitLine, type PairResult, zeroCrossing } from './analyse.js';
import type { BbaPair, BbaPlan, DeviceRef, Plane } from './configure.js';
import { correctorOrbit } from './corrector-orbit.js';
import { BbaError } from './errors.js';
import { type MeasureBbaOptions, checkLimits, readingOptions, scanPoints } from './measure.js';
import { planCentring } from './centre.js';

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
  /** First-order tune shift (x, y) of the group at +Δk (the quadrupole changes scaled by quadScale): kept near zero, the tunes constant during the modulation. */
  readonly tuneShift: readonly [number, number];
  /**
   * Per pair, the factor (minScale … 1) on the plan's quadrupole change: the smallest adjustment that cancels the
   * group's first-order tune shift in both planes (with 8 quadrupoles the signs alone leave up to 0.015 on the demo,
   * which spoils the kick split), so that the tunes stay constant during the modulation.
   */
  readonly quadScale: readonly number[];
  /** Per pair: how much the least-squares split amplifies the BPM noise in its kick against that quadrupole modulated alone (1: orthogonal). */
  readonly amplification: readonly number[];
  /** Corrector family (enabled devices) the group's scan moves. */
  readonly correctorFamily: string;
  /**
   * Per pair: the corrector change (physics, one value per enabled device of correctorFamily) of its scan's
   * step +1: a bump that moves the beam in the pair's quadrupole by the plan's amplitude and leaves the other
   * BPMs of the plane near zero (least squares on the model ORM), so that the group's bumps add without
   * moving the beam far through the rest of the ring's sextupoles.
   */
  readonly patterns: readonly Float64Array[];
  /** Per pair, per pattern: the model orbit in the pair's quadrupole (mean of entrance and exit) and at its BPM per unit of the pattern. */
  readonly quadOrbit: readonly Float64Array[];
  readonly bpmOrbit: readonly Float64Array[];
  /** Per pair: the BPM's orbit change over the quadrupole's for the pair's own corrector (the orbit shape the serial measurement and the offset refer to). */
  readonly ownRatio: readonly number[];
}

export interface ParallelPlan {
  readonly plan: BbaPlan;
  readonly groups: readonly ParallelGroup[];
  /** BPM names per plane, in the order of the response rows. */
  readonly bpms: Readonly<Partial<Record<Plane, readonly string[]>>>;
  /** Passes (1, or 2: coarse, centring, fine) and the corrector steps of each. */
  readonly passes: 1 | 2;
  readonly passSteps: readonly number[];
  /** The centring between the passes (planCentring's singular-value cut and readings averaged, the model). */
  readonly centring: { readonly rcond: number; readonly average: number; readonly model?: LatticeModel };
  /** Set-and-read steps: parallel (the centring between the passes counts one per corrector family) and as the serial measurement would take. */
  readonly steps: number;
  readonly serialSteps: number;
  /** Largest orbit change expected at any BPM from the correctors of one group at their extreme step (m), and the largest quadrupole change (physics). */
  readonly largestOrbitChange: number;
  readonly largestQuadChange: number;
}

export interface ParallelOptions {
  /** Pairs per group (default 8). */
  readonly k?: number;
  /** Smallest acceptable separation (default 0.05: eight quadrupoles 1/8 of the demo ring apart have 0.07 to 0.09). */
  readonly minSeparation?: number;
  /** Largest tune shift (either plane) of a group's quadrupoles at +Δk together, first order, after the changes are scaled to cancel it (default 0.002; a single pair is never refused). */
  readonly maxTuneShift?: number;
  /** Smallest factor on a quadrupole's change when the group's tune shift is cancelled (default 0.1). */
  readonly minScale?: number;
  /**
   * The bumps' orbit amplitude in the quadrupoles, m (default 0.6 × the plan's amplitude: the bumps move the beam through
   * the sextupoles near each quadrupole, whose feed-down changes the kick responses step by step; on the demo twin
   * (16 pairs, seed 4) 0.5 mm gave 11.6 µm rms, 0.3 mm 6.8 µm).
   */
  readonly amplitude?: number;
  /** Singular values kept in the bumps' least squares, relative to the largest (default 1e-2). */
  readonly bumpRcond?: number;
  /**
   * 2 (default): a coarse pass of coarseSteps steps, whose centres steer the beam through the quadrupoles (planCentring),
   * then the fine pass of plan.steps − coarseSteps steps around that orbit, to which the offsets refer. 1: one pass of
   * plan.steps steps. Why two: the model's kick responses differ from the machine's by a few %, so each quadrupole's split
   * kick carries a few % of the others' (the leak), which moves its zero crossing by a few % of the others' offsets from
   * their centres (on the demo twin, 16 pairs, noise-free: 10.2 µm rms in one pass against 4.3 µm serial); around the
   * centred orbit those offsets are a tenth and so is the leak (4.1 µm).
   */
  readonly passes?: 1 | 2;
  /** Steps of the coarse pass (default 3, or 2 when the plan has 5 steps; at least 2, leaving the fine pass at least 3). */
  readonly coarseSteps?: number;
  /** Singular-value cut (relative) and readings averaged of the centring between the passes (default 1e-3, 4). */
  readonly centringRcond?: number;
  readonly centringAverage?: number;
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

/** Noise amplification of each column's least-squares coefficient against fitting that column alone: ‖row m of pinv(C)‖·‖C_m‖. */
function amplificationOf(columns: readonly Float64Array[], rows: number): number[] {
  const norms = columns.map((c) => Math.hypot(...c));
  const m = Array.from({ length: rows }, (_v, i) => Float64Array.from(columns, (c, j) => c[i] / norms[j]));
  return pseudoInverse(m).map((row) => Math.hypot(...row));
}

/**
 * Groups the plan's pairs for parallel measurement; nothing is written. Pairs of a plane, in order along the
 * ring, are dealt out to ⌈n/k⌉ groups in turn (pair r to group r mod G), so that a group's quadrupoles lie
 * about 1/k of the ring apart and their kick responses are nearly orthogonal; a pair that would break a
 * group's bounds (shared quadrupole, tune shift, separation) goes to the next group that takes it, or a new one.
 */
export function planParallel(acc: Accelerator, plan: BbaPlan, options: ParallelOptions = {}): ParallelPlan {
  const model = options.model ?? acc.model;
  if (!model) throw new BbaError(`${acc.name}: no lattice model; the parallel plan separates the quadrupoles' kicks with the model`);
  const k = options.k ?? 8;
  if (!Number.isInteger(k) || k < 1) throw new BbaError(`k must be a positive integer (got ${options.k})`);
  const minSep = options.minSeparation ?? 0.05;
  const maxDq = options.maxTuneShift ?? 0.002;
  const amplitude = options.amplitude ?? 0.6 * plan.amplitude;
  const minScale = options.minScale ?? 0.1;
  if (!(minScale > 0 && minScale <= 1)) throw new BbaError(`minScale must be in (0, 1] (got ${options.minScale})`);
  if (!(amplitude > 0 && Number.isFinite(amplitude))) throw new BbaError(`amplitude must be a finite number > 0 (got ${options.amplitude})`);
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
  // Factors c (minScale … 1) nearest 1 with Σ s_m c_m Δν_m = 0 in both planes: least-norm change, clamped and solved again.
  const scaleOf = (ids: readonly number[], signs: readonly number[]): number[] => {
    const c = ids.map(() => 1);
    const free = ids.map(() => true);
    for (let it = 0; it < ids.length; it++) {
      const rows = [0, 1].map((pl) => ids.map((i, j) => (free[j] ? signs[j] * dq[i][pl] : 0)));
      const resid = [0, 1].map((pl) => ids.reduce((s, i, j) => s + signs[j] * c[j] * dq[i][pl], 0));
      // Least-norm change of the free factors (the minimum-norm least-squares solution).
      const change = lstsq(rows.map((r) => Float64Array.from(r)), resid, 1e-9);
      change.forEach((v, j) => (c[j] -= v));
      let clamped = false;
      c.forEach((v, j) => {
        if (v < minScale || v > 1) {
          c[j] = Math.min(1, Math.max(minScale, v));
          if (free[j]) clamped = true;
          free[j] = false;
        }
      });
      if (!clamped) break;
    }
    return c;
  };
  const scaledShift = (ids: readonly number[], signs: readonly number[]) => {
    const c = scaleOf(ids, signs);
    return shiftOf(ids, signs.map((v, j) => v * c[j]));
  };
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
    const sOf = (n: number) => model.element(plan.pairs[idx[n]].quad.element).s;
    const ordered = idx.map((_i, n) => n).sort((a, b) => sOf(a) - sOf(b));
    const G = Math.ceil(idx.length / k);
    const dealt: { chosen: number[]; signs: number[] }[] = Array.from({ length: G }, () => ({ chosen: [], signs: [] }));
    // The group with the candidate, its signs the ones of smallest tune shift (every combination, the first fixed), or undefined where it breaks a bound.
    const fits = (g: { chosen: number[]; signs: number[] }, cand: number): number[] | undefined => {
      if (g.chosen.length >= k) return undefined;
      if (g.chosen.length === 0) return [1];
      if (g.chosen.some((c) => plan.pairs[idx[c]].quad.name === plan.pairs[idx[cand]].quad.name)) return undefined;
      const ids = [...g.chosen, cand].map((c) => idx[c]);
      let best: number[] = [];
      let bestShift = Infinity;
      for (let bits = 0; bits < 1 << (ids.length - 1); bits++) {
        const signs = ids.map((_i, j) => (j > 0 && (bits >> (j - 1)) & 1 ? -1 : 1));
        const shift = worst(shiftOf(ids, signs));
        if (shift < bestShift) [best, bestShift] = [signs, shift];
      }
      if (worst(scaledShift(ids, best)) > maxDq) return undefined;
      if (separationOf([...g.chosen, cand].map(column), bpmEls.length) < minSep) return undefined;
      return best;
    };
    ordered.forEach((cand, r) => {
      for (let t = 0; ; t++) {
        const fresh = t >= dealt.length;
        if (fresh) dealt.push({ chosen: [], signs: [] });
        const g = fresh ? dealt[dealt.length - 1] : dealt[(r + t) % dealt.length];
        const signs = fits(g, cand);
        if (signs === undefined) continue;
        g.chosen.push(cand);
        g.signs.splice(0, g.signs.length, ...signs);
        return;
      }
    });
    const corFam = acc.family(plan.pairs[idx[0]].corrector.family).enabled();
    const quadEls = idx.flatMap((i) => [plan.pairs[i].quad.element, plan.pairs[i].quad.element + 1]);
    const { rowAt, quadRow } = correctorOrbit(model, corFam, plane, [...bpmEls, ...quadEls]);
    const bpmRows = bpmEls.map(rowAt);
    const dot = (r: Float64Array, v: Float64Array) => r.reduce((acc2, x, j) => acc2 + x * v[j], 0);
    const bumpOf = (p: BbaPair): Float64Array => {
      const qr = quadRow(p.quad.element);
      const rows = [...bpmRows.filter((_r, j) => bpmEls[j] !== p.bpm.element), qr];
      const goal = [...rows.slice(0, -1).map(() => 0), amplitude];
      const v = lstsq(rows, goal, options.bumpRcond ?? 1e-2);
      const scale = amplitude / dot(qr, v);
      return v.map((x) => x * scale);
    };
    for (const { chosen, signs } of dealt.filter((g) => g.chosen.length > 0)) {
      const ids = chosen.map((c) => idx[c]);
      const pairs = ids.map((i) => plan.pairs[i]);
      const patterns = pairs.map(bumpOf);
      const quadScale = scaleOf(ids, signs);
      const qRows = pairs.map((p) => quadRow(p.quad.element));
      const bRows = pairs.map((p) => rowAt(p.bpm.element));
      const ownCol = (p: BbaPair) => corFam.names.indexOf(p.corrector.name);
      groups.push({
        plane,
        pairs: ids,
        response: cols.map((row) => Float64Array.from(chosen, (c) => row[c])),
        separation: chosen.length > 1 ? separationOf(chosen.map(column), bpmEls.length) : 1,
        amplification: chosen.length > 1 ? amplificationOf(chosen.map(column), bpmEls.length) : [1],
        signs,
        tuneShift: shiftOf(ids, signs.map((v, j) => v * quadScale[j])),
        quadScale,
        correctorFamily: corFam.name,
        patterns,
        quadOrbit: qRows.map((qr) => Float64Array.from(patterns, (v) => dot(qr, v))),
        bpmOrbit: bRows.map((br) => Float64Array.from(patterns, (v) => dot(br, v))),
        ownRatio: pairs.map((p, m) => {
          const j = ownCol(p);
          if (j < 0) throw new BbaError(`${p.bpm.name}: its corrector ${p.corrector.name} is not an enabled device of ${corFam.name}`);
          return bRows[m][j] / qRows[m][j];
        }),
      });
    }
    // The orbit moved by a group's bumps at their extreme step: their sum bounds it at every BPM.
    for (const g of groups.filter((gr) => gr.plane === plane)) {
      for (const row of bpmRows) largestOrbitChange = Math.max(largestOrbitChange, g.patterns.reduce((sum, v) => sum + Math.abs(dot(row, v)), 0));
    }
  }
  const passes = options.passes ?? 2;
  if (passes !== 1 && passes !== 2) throw new BbaError(`passes must be 1 or 2 (got ${options.passes})`);
  // The two passes share the serial scan's steps: coarse + fine = plan.steps (the centring adds one set per corrector family).
  const coarse = options.coarseSteps ?? Math.max(2, Math.min(3, plan.steps - 3));
  const passSteps = passes === 1 ? [plan.steps] : [coarse, plan.steps - coarse];
  if (passes === 2 && !(Number.isInteger(coarse) && coarse >= 2 && passSteps[1] >= 3)) throw new BbaError(`coarseSteps must be an integer >= 2 that leaves the fine pass at least 3 of the plan's ${plan.steps} steps (got coarseSteps ${options.coarseSteps ?? coarse}); or passes: 1`);
  const stepsPer = plan.steps * 2;
  const centringSets = passes === 2 ? new Set(groups.map((g) => g.correctorFamily)).size : 0;
  return {
    plan,
    groups,
    bpms,
    passes,
    passSteps,
    centring: { rcond: options.centringRcond ?? 1e-3, average: options.centringAverage ?? 4, model: options.model },
    steps: groups.length * 2 * passSteps.reduce((a, b) => a + b, 0) + centringSets,
    serialSteps: plan.pairs.length * stepsPer,
    largestOrbitChange,
    largestQuadChange: Math.max(...groups.flatMap((g) => g.pairs.map((i, j) => Math.abs(plan.pairs[i].quadStep * g.quadScale[j])))),
  };
}

export interface ParallelData {
  readonly parallel: ParallelPlan;
  /**
   * Per group, per step of the (fine) pass the offsets come from: each pair's BPM reading (mean of ±Δk), the induced
   * orbit D = orbit(+Δk) − orbit(−Δk) at every BPM of the plane, and each pair's scan value (its pattern's multiple, −1 … 1).
   */
  readonly groups: GroupData[];
  /** Two passes: the coarse pass's data and the centring applied after it (per corrector family, physics units), which the offsets refer to. */
  readonly coarse?: GroupData[];
  readonly centring?: readonly { family: string; plane: Plane; names: readonly string[]; change: number[] }[];
  readonly setReadSteps: number;
}

export interface GroupData {
  x: number[][];
  D: number[][];
  scan: number[][];
}

/** The order in which pair m of a group goes through the scan points (a rotation by m). */
const order = (n: number, m: number, i: number): number => (i + m) % n;

/** The corrector setpoints (physics) of a group at scan step i. */
function correctorsAt(g: ParallelGroup, c0: ArrayLike<number>, points: readonly number[], i: number): { values: Float64Array; scan: number[] } {
  const scan = g.patterns.map((_p, m) => points[order(points.length, m, i)]);
  const values = Float64Array.from(c0, (v, j) => v + g.patterns.reduce((s, p, m) => s + scan[m] * p[j], 0));
  return { values, scan };
}

/** Refuses, before anything moves in a pass, a quadrupole step or a bump past the hardware limits. */
async function checkPassLimits(acc: Accelerator, pp: ParallelPlan, points: readonly number[]): Promise<void> {
  const plan = pp.plan;
  const sel = (r: { family: string; device: readonly [number, number] }) => acc.family(r.family).devices([r.device]);
  const within = async (r: DeviceRef, half: number, what: string) => {
    const f = sel(r);
    checkLimits(f, f.toPhysics(await f.get({ field: 'setpoint' }))[0], half, what);
  };
  for (const g of pp.groups) {
    const pairs = g.pairs.map((i) => plan.pairs[i]);
    for (const [j, p] of pairs.entries()) await within(p.quad, p.quadStep * g.quadScale[j], 'quadrupole step');
    const cor = acc.family(g.correctorFamily).enabled();
    const c0 = cor.toPhysics(await cor.get({ field: 'setpoint' }));
    const limits = cor.limits;
    for (let i = 0; i < points.length; i++) {
      const hw = cor.toHardware(correctorsAt(g, c0, points, i).values);
      hw.forEach((v, j) => {
        const lim = limits[j];
        if (lim && (v < lim[0] || v > lim[1])) throw new BbaError(`${cor.name} ${cor.names[j]}: the bump of step ${i + 1} sets ${v} (hardware), past the limits [${lim[0]}, ${lim[1]}]; choose a smaller amplitude (nothing was changed)`);
      });
    }
  }
}

/**
 * Measures the groups one after the other, in one pass or two (coarse pass, centring through its centres, fine pass);
 * abort or failure restores every setpoint touched (the centring included). After two passes the beam stays on the
 * centred orbit, which the offsets refer to.
 */
export async function measureBbaParallel(acc: Accelerator, pp: ParallelPlan, options: MeasureBbaOptions = {}): Promise<ParallelData> {
  const { average: n, settle } = readingOptions(options);
  const plan = pp.plan;
  const sel = (r: { family: string; device: readonly [number, number] }) => acc.family(r.family).devices([r.device]);
  const passPoints = pp.passSteps.map(scanPoints);
  // Every value the first pass will set within the hardware limits, before anything moves (the fine pass: after the centring).
  await checkPassLimits(acc, pp, passPoints[0]);
  const corFams = [...new Set(pp.groups.map((g) => g.correctorFamily))];
  const measurement = new Measurement(acc, {
    name: 'bba-parallel',
    drives: [...new Set([...plan.pairs.map((p) => p.quad.family), ...corFams])].map((f) => acc.family(f)),
    signal: options.signal,
    total: pp.groups.length * pp.passSteps.reduce((a, b) => a + b, 0),
  });
  const sub = options.onProgress ? measurement.progress$.subscribe({ next: options.onProgress, error: () => undefined }) : undefined;
  let setReadSteps = 0;
  let step = 0;
  const pass = async (m: MeasurementContext, points: readonly number[], label: string): Promise<GroupData[]> => {
    const out: GroupData[] = [];
    for (const g of pp.groups) {
      const pairs = g.pairs.map((i) => plan.pairs[i]);
      const q = pairs.map((p) => sel(p.quad));
      const cor = acc.family(g.correctorFamily).enabled();
      const qhw = await Promise.all(q.map(async (f) => (await f.get({ field: 'setpoint' }))[0]));
      const chw = await cor.get({ field: 'setpoint' });
      const q0 = q.map((f, j) => f.toPhysics([qhw[j]])[0]);
      const c0 = cor.toPhysics(chw);
      const bpmFam = acc.family(pairs[0].bpm.family).enabled();
      const bi = pairs.map((p) => bpmFam.names.indexOf(p.bpm.name));
      const setQuads = async (sign: number) => {
        for (const [j, f] of q.entries()) await m.set(f, [q0[j] + sign * g.signs[j] * g.quadScale[j] * pairs[j].quadStep], { units: 'physics' });
        for (const f of q) await settle(m, f);
      };
      const read = async () => {
        const r = await m.average(bpmFam, n, { interval: options.interval ?? 0, units: 'physics' });
        setReadSteps++;
        return Array.from(r.mean);
      };
      const data: GroupData = { x: [], D: [], scan: [] };
      for (let i = 0; i < points.length; i++) {
        const { values, scan } = correctorsAt(g, c0, points, i);
        await m.set(cor, values, { units: 'physics' });
        await settle(m, cor);
        data.scan.push(scan);
        await setQuads(1);
        const a = await read();
        await setQuads(-1);
        const b = await read();
        data.x.push(bi.map((k) => (a[k] + b[k]) / 2));
        data.D.push(a.map((v, k) => v - b[k]));
        m.progress(++step, `${label}${g.plane} group of ${pairs.length}: step ${i + 1} of ${points.length}`);
      }
      for (const [j, f] of q.entries()) await m.set(f, [qhw[j]]);
      await m.set(cor, chw);
      for (const f of [...q, cor]) await settle(m, f);
      out.push(data);
    }
    return out;
  };
  try {
    const result = await measurement.run(async (m) => {
      if (pp.passes === 1) return { groups: await pass(m, passPoints[0], '') };
      const coarse = await pass(m, passPoints[0], 'coarse pass, ');
      const first = analyseBbaParallel({ parallel: pp, groups: coarse, setReadSteps });
      const cp = await planCentring(acc, plan, first, { rcond: pp.centring.rcond, average: pp.centring.average, model: pp.centring.model });
      for (const c of cp.correctors) {
        const f = acc.family(c.family).enabled();
        const now = f.toPhysics(await f.get({ field: 'setpoint' }));
        await m.set(f, now.map((v, i) => v + c.change[i]), { units: 'physics' });
        await settle(m, f);
        setReadSteps++;
      }
      await checkPassLimits(acc, pp, passPoints[1]);
      const centring = cp.correctors.map((c) => ({ family: c.family, plane: c.plane, names: c.names, change: Array.from(c.change) }));
      return { coarse, centring, groups: await pass(m, passPoints[1], 'fine pass, ') };
    });
    return { parallel: pp, ...result, setReadSteps };
  } finally {
    sub?.unsubscribe();
  }
}

/**
 * Splits each step's induced orbit into one kick per quadrupole (least squares on the model's kick responses
 * of the group, all BPMs of the plane at once) and fits each kick against where the scan put the beam in that
 * quadrupole. The group's bumps each move the beam a little in the other quadrupoles too, and their orbit shape
 * at the pair is not that of its own corrector, so the pair's BPM reading is not the abscissa: the step is the
 * model orbit u in the quadrupole (Σ bumps), taken to the reading x0 + r u the BPM would give were the beam moved
 * there by the pair's own corrector (r: that corrector's orbit at the BPM over its orbit in the quadrupole; x0 the
 * BPM's reading at the starting settings: the readings less the bumps' model orbit, averaged over the steps).
 * The kick's zero crossing is the offset, as in the serial measurement; its 1σ adds that of x0.
 */
export function analyseBbaParallel(d: ParallelData): { pairs: PairResult[] } {
  const plan = d.parallel.plan;
  const results: PairResult[] = new Array(plan.pairs.length);
  d.parallel.groups.forEach((g, gi) => {
    const data = d.groups[gi];
    const kicks = data.D.map((D) => lstsq(g.response as Float64Array[], D));
    const n = data.D.length;
    g.pairs.forEach((pi, j) => {
      const p: BbaPair = plan.pairs[pi];
      const A = g.quadOrbit[j];
      const H = g.bpmOrbit[j];
      const u = data.scan.map((sc) => sc.reduce((s, v, c) => s + A[c] * v, 0));
      const r = data.x.map((row, i) => row[j] - data.scan[i].reduce((s, v, c) => s + H[c] * v, 0));
      const x0 = r.reduce((s, v) => s + v, 0) / n;
      const sx0 = n > 1 ? Math.sqrt(r.reduce((s, v) => s + (v - x0) ** 2, 0) / (n - 1) / n) : Number.NaN;
      const x = u.map((v) => x0 + g.ownRatio[j] * v);
      const y = kicks.map((kv) => kv[j]);
      const fit = fitLine(x, y);
      const z = zeroCrossing(fit);
      results[pi] = { plane: p.plane, bpmFamily: p.bpm.family, bpm: p.bpm.name, quad: p.quad.name, corrector: p.corrector.name, offset: z.centre, sigma: Math.hypot(z.sigma, sx0), used: data.D[0].length, bpms: [], x, y, fit, ...(p.extra ? { extra: true } : {}) };
    });
  });
  return { pairs: results };
}
