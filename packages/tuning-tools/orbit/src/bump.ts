/**
 * Closed local orbit bumps from the response matrix (MML setorbitbump): the orbit
 * at one BPM (position) or two BPMs (position and angle) is set with three or more
 * correctors around them, and the orbit outside the bump is kept as close to
 * unchanged as the correctors allow (the leakage is reported).
 */
import { type Accelerator, type DeviceId, type LatticeModel, type MeasurementContext, sleep } from '@mlayer/core';
import { OrbitError } from './errors.js';
import { type LimitPolicy, type Matrix, type PlannedWrite, lstsq, matVec, planStep, rms, svd } from '@mlayer/tuning-common';
import { type AveragingOptions, type ProgressOptions, checkAveraging, readOrbit, runMeasurement } from './measure-orbit.js';
import { elementIndices, modelOrm } from './model-orm.js';
import type { OrbitFamiliesOptions } from './orbit-families.js';
import { type CorrectorAxis, type DeviceAxis, type OrbitResponseMatrix, type Plane, block } from './orm.js';

export interface BumpTarget {
  /** Row of the matrix (BPM). */
  readonly row: number;
  /** Orbit change wanted there. */
  readonly value: number;
}

export interface BumpSolution {
  /** Change of each chosen column, in order of `columns`. */
  readonly deltas: Float64Array;
  /** Orbit change predicted at every row. */
  readonly orbit: Float64Array;
  /** Orbit change predicted at the target rows. */
  readonly reached: Float64Array;
  /** rms of the predicted orbit change at the rows outside the bump. */
  readonly leakage: number;
}

/**
 * Solves a bump: the target rows reach their values exactly (least squares if they
 * cannot), and within that, the orbit change at the `outside` rows is minimal.
 */
export function solveBump(R: Matrix, targets: readonly BumpTarget[], columns: readonly number[], outside: readonly number[]): BumpSolution {
  const n = columns.length;
  if (n < targets.length + 2) throw new OrbitError(`a closed bump with ${targets.length} target${targets.length === 1 ? '' : 's'} needs at least ${targets.length + 2} correctors (got ${n})`);
  const sub = (rows: readonly number[]): Matrix => rows.map((i) => Float64Array.from(columns, (j) => R[i][j]));
  const Rt = sub(targets.map((t) => t.row));
  const t = Float64Array.from(targets, (x) => x.value);
  const dp = lstsq(Rt, t);
  // Null space of Rt: pad to n×n so the SVD returns every right singular vector.
  const padded = [...Rt, ...Array.from({ length: Math.max(0, n - Rt.length) }, () => new Float64Array(n))];
  const d = svd(padded);
  const smax = d.s[0] ?? 0;
  const nullVecs = d.v.filter((_v, i) => !(d.s[i] > 1e-10 * smax));
  let deltas = dp;
  const Ro = sub(outside);
  if (nullVecs.length > 0 && Ro.length > 0) {
    const RoN: Matrix = Ro.map((row) => Float64Array.from(nullVecs, (v) => row.reduce((s, r, j) => s + r * v[j], 0)));
    const rhs = matVec(Ro, dp).map((v) => -v);
    const z = lstsq(RoN, rhs);
    deltas = dp.map((v, j) => v + nullVecs.reduce((s, nv, k) => s + nv[j] * z[k], 0));
  }
  const full = R.map((row) => columns.reduce((s, j, k) => s + row[j] * deltas[k], 0));
  const orbit = Float64Array.from(full);
  return { deltas, orbit, reached: Float64Array.from(targets, (x) => orbit[x.row]), leakage: outside.length > 0 ? rms(outside.map((i) => orbit[i])) : 0 };
}

export interface LocalBumpOptions extends AveragingOptions, ProgressOptions {
  /** Families of the model ORM (orm: 'model'). */
  readonly families?: OrbitFamiliesOptions;
  /** The response matrix, or 'model' for the model's (physics units). */
  readonly orm: OrbitResponseMatrix | 'model';
  /** Model: for orm 'model', element positions and the distance between BPMs (default: the accelerator's). */
  readonly model?: LatticeModel;
  readonly plane: Plane;
  /** The BPM (name or [sector, index]) where the bump has the given position. */
  readonly bpm: string | DeviceId;
  /** Orbit change at the BPM, BPM units of the matrix. */
  readonly position: number;
  /** Angle (BPM units per metre: rad when BPMs read m) between `bpm` and `angleBpm`; needs 4 correctors or more. */
  readonly angle?: number;
  /** Second BPM for the angle (default: the next BPM downstream). */
  readonly angleBpm?: string | DeviceId;
  /** Distance from `bpm` to `angleBpm` in m (default: from the model's element positions). */
  readonly distance?: number;
  /** Number of correctors around the BPM(s) (default 3, or 4 with an angle), or the correctors themselves (names or devices). */
  readonly correctors?: number | readonly (string | DeviceId)[];
  /** Compute only; write nothing. */
  readonly dryRun?: boolean;
  /** Extra wait after the bump is set, ms, on top of the correctors' settle time (default 0). */
  readonly settle?: number;
  /** A bump past a corrector limit stops (default) or is scaled down. */
  readonly onLimit?: Exclude<LimitPolicy, 'exclude'>;
  /** Read the orbit before and after to report the bump reached and the leakage measured (default true). */
  readonly verify?: boolean;
}

export interface LocalBumpResult {
  readonly plane: Plane;
  readonly correctors: readonly string[];
  /** Changes of the correctors, matrix units. */
  readonly deltas: Float64Array;
  readonly targets: readonly { readonly bpm: string; readonly value: number }[];
  /** BPMs inside the bump (between its first and last corrector). */
  readonly inside: readonly string[];
  readonly predicted: { readonly reached: Float64Array; readonly leakage: number };
  /** Measured orbit change (verify): at the targets, and rms at the BPMs outside the bump. */
  readonly measured?: { readonly reached: Float64Array; readonly leakage: number; readonly change: Float64Array };
  readonly scale: number;
  readonly writes: readonly PlannedWrite[];
  readonly units: OrbitResponseMatrix['units'];
}

function findDevice(axis: DeviceAxis, ref: string | DeviceId, what: string): number {
  const i = typeof ref === 'string' ? axis.names.indexOf(ref) : axis.devices.findIndex((d) => d[0] === ref[0] && d[1] === ref[1]);
  if (i < 0) throw new OrbitError(`${what} ${typeof ref === 'string' ? `'${ref}'` : `[${ref[0]}, ${ref[1]}]`} is not in the response matrix (${axis.family})`);
  return i;
}

/** Element index of each device of an axis (numbers from the facility, or FamNames through the model). */
function elementsOf(acc: Accelerator, axis: DeviceAxis, model: LatticeModel | undefined): number[] {
  const fam = acc.family(axis.family).devices(axis.devices as DeviceId[]);
  const els = fam.elements;
  if (els.every((e): e is number => typeof e === 'number')) return els;
  if (!model) throw new OrbitError(`${axis.family}: the facility does not give element indices for every device; a model is needed to order BPMs and correctors`);
  return elementIndices(model, fam);
}

/** Computes (and unless dryRun, applies) a closed local bump. */
export async function localBump(acc: Accelerator, options: LocalBumpOptions): Promise<LocalBumpResult> {
  const model = options.model ?? acc.model;
  const orm = options.orm === 'model' ? await modelOrm(acc, { ...options.families, model, planes: [options.plane], observe: [options.plane] }) : options.orm;
  const p = options.plane;
  const R = block(orm, p, p);
  const bAxis = orm.bpms[p];
  const cAxis: CorrectorAxis | undefined = orm.correctors[p];
  if (!R || !bAxis || !cAxis) throw new OrbitError(`plane ${p}: the response matrix has no R${p}${p} block`);
  if (!Number.isFinite(options.position)) throw new OrbitError(`position must be finite (got ${options.position})`);
  const bpmKeys = elementsOf(acc, bAxis, model);
  const corKeys = elementsOf(acc, cAxis, model);
  const L = model?.length ?? Math.max(...bpmKeys, ...corKeys) + 1;
  const mod = (v: number) => ((v % L) + L) % L;

  const b1 = findDevice(bAxis, options.bpm, 'BPM');
  const targets: BumpTarget[] = [{ row: b1, value: options.position }];
  let b2 = b1;
  if (options.angle !== undefined) {
    if (!Number.isFinite(options.angle)) throw new OrbitError(`angle must be finite (got ${options.angle})`);
    if (options.angleBpm !== undefined) b2 = findDevice(bAxis, options.angleBpm, 'BPM');
    else {
      // The next BPM downstream at a different position (with a model: a different s).
      const sOf = (i: number): number | undefined => model?.element(bpmKeys[i]).s;
      let best = -1;
      bpmKeys.forEach((k, i) => {
        const distinct = i !== b1 && k !== bpmKeys[b1] && (sOf(i) === undefined || sOf(i) !== sOf(b1));
        if (distinct && (best < 0 || mod(k - bpmKeys[b1]) < mod(bpmKeys[best] - bpmKeys[b1]))) best = i;
      });
      if (best < 0) throw new OrbitError('an angle bump needs a second BPM');
      b2 = best;
    }
    let distance = options.distance;
    if (distance === undefined) {
      if (!model) throw new OrbitError('an angle bump needs the distance between the two BPMs: pass options.distance or a model');
      const s1 = model.element(bpmKeys[b1]).s;
      const s2 = model.element(bpmKeys[b2]).s;
      const C = model.circumference;
      distance = (((s2 - s1) % C) + C) % C;
    }
    if (!(distance > 0)) throw new OrbitError(`the distance between ${bAxis.names[b1]} and ${bAxis.names[b2]} must be > 0 (got ${distance})`);
    targets.push({ row: b2, value: options.position + options.angle * distance });
  }
  // Upstream of the first target BPM and downstream of the last one.
  const first = bpmKeys[b1];
  const last = targets.length > 1 && mod(bpmKeys[b2] - first) > 0 ? bpmKeys[b2] : first;

  let columns: number[];
  if (Array.isArray(options.correctors)) {
    columns = (options.correctors as readonly (string | DeviceId)[]).map((c) => findDevice(cAxis, c, 'corrector'));
  } else {
    const n = (options.correctors as number | undefined) ?? (targets.length > 1 ? 4 : 3);
    if (!Number.isInteger(n) || n < targets.length + 2) throw new OrbitError(`correctors: need an integer >= ${targets.length + 2} (got ${options.correctors})`);
    const nUp = Math.ceil(n / 2);
    // Nearest correctors first; one that acts like a corrector already taken (parallel ORM column,
    // e.g. two correctors at the same place) is passed over.
    const col = (j: number) => R.map((row) => row[j]);
    const taken: Float64Array[] = [];
    const independent = (j: number): boolean => {
      const c = Float64Array.from(col(j));
      const cn = Math.hypot(...c);
      if (!(cn > 0)) return false;
      const ok = taken.every((t) => Math.abs(t.reduce((s2, v, i) => s2 + v * c[i], 0)) / (Math.hypot(...t) * cn) < 0.9999);
      if (ok) taken.push(c);
      return ok;
    };
    const nearest = (dist: (k: number) => number, count: number, skip: readonly number[]): number[] => {
      const out: number[] = [];
      const order = corKeys.map((k, j) => ({ j, d: dist(k) })).filter((c) => c.d > 0 && !skip.includes(c.j)).sort((a, b) => a.d - b.d);
      for (const c of order) {
        if (out.length === count) break;
        if (independent(c.j)) out.push(c.j);
      }
      return out;
    };
    const up = nearest((k) => mod(first - k), nUp, []);
    const down = nearest((k) => mod(k - last), n - nUp, up);
    columns = [...up.reverse(), ...down];
    if (columns.length < n) throw new OrbitError(`only ${columns.length} correctors found around ${bAxis.names[b1]} (asked for ${n})`);
  }
  // Bump region: from the most upstream to the most downstream corrector, through the target.
  // A corrector belongs upstream when it is closer going upstream from the first target than downstream from the last.
  const isUp = (k: number): boolean => mod(first - k) > 0 && mod(first - k) <= mod(k - last);
  const startKey = columns.reduce((best, j) => (isUp(corKeys[j]) && mod(first - corKeys[j]) > mod(first - best) ? corKeys[j] : best), first);
  const endKey = columns.reduce((best, j) => (!isUp(corKeys[j]) && mod(corKeys[j] - last) > mod(best - last) ? corKeys[j] : best), last);
  if (startKey === first || endKey === last) throw new OrbitError(`the bump correctors (${columns.map((j) => cAxis.names[j]).join(', ')}) must lie on both sides of ${bAxis.names[b1]}`);
  const span = mod(endKey - startKey);
  const insideRows = bpmKeys.map((k, i) => ({ i, in: mod(k - startKey) <= span })).filter((x) => x.in).map((x) => x.i);
  const outside = bpmKeys.map((_k, i) => i).filter((i) => !insideRows.includes(i) && bAxis.names[i] !== undefined);
  if (outside.length === 0) throw new OrbitError('no BPM outside the bump: cannot close it');
  const sol = solveBump(R, targets, columns, outside);

  const corNames = columns.map((j) => cAxis.names[j]);
  const base = {
    plane: p,
    correctors: corNames,
    deltas: sol.deltas,
    targets: targets.map((t) => ({ bpm: bAxis.names[t.row], value: t.value })),
    inside: insideRows.map((i) => bAxis.names[i]),
    predicted: { reached: sol.reached, leakage: sol.leakage },
    units: orm.units,
  };
  const fam = acc.family(cAxis.family).devices(columns.map((j) => cAxis.devices[j]));
  const current = await fam.get({ field: 'setpoint', signal: options.signal });
  const plan = planStep([{ family: fam, current, deltas: sol.deltas, units: orm.units }], options.onLimit ?? 'stop');
  if (options.dryRun) return { ...base, scale: plan.scale, writes: plan.writes };

  const avg = checkAveraging(options);
  const verify = options.verify ?? true;
  const bpmFam = acc.family(bAxis.family).devices(bAxis.devices as DeviceId[]);
  const read = async (m: MeasurementContext) => (await readOrbit(m, { [p]: bpmFam }, orm.units, avg))[p]!.values;
  const extra = options.settle ?? 0;
  if (!(extra >= 0) || !Number.isFinite(extra)) throw new OrbitError(`settle must be a finite number of ms >= 0 (got ${options.settle})`);
  return runMeasurement(acc, { name: 'local bump', drives: [fam], observes: [bpmFam], freshTimeout: avg.freshTimeout, signal: options.signal, total: 1, onProgress: options.onProgress }, async (m) => {
    const before = verify ? await read(m) : undefined;
    for (const w of plan.writes) await m.set(acc.family(w.family).devices(w.devices as DeviceId[]), w.target);
    await m.settle(fam);
    if (extra > 0) await sleep(extra, m.signal);
    m.progress(1, `bump at ${bAxis.names[b1]}: ${corNames.join(', ')}`);
    if (!before) return { ...base, scale: plan.scale, writes: plan.writes };
    const after = await read(m);
    const change = after.map((v, i) => v - before[i]);
    return {
      ...base,
      scale: plan.scale,
      writes: plan.writes,
      measured: { reached: Float64Array.from(targets, (t) => change[t.row]), leakage: rms(outside.map((i) => change[i])), change },
    };
  });
}
