/**
 * The correction step, pure: from the response matrix and an orbit, the corrector
 * (and RF) changes that bring the orbit to the golden orbit.
 */
import { OrbitError } from './errors.js';
import { type CorrectionMethod, type Matrix, cachedSvd, matVec, norm, rms, solveSystem } from '@mlayer/tuning-common';
import { type OrbitResponseMatrix, type PerPlane, type Plane, PLANES, block, blockName, checkOrm } from './orm.js';

export interface CorrectionInput {
  readonly orm: OrbitResponseMatrix;
  /** Present BPM readings, one per row of orm.bpms.x / orm.bpms.y (NaN readings are excluded). */
  readonly orbit: PerPlane<ArrayLike<number>>;
  /** Planes to correct (default: both planes the matrix and the orbit have). */
  readonly planes?: readonly Plane[];
  /** Target orbit (default zero), in BPM units relative to the offsets. */
  readonly golden?: PerPlane<ArrayLike<number>>;
  /** BPM readings of the reference orbit (e.g. from beam-based alignment): the error is reading − offset − golden. */
  readonly offsets?: PerPlane<ArrayLike<number>>;
  /** Weight per BPM (0 excludes a BPM; default 1). */
  readonly bpmWeights?: PerPlane<ArrayLike<number>>;
  /** Weight per corrector: a larger weight makes a corrector cheaper to use; 0 excludes it (default 1). */
  readonly correctorWeights?: PerPlane<ArrayLike<number>>;
  /** Default: SVD with every singular value above 1e-10 of the largest. */
  readonly method?: CorrectionMethod;
  /** Use the RF frequency as an extra column (needs orm.rf); `weight` scales its column relative to the mean corrector column. */
  readonly rf?: boolean | { readonly weight?: number };
  /** Solve both planes as one system with the cross-plane blocks (default: each plane on its own). */
  readonly coupled?: boolean;
  /** Fraction of the computed correction to apply (default 1). */
  readonly gain?: number;
}

export interface SystemInfo {
  readonly planes: readonly Plane[];
  readonly rows: number;
  readonly columns: number;
  readonly singularValues: Float64Array;
  readonly used: number;
  /** Names of the correctors MICADO selected, in order. */
  readonly selected?: readonly string[];
}

export interface CorrectionResult {
  /** Change of every corrector of orm.correctors.x / .y (matrix units; 0 for excluded ones). */
  readonly deltas: PerPlane<Float64Array>;
  /** Change of the RF setpoint (RF units; 0 when the RF column is not used). */
  readonly rf: number;
  /** Orbit error before the correction (reading − offset − golden); NaN where excluded. */
  readonly error: PerPlane<Float64Array>;
  /** Orbit error predicted after the correction (linear); NaN where excluded. */
  readonly predicted: PerPlane<Float64Array>;
  readonly rmsBefore: PerPlane<number>;
  readonly rmsPredicted: PerPlane<number>;
  /** Row indices left out (weight 0, NaN reading or matrix entry). */
  readonly excludedBpms: PerPlane<number[]>;
  readonly systems: readonly SystemInfo[];
}

function planeVector(v: PerPlane<ArrayLike<number>> | undefined, plane: Plane, n: number, fill: number, what: string): Float64Array {
  const a = v?.[plane];
  if (a === undefined) return new Float64Array(n).fill(fill);
  if (a.length !== n) throw new OrbitError(`${what}.${plane}: ${a.length} values for ${n} devices`);
  return Float64Array.from(a);
}

/** Computes the corrector changes for one orbit (no machine access). */
export function computeCorrection(input: CorrectionInput): CorrectionResult {
  const { orm } = input;
  checkOrm(orm);
  const method = input.method ?? { type: 'svd' };
  const gain = input.gain ?? 1;
  if (!(gain > 0 && gain <= 1)) throw new OrbitError(`gain must be in (0, 1] (got ${input.gain})`);
  const planes = input.planes ?? PLANES.filter((p) => orm.bpms[p] && orm.correctors[p] && input.orbit[p] !== undefined);
  if (planes.length === 0) throw new OrbitError('no plane to correct: the response matrix and the orbit share no plane');
  for (const p of planes) {
    if (!orm.bpms[p]) throw new OrbitError(`plane ${p}: the response matrix has no ${p} BPMs`);
    if (!orm.correctors[p]) throw new OrbitError(`plane ${p}: the response matrix has no ${p} correctors`);
    if (!block(orm, p, p)) throw new OrbitError(`plane ${p}: the response matrix has no block ${blockName(p, p)}`);
    if (input.orbit[p] === undefined) throw new OrbitError(`plane ${p}: no orbit given`);
  }
  const useRf = input.rf !== undefined && input.rf !== false;
  if (useRf && !orm.rf) throw new OrbitError('the RF column was asked for but the response matrix has none (measure it with rf: true)');
  const rfWeight = typeof input.rf === 'object' && input.rf.weight !== undefined ? input.rf.weight : 1;
  if (useRf && !(rfWeight > 0)) throw new OrbitError(`RF weight must be > 0 (got ${rfWeight})`);

  const error: Record<string, Float64Array> = {};
  const bpmW: Record<string, Float64Array> = {};
  const corW: Record<string, Float64Array> = {};
  const excludedBpms: Record<string, number[]> = {};
  const rowsUsed: Record<string, number[]> = {};
  const colsUsed: Record<string, number[]> = {};
  for (const p of planes) {
    const nb = orm.bpms[p]!.devices.length;
    const nc = orm.correctors[p]!.devices.length;
    const reading = planeVector(input.orbit, p, nb, 0, 'orbit');
    const offsets = planeVector(input.offsets, p, nb, 0, 'offsets');
    const golden = planeVector(input.golden, p, nb, 0, 'golden');
    const w = planeVector(input.bpmWeights, p, nb, 1, 'bpmWeights');
    const cw = planeVector(input.correctorWeights, p, nc, 1, 'correctorWeights');
    if (w.some((x) => !(x >= 0))) throw new OrbitError(`bpmWeights.${p}: weights must be finite and >= 0`);
    if (cw.some((x) => !(x >= 0))) throw new OrbitError(`correctorWeights.${p}: weights must be finite and >= 0`);
    const e = reading.map((r, i) => r - offsets[i] - golden[i]);
    const R = block(orm, p, p)!;
    const cross = block(orm, p, p === 'x' ? 'y' : 'x');
    const rows: number[] = [];
    const excluded: number[] = [];
    for (let i = 0; i < nb; i++) {
      const finiteRow = R[i].every(Number.isFinite) && (!input.coupled || !cross || cross[i].every(Number.isFinite)) && (!useRf || Number.isFinite(orm.rf![p]?.[i] ?? 0));
      if (w[i] > 0 && Number.isFinite(e[i]) && finiteRow) rows.push(i);
      else {
        excluded.push(i);
        e[i] = Number.NaN;
      }
    }
    error[p] = e;
    bpmW[p] = w;
    corW[p] = cw;
    excludedBpms[p] = excluded;
    rowsUsed[p] = rows;
    colsUsed[p] = cw.reduce<number[]>((acc, x, j) => (x > 0 ? [...acc, j] : acc), []);
  }

  const deltas: Record<string, Float64Array> = {};
  for (const p of planes) deltas[p] = new Float64Array(orm.correctors[p]!.devices.length);
  let rf = 0;
  const systems: SystemInfo[] = [];
  const groups: Plane[][] = input.coupled ? [planes.slice()] : planes.map((p) => [p]);
  const rfGroup = useRf ? (groups.find((g) => g.includes('x')) ?? groups[0]) : undefined;

  for (const g of groups) {
    // Columns: correctors of each plane in g, then the RF column.
    const colSpec: { plane: Plane; j: number }[] = g.flatMap((kp) => colsUsed[kp].map((j) => ({ plane: kp, j })));
    const rowSpec: { plane: Plane; i: number }[] = g.flatMap((op) => rowsUsed[op].map((i) => ({ plane: op, i })));
    const withRf = g === rfGroup;
    const a: Matrix = rowSpec.map(({ plane: op, i }) => {
      const row = new Float64Array(colSpec.length + (withRf ? 1 : 0));
      colSpec.forEach(({ plane: kp, j }, c) => {
        const blk = block(orm, op, kp);
        row[c] = blk ? bpmW[op][i] * blk[i][j] * corW[kp][j] : 0;
      });
      if (withRf) row[colSpec.length] = bpmW[op][i] * (orm.rf![op]?.[i] ?? 0);
      return row;
    });
    let rfScale = 1;
    if (withRf) {
      const rfCol = a.map((r) => r[colSpec.length]);
      const rfNorm = norm(rfCol);
      if (!(rfNorm > 0)) throw new OrbitError('the RF column of the response matrix is zero at the BPMs used');
      let s = 0;
      for (let c = 0; c < colSpec.length; c++) s += norm(a.map((r) => r[c]));
      const mean = colSpec.length > 0 ? s / colSpec.length : rfNorm;
      rfScale = (rfWeight * mean) / rfNorm;
      for (const r of a) r[colSpec.length] *= rfScale;
    }
    const b = Float64Array.from(rowSpec, ({ plane: op, i }) => -bpmW[op][i] * error[op][i]);
    // The system depends on the rows, columns and weights only: its SVD is reused between iterations.
    const key = JSON.stringify([rowSpec.map((r) => [r.plane, r.i, bpmW[r.plane][r.i]]), colSpec.map((c) => [c.plane, c.j, corW[c.plane][c.j]]), withRf ? rfScale : 0]);
    const sol = solveSystem(a, b, method, cachedSvd(orm, key, a));
    colSpec.forEach(({ plane: kp, j }, c) => (deltas[kp][j] = gain * corW[kp][j] * sol.x[c]));
    if (withRf) rf = gain * rfScale * sol.x[colSpec.length];
    systems.push({
      planes: g,
      rows: rowSpec.length,
      columns: a[0]?.length ?? 0,
      singularValues: sol.singularValues,
      used: sol.used,
      selected: sol.selected?.map((c) => (c < colSpec.length ? orm.correctors[colSpec[c].plane]!.names[colSpec[c].j] : orm.rf!.name)),
    });
  }

  const { predicted, rmsBefore, rmsPredicted } = predictError(orm, planes, error, deltas, rf);
  return { deltas, rf, error, predicted, rmsBefore, rmsPredicted, excludedBpms, systems };
}

/** The orbit error the matrix predicts after corrector changes `deltas` and an RF change `rf` (linear). */
export function predictError(
  orm: OrbitResponseMatrix,
  planes: readonly Plane[],
  error: PerPlane<Float64Array>,
  deltas: PerPlane<ArrayLike<number>>,
  rf: number,
): { predicted: PerPlane<Float64Array>; rmsBefore: PerPlane<number>; rmsPredicted: PerPlane<number> } {
  const predicted: Record<string, Float64Array> = {};
  const rmsBefore: Record<string, number> = {};
  const rmsPredicted: Record<string, number> = {};
  for (const p of planes) {
    const e = error[p]!;
    const change = new Float64Array(e.length);
    for (const kp of planes) {
      const blk = block(orm, p, kp);
      const d = deltas[kp];
      if (blk && d) matVec(blk, Float64Array.from(d)).forEach((v, i) => (change[i] += v));
    }
    const rfCol = orm.rf?.[p];
    if (rf !== 0 && rfCol) rfCol.forEach((v, i) => (change[i] += v * rf));
    predicted[p] = e.map((x, i) => x + change[i]);
    rmsBefore[p] = rms(e);
    rmsPredicted[p] = rms(predicted[p]);
  }
  return { predicted, rmsBefore, rmsPredicted };
}
