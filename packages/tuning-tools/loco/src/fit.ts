/**
 * The LOCO fit: measured − model over the fitted blocks of the orbit response
 * matrix (and the dispersion column), weighted by each BPM's noise, minimised
 * over the parameters FIT.yaml switches on (Gauss-Newton with singular-value
 * selection, or Levenberg-Marquardt with λ adapted per iteration), with
 * two-pass outlier rejection, and a record per iteration.
 *
 * Cost per iteration: one Jacobian of the model (the port's
 * orbitResponseJacobian, Pd gradient groups), the normal equations from the
 * structure (normal-equations.ts: O(N·Pd²) for N data and Pd groups, the gains
 * and couplings O(N·Pd + Pr·Pc)), one O(P³) eigen-decomposition, and one model
 * evaluation (orbit response, no Jacobian) per trial step.
 */
import type { LatticeModel, ParameterRef } from '@mlayer/core';
import { LocoError, LocoFileError } from './errors.js';
import type { FitSpec } from './fit-file.js';
import { type ColumnParameter, type RowParameter, buildNormalEquations } from './normal-equations.js';
import type { LocoOrm } from './orm-file.js';
import { type FitParameter, type ParameterKind, addTo, fitParameters, labelOf, valueOf } from './parameters.js';
import { type Evaluation, type FitState, type Layout, type Plane, applyGradients, copyState, evaluate, gradientDerivatives } from './model-matrix.js';
import { type Decomposition, decompose, parameterErrors, solveStep } from './solve-step.js';

/** BPM noise assumed when ORM.json has none (m). */
export const DEFAULT_NOISE = 1e-6;

export interface ParameterValue {
  readonly kind: ParameterKind;
  readonly name: string;
  readonly plane?: Plane;
  readonly value: number;
  /** 1σ from the covariance of the iteration's step (NaN at the start and for a parameter no data moves). */
  readonly sigma: number;
}

export interface IterationRecord {
  /** 0 is the start. */
  readonly iteration: number;
  readonly chi2: number;
  readonly dof: number;
  readonly chi2PerDof: number;
  /** rms of measured − model over the fitted ORM blocks (m; dispersion excluded). */
  readonly residualRms: number;
  /** λ of the accepted step (Levenberg-Marquardt methods); null otherwise. */
  readonly lambda: number | null;
  readonly singularValuesKept: number;
  readonly singularValues: number;
  /** Data entries rejected as outliers before this iteration. */
  readonly outliersRemoved: number;
  readonly parameters: readonly ParameterValue[];
  /** rms over every element of (β_fit − β_design)/β_design. */
  readonly betaBeat: { readonly x: number; readonly y: number };
  /** rms over every element of η_fit − η_design (m). */
  readonly dispersionBeat: { readonly x: number; readonly y: number };
}

export interface GroupResult {
  readonly name: string;
  readonly elements: readonly number[];
  readonly delta: number;
  readonly sigma: number;
  /** design + delta where the group's elements share a design value, else null. */
  readonly value: number | null;
}

export interface LocoResult {
  readonly iterations: readonly IterationRecord[];
  readonly quadrupoles: readonly GroupResult[];
  readonly skewQuadrupoles: readonly GroupResult[];
  readonly bpmGains: { readonly x: number[]; readonly y: number[] };
  readonly bpmCouplings: { readonly x: number[]; readonly y: number[] };
  /** rad per step. */
  readonly correctorKicks: { readonly x: number[]; readonly y: number[] };
  readonly correctorCouplings: { readonly x: number[]; readonly y: number[] };
  /** δ per step of the x correctors. */
  readonly energyShifts: number[];
  /** Fitted RF step of the dispersion column (Hz); null without it. */
  readonly rfStep: number | null;
  /** rms of measured − model over the fitted ORM blocks at the end (m). */
  readonly residualRms: number;
  readonly chi2PerDof: number;
  /** Stated handling: missing entries, default noise, parameters no data moves, directions cut, outliers, stops. */
  readonly notes: readonly string[];
  /** The fitted model (a copy of the design with the fitted gradients). */
  readonly model: LatticeModel;
  /**
   * measured − model at the end (m), rows the x then y readings of the BPMs, columns the x then y
   * correctors (then the dispersion column); `values[j * rows + r]`, NaN where not fitted (a block
   * left out, a missing entry, an outlier).
   */
  readonly residual: { readonly rows: number; readonly columns: number; readonly values: Float64Array };
}

export interface LocoFitOptions {
  /** Called with each iteration's record (entry 0: the start). */
  readonly onIteration?: (record: IterationRecord) => void;
  /** Called with each statement of handling as it is made. */
  readonly onNote?: (note: string) => void;
}

/** Pass methods that integrate PolynomA/PolynomB (AT's multipole, bend and thin-multipole passes). */
const MULTIPOLE_PASS = /MPole|Multipole/;

/** Most λ trials per Levenberg-Marquardt iteration. */
const MAX_TRIALS = 10;

/** Checks the lists against the lattice and builds the layout; errors name the file and field. */
function buildLayout(model: LatticeModel, orm: LocoOrm, spec: FitSpec): { layout: Layout; designValues: number[][]; rfFrequency: number } {
  const n = model.length;
  orm.bpms.forEach((b, i) => {
    if (b.element > n) throw new LocoFileError(orm.file, `bpms[${i}].element`, `is outside the lattice (0..${n})`, b.element);
  });
  const correctorElements: number[] = [];
  const seen = new Map<number, number>();
  const columnPlane: Plane[] = [];
  const columnElement: number[] = [];
  for (const p of ['x', 'y'] as const) {
    orm.correctors[p].forEach((c, j) => {
      if (c.element >= n) throw new LocoFileError(orm.file, `correctors.${p}[${j}].element`, `is outside the lattice (0..${n - 1})`, c.element);
      if (!seen.has(c.element)) {
        seen.set(c.element, correctorElements.length);
        correctorElements.push(c.element);
      }
      columnPlane.push(p);
      columnElement.push(seen.get(c.element)!);
    });
  }
  if (spec.dispersion && !orm.dispersion) throw new LocoFileError(spec.file, 'dispersion', `asks for the dispersion column, but ${orm.file} has no 'dispersion'`, spec.dispersion);
  if (spec.fit.rf && !spec.dispersion) throw new LocoFileError(spec.file, 'fit.rf', "fits the RF step of the dispersion column: add 'dispersion: {weightX, weightY}'", true);
  if (spec.couplingBlocks && !orm.orm.xy && !orm.orm.yx) throw new LocoFileError(spec.file, 'couplingBlocks', `is true, but ${orm.file} holds neither orm.xy nor orm.yx`, true);
  const groups: ParameterRef[][] = [];
  const designValues: number[][] = [];
  for (const [kind, field] of [['quadrupoles', 'PolynomB'], ['skewQuadrupoles', 'PolynomA']] as const) {
    spec.fit[kind].forEach((g, i) => {
      const refs: ParameterRef[] = [];
      const values: number[] = [];
      g.elements.forEach((e, k) => {
        const where = `fit.${kind}[${i}].elements[${k}]`;
        if (e >= n) throw new LocoFileError(spec.file, where, `is outside the lattice (0..${n - 1})`, e);
        const ref = { element: e, field, index: 1 };
        const info = model.element(e);
        if (!MULTIPOLE_PASS.test(info.passMethod)) {
          throw new LocoFileError(spec.file, where, `element ${e} (${info.famName}, ${info.passMethod}) is not a magnet whose ${field}[1] acts on the beam`, e);
        }
        try {
          values.push(model.getParameter(ref));
        } catch (err) {
          throw new LocoFileError(spec.file, where, `element ${e} (${model.element(e).famName}) has no ${field}[1] (${(err as Error).message})`, e);
        }
        refs.push(ref);
      });
      groups.push(refs);
      designValues.push(values);
    });
  }
  const nc = columnPlane.length;
  const dispersionColumn = spec.dispersion ? nc : -1;
  let rfFrequency = Number.NaN;
  if (spec.dispersion) {
    for (const c of model.find('class:RFCavity')) {
      try {
        const f = model.getParameter({ element: c, field: 'Frequency' });
        if (Number.isFinite(f) && f > 0) {
          rfFrequency = f;
          break;
        }
      } catch {
        // a cavity without a Frequency field: try the next
      }
    }
    if (!Number.isFinite(rfFrequency)) throw new LocoError(`the dispersion column needs the RF frequency, but the lattice has no RFCavity element with a Frequency (${spec.file}: dispersion)`);
  }
  const layout: Layout = {
    nb: orm.bpms.length,
    nc,
    ncx: orm.correctors.x.length,
    columns: nc + (spec.dispersion ? 1 : 0),
    rows: 2 * orm.bpms.length,
    dispersionColumn,
    bpmElements: orm.bpms.map((b) => b.element),
    correctorElements,
    columnPlane,
    columnElement,
    groups,
    orbitType: spec.orbitType,
    needsDispersion: !!spec.dispersion || !!spec.fit.energyShifts,
  };
  return { layout, designValues, rfFrequency };
}

/** Measured matrix (flat, column-major) and base weights (1/σ; 0 for blocks not fitted and missing entries). */
function measuredData(orm: LocoOrm, spec: FitSpec, layout: Layout): { measured: Float64Array; weights: Float64Array; ormEntry: Uint8Array } {
  const { rows: R, nb, ncx } = layout;
  const measured = new Float64Array(R * layout.columns).fill(Number.NaN);
  const weights = new Float64Array(R * layout.columns);
  const ormEntry = new Uint8Array(R * layout.columns);
  const sigma = (a: Plane, i: number) => orm.noise?.[a][i] ?? DEFAULT_NOISE;
  for (let j = 0; j < layout.nc; j++) {
    const b = layout.columnPlane[j];
    const jj = b === 'x' ? j : j - ncx;
    for (const a of ['x', 'y'] as const) {
      const block = orm.orm[`${a}${b}` as 'xx' | 'xy' | 'yx' | 'yy'];
      const fitted = a === b || spec.couplingBlocks;
      for (let i = 0; i < nb; i++) {
        const r = a === 'x' ? i : nb + i;
        const v = block ? block[i][jj] : Number.NaN;
        measured[j * R + r] = v;
        if (fitted && Number.isFinite(v)) {
          weights[j * R + r] = 1 / sigma(a, i);
          ormEntry[j * R + r] = 1;
        }
      }
    }
  }
  if (layout.dispersionColumn >= 0) {
    const o = layout.dispersionColumn * R;
    for (const a of ['x', 'y'] as const) {
      const wgt = a === 'x' ? spec.dispersion!.weightX : spec.dispersion!.weightY;
      for (let i = 0; i < nb; i++) {
        const r = a === 'x' ? i : nb + i;
        const v = orm.dispersion![a][i];
        measured[o + r] = v;
        if (Number.isFinite(v) && wgt > 0) weights[o + r] = wgt / sigma(a, i);
      }
    }
  }
  return { measured, weights, ormEntry };
}

/** G_r ũ(r) + C_r ũ(r') for a raw orbit ũ. */
function readBy(layout: Layout, s: FitState, u: Float64Array): Float64Array {
  const nb = layout.nb;
  return Float64Array.from(u, (v, r) => s.gain[r] * v + s.coupling[r] * u[r < nb ? r + nb : r - nb]);
}

/** The row and column parameters' derivatives at a state. */
function structuredDerivatives(params: readonly FitParameter[], layout: Layout, s: FitState, ev: Evaluation): { rows: RowParameter[]; columns: ColumnParameter[] } {
  const rows: RowParameter[] = [];
  const columns: ColumnParameter[] = [];
  const nb = layout.nb;
  for (const p of params) {
    if (p.structure === 'row') {
      const r = p.kind === 'bpmGain' ? p.index : p.index < nb ? p.index + nb : p.index - nb;
      rows.push({ row: p.index, a: Float64Array.from(ev.u, (u) => u[r]) });
    } else if (p.structure === 'column') {
      const j = p.index;
      let raw: Float64Array;
      if (p.kind === 'rf') raw = Float64Array.from(ev.eta, (v) => ev.rho * v);
      else if (p.kind === 'energyShift') raw = ev.eta;
      else {
        const b = layout.columnPlane[j];
        const e = layout.columnElement[j];
        const rb = ev.resp[b][e];
        const ro = ev.resp[b === 'x' ? 'y' : 'x'][e];
        raw = p.kind === 'correctorKick' ? Float64Array.from(rb, (v, r) => v + s.kickCoupling[j] * ro[r]) : Float64Array.from(ro, (v) => s.kick[j] * v);
      }
      columns.push({ column: j, b: readBy(layout, s, raw) });
    }
  }
  return { rows, columns };
}

function rmsOf(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return v.length > 0 ? Math.sqrt(s / v.length) : Number.NaN;
}

/** Fits `orm` with the parameters of `spec`, starting from `design` (left unchanged). */
export function locoFit(design: LatticeModel, orm: LocoOrm, spec: FitSpec, options: LocoFitOptions = {}): LocoResult {
  const notes: string[] = [];
  const note = (s: string) => {
    notes.push(s);
    options.onNote?.(s);
  };
  const model = design.clone();
  const { layout, designValues, rfFrequency } = buildLayout(model, orm, spec);
  const params = fitParameters(orm, spec, layout);
  if (params.length === 0) throw new LocoFileError(spec.file, 'fit', 'switches on no parameter', {});
  const { measured, weights: baseWeights, ormEntry } = measuredData(orm, spec, layout);
  if (orm.missing.length > 0) {
    note(`${orm.file}: ${orm.missing.length} missing entr${orm.missing.length === 1 ? 'y' : 'ies'} (null, NaN or infinite) left out of the fit: ${orm.missing.slice(0, 6).join(', ')}${orm.missing.length > 6 ? ', ...' : ''}`);
  }
  if (!orm.noise) note(`${orm.file}: no 'noise': every BPM weighted with σ = ${DEFAULT_NOISE} m (χ²/DOF then compares the residual with 1 µm)`);
  const weights = baseWeights.slice();
  const N = weights.length;
  const R = layout.rows;

  const state: FitState = {
    dk: new Float64Array(layout.groups.length),
    gain: new Float64Array(R).fill(1),
    coupling: new Float64Array(R),
    kick: Float64Array.from([...orm.correctors.x, ...orm.correctors.y], (c) => c.kick),
    kickCoupling: new Float64Array(layout.nc),
    energy: new Float64Array(layout.nc),
    rfStep: orm.dispersion?.rfStep ?? 0,
  };
  const start = params.map((p) => valueOf(p, state));

  const allElements = Array.from({ length: design.length }, (_v, i) => i);
  const designOptics = design.optics(allElements);
  const beats = (m: LatticeModel) => {
    const o = m.optics(allElements);
    const bx = o.map((e, i) => (e.beta[0] - designOptics[i].beta[0]) / designOptics[i].beta[0]);
    const by = o.map((e, i) => (e.beta[1] - designOptics[i].beta[1]) / designOptics[i].beta[1]);
    const dx = o.map((e, i) => e.dispersion[0] - designOptics[i].dispersion[0]);
    const dy = o.map((e, i) => e.dispersion[2] - designOptics[i].dispersion[2]);
    return { betaBeat: { x: rmsOf(bx), y: rmsOf(by) }, dispersionBeat: { x: rmsOf(dx), y: rmsOf(dy) } };
  };

  const residualOf = (ev: Evaluation) => Float64Array.from(measured, (v, i) => v - ev.model[i]);
  const chi2Of = (res: Float64Array, s: FitState) => {
    let c = 0;
    for (let i = 0; i < N; i++) if (weights[i] !== 0) c += (weights[i] * res[i]) ** 2;
    params.forEach((p, k) => {
      if (p.weight !== undefined) c += (p.weight * (valueOf(p, s) - start[k])) ** 2;
    });
    return c;
  };
  const ormRms = (res: Float64Array) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < N; i++) {
      if (ormEntry[i] && weights[i] !== 0) {
        s += res[i] * res[i];
        n++;
      }
    }
    return n > 0 ? Math.sqrt(s / n) : Number.NaN;
  };
  const used = () => {
    let n = 0;
    for (let i = 0; i < N; i++) if (weights[i] !== 0) n++;
    return n;
  };

  applyGradients(model, layout, designValues, state.dk);
  let ev = evaluate(model, layout, state, rfFrequency);
  let res = residualOf(ev);
  let chi2 = chi2Of(res, state);
  const records: IterationRecord[] = [];
  const push = (r: IterationRecord) => {
    records.push(r);
    options.onIteration?.(r);
  };
  const record = (iteration: number, dec: Decomposition | undefined, lambda: number | null, outliersRemoved: number, sigmas: Float64Array | undefined): IterationRecord => {
    const kept = dec?.kept ?? 0;
    const dof = Math.max(1, used() - (dec ? kept : params.length));
    return {
      iteration,
      chi2,
      dof,
      chi2PerDof: chi2 / dof,
      residualRms: ormRms(res),
      lambda,
      singularValuesKept: kept,
      singularValues: dec?.p ?? 0,
      outliersRemoved,
      parameters: params.map((p, k) => ({ kind: p.kind, name: p.name, ...(p.plane ? { plane: p.plane } : {}), value: valueOf(p, state), sigma: sigmas ? sigmas[k] : Number.NaN })),
      ...beats(model),
    };
  };
  push(record(0, undefined, null, 0, undefined));

  let mu = spec.lambda;
  let reportedCut = -1;
  const reportedEmpty = new Set<number>();
  for (let it = 1; it <= spec.iterations; it++) {
    const removed = it >= 2 && spec.outlierThreshold > 0 ? rejectOutliers(weights, res, spec.outlierThreshold) : 0;
    if (removed > 0) {
      chi2 = chi2Of(res, state);
      note(`iteration ${it}: ${removed} data entr${removed === 1 ? 'y' : 'ies'} rejected as outliers (weighted residual above ${spec.outlierThreshold} × rms, two passes)`);
    }
    const dense = gradientDerivatives(model, layout, state, ev);
    const { rows, columns } = structuredDerivatives(params, layout, state, ev);
    const ne = buildNormalEquations({ rows: R, columns: layout.columns, weights, residual: res, dense, rowParameters: rows, columnParameters: columns });
    params.forEach((p, k) => {
      if (p.weight === undefined) return;
      ne.a[k][k] += p.weight * p.weight;
      ne.g[k] += p.weight * p.weight * (start[k] - valueOf(p, state));
    });
    const dec = decompose(ne.a, ne.g, spec.svThreshold, spec.columnNormalisation);
    for (const k of dec.empty) {
      if (reportedEmpty.has(k)) continue;
      reportedEmpty.add(k);
      note(`parameter ${labelOf(params[k])}: no fitted datum depends on it (at the start model; e.g. a coupling without the coupling blocks): left at ${valueOf(params[k], state)}`);
    }
    const cut = dec.p - dec.kept - dec.empty.length;
    if (cut > 0 && cut !== reportedCut) {
      reportedCut = cut;
      note(`iteration ${it}: ${cut} of ${dec.p - dec.empty.length} directions cut (singular value ≤ ${spec.svThreshold} × the largest): ${describeCut(dec, params)}`);
    }
    const sigmas = parameterErrors(dec);
    for (const k of dec.empty) sigmas[k] = Number.NaN;
    const trial = (m: number) => {
      const step = solveStep(dec, spec.method, m);
      const next = copyState(state);
      params.forEach((p, k) => addTo(p, next, step[k]));
      applyGradients(model, layout, designValues, next.dk);
      const e = evaluate(model, layout, next, rfFrequency);
      const r = residualOf(e);
      return { next, e, r, c: chi2Of(r, next) };
    };
    let accepted: ReturnType<typeof trial> | undefined;
    let lambda: number | null = null;
    if (spec.method === 'gauss-newton') accepted = trial(0);
    else {
      for (let t = 0; t < MAX_TRIALS; t++) {
        const tr = trial(mu);
        if (tr.c < chi2) {
          accepted = tr;
          lambda = mu;
          mu = Math.max(mu / 10, 1e-12);
          break;
        }
        mu *= 10;
      }
    }
    if (!accepted) {
      applyGradients(model, layout, designValues, state.dk);
      note(`iteration ${it}: no step with λ up to ${mu / 10} lowered χ² (${chi2.toExponential(4)}): the fit stops`);
      break;
    }
    for (const k of Object.keys(state) as (keyof FitState)[]) {
      const v = accepted.next[k];
      if (typeof v === 'number') state.rfStep = v;
      else (state[k] as Float64Array).set(v);
    }
    ev = accepted.e;
    res = accepted.r;
    chi2 = accepted.c;
    push(record(it, dec, lambda, removed, sigmas));
  }

  const last = records[records.length - 1];
  const sigmaOf = (kind: ParameterKind, index: number) => last.parameters[params.findIndex((p) => p.kind === kind && p.index === index)]?.sigma ?? Number.NaN;
  const groupResults = (kind: 'quadrupoles' | 'skewQuadrupoles'): GroupResult[] => {
    const offset = kind === 'quadrupoles' ? 0 : spec.fit.quadrupoles.length;
    return spec.fit[kind].map((g, i) => {
      const k = offset + i;
      const d = designValues[k];
      const shared = d.every((v) => Math.abs(v - d[0]) <= 1e-12 * Math.max(1, Math.abs(d[0])));
      return { name: g.name, elements: g.elements, delta: state.dk[k], sigma: sigmaOf(kind === 'quadrupoles' ? 'quadrupole' : 'skewQuadrupole', k), value: shared ? d[0] + state.dk[k] : null };
    });
  };
  const nb = layout.nb;
  const split = (v: Float64Array, n: number) => ({ x: Array.from(v.subarray(0, n)), y: Array.from(v.subarray(n)) });
  return {
    iterations: records,
    quadrupoles: groupResults('quadrupoles'),
    skewQuadrupoles: groupResults('skewQuadrupoles'),
    bpmGains: split(state.gain, nb),
    bpmCouplings: split(state.coupling, nb),
    correctorKicks: split(state.kick, layout.ncx),
    correctorCouplings: split(state.kickCoupling, layout.ncx),
    energyShifts: Array.from(state.energy.subarray(0, layout.ncx)),
    rfStep: layout.dispersionColumn >= 0 ? state.rfStep : null,
    residualRms: last.residualRms,
    chi2PerDof: last.chi2PerDof,
    notes,
    model,
    residual: { rows: R, columns: layout.columns, values: Float64Array.from(res, (v, i) => (weights[i] !== 0 ? v : Number.NaN)) },
  };
}

/**
 * Two passes: entries whose weighted residual exceeds `threshold` × the rms of
 * the kept weighted residuals get weight 0; the rms is taken again without
 * them, and the test repeated. Returns how many were removed.
 */
export function rejectOutliers(weights: Float64Array, residual: Float64Array, threshold: number): number {
  let removed = 0;
  for (let pass = 0; pass < 2; pass++) {
    let s = 0;
    let n = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      s += (weights[i] * residual[i]) ** 2;
      n++;
    }
    if (n === 0) return removed;
    const limit = threshold * Math.sqrt(s / n);
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] !== 0 && Math.abs(weights[i] * residual[i]) > limit) {
        weights[i] = 0;
        removed++;
      }
    }
  }
  return removed;
}

/** The weakest cut direction in words: the parameters it is made of. */
function describeCut(dec: Decomposition, params: readonly FitParameter[]): string {
  const v = dec.vectors[dec.p - 1 - dec.empty.length] ?? dec.vectors[dec.p - 1];
  const top = Array.from(v, (c, k) => [Math.abs(c), k] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 4)
    .filter(([c]) => c > 0.05);
  return `the weakest mixes ${top.map(([c, k]) => `${labelOf(params[k])} (${c.toFixed(2)})`).join(', ')}`;
}
