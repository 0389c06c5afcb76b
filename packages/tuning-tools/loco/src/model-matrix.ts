/**
 * The LOCO model of the measured matrix, and its derivatives.
 *
 * Rows r: the x readings of the nb BPMs, then their y readings (R = 2·nb);
 * columns j: the x correctors, the y correctors, then the dispersion column
 * when it is fitted. For corrector j of plane b at element e with kick θ_j,
 * coupling γ_j (the share of its kick in the other plane b̄) and energy shift
 * ε_j (horizontal correctors: δ per step), the orbit it makes is
 *
 *   u_j = θ_j (R_b(e) + γ_j R_b̄(e)) + ε_j η,
 *
 * R_c(e) the model's response (both planes) to a unit kick of plane c at e, η
 * the dispersion at the BPMs; the dispersion column is u_D = Δf · ρ · η with
 * ρ = −1/(α_c f_RF) (δ per Hz at fixed path length) and Δf the RF step. BPM r
 * (plane a, partner row r' of plane ā) reads
 *
 *   M(r, j) = G_r u_j(r) + C_r u_j(r'),
 *
 * G the gain, C the coupling (roll) of the reading.
 */
import type { LatticeModel, OrbitResponse, ParameterRef } from '@mlayer/core';
import { LocoError } from './errors.js';

export type Plane = 'x' | 'y';

/** What the fit varies, as numbers (the state of one iteration). */
export interface FitState {
  /** ΔK of the quadrupole groups, then the skew groups (m⁻²). */
  readonly dk: Float64Array;
  /** BPM gains per row (x rows then y rows). */
  readonly gain: Float64Array;
  /** BPM couplings per row: the share of the other plane's orbit in the reading. */
  readonly coupling: Float64Array;
  /** Corrector kicks per corrector column (rad per step). */
  readonly kick: Float64Array;
  /** Corrector couplings per corrector column. */
  readonly kickCoupling: Float64Array;
  /** Energy shift per corrector column (δ per step; fitted for x correctors only). */
  readonly energy: Float64Array;
  /** RF step of the dispersion column (Hz). */
  rfStep: number;
}

export function copyState(s: FitState): FitState {
  return {
    dk: s.dk.slice(),
    gain: s.gain.slice(),
    coupling: s.coupling.slice(),
    kick: s.kick.slice(),
    kickCoupling: s.kickCoupling.slice(),
    energy: s.energy.slice(),
    rfStep: s.rfStep,
  };
}

export interface Layout {
  readonly nb: number;
  /** Number of corrector columns (x then y). */
  readonly nc: number;
  readonly ncx: number;
  /** Columns in all (correctors, plus 1 with the dispersion column). */
  readonly columns: number;
  readonly rows: number;
  /** Index of the dispersion column, −1 without. */
  readonly dispersionColumn: number;
  readonly bpmElements: readonly number[];
  /** Distinct corrector elements, as handed to the model. */
  readonly correctorElements: readonly number[];
  /** Per corrector column: its kick plane and its position in correctorElements. */
  readonly columnPlane: readonly Plane[];
  readonly columnElement: readonly number[];
  /** Gradient groups as parameter references (quadrupoles, then skew quadrupoles). */
  readonly groups: readonly (readonly ParameterRef[])[];
  readonly orbitType: 'fixed-path-length' | 'fixed-momentum';
  /** Whether η is needed (dispersion column or energy shifts). */
  readonly needsDispersion: boolean;
}

/** The model at one state: raw corrector orbits and the modelled matrix. */
export interface Evaluation {
  /** R_c(e) per distinct corrector element and kick plane: resp[c][e] (length R). */
  readonly resp: { readonly x: Float64Array[]; readonly y: Float64Array[] };
  /** η at the BPM rows (length R), zeros when not needed. */
  readonly eta: Float64Array;
  /** −1/(α_c f_RF): δ per Hz. */
  readonly rho: number;
  /** u per column (length R each). */
  readonly u: Float64Array[];
  /** Modelled matrix, flat column-major (j·R + r). */
  readonly model: Float64Array;
}

/** Rows of a response (BPM order of the layout) as one R-vector per column: x rows, then y rows. */
function columnsOf(r: OrbitResponse, layout: Layout, plane: Plane): Float64Array[] {
  const bpmPos = new Map(r.bpms.map((b, i) => [b, i]));
  const corPos = new Map(r.correctors.map((c, i) => [c, i]));
  const ax = plane === 'x' ? r.Rxx : r.Rxy;
  const ay = plane === 'x' ? r.Ryx : r.Ryy;
  const nb = layout.nb;
  return layout.correctorElements.map((e) => {
    const c = corPos.get(e);
    if (c === undefined) throw new LocoError(`the model's orbit response has no column for corrector element ${e}`);
    const out = new Float64Array(2 * nb);
    layout.bpmElements.forEach((b, i) => {
      const k = bpmPos.get(b);
      if (k === undefined) throw new LocoError(`the model's orbit response has no row for BPM element ${b}`);
      out[i] = ax[k][c];
      out[nb + i] = ay[k][c];
    });
    return out;
  });
}

/** η at the BPM rows, from a list the model returned for the sorted, distinct BPM elements. */
function etaRows(layout: Layout, sorted: readonly number[], values: readonly (ArrayLike<number>)[]): Float64Array {
  const pos = new Map(sorted.map((b, i) => [b, i]));
  const out = new Float64Array(layout.rows);
  layout.bpmElements.forEach((b, i) => {
    const v = values[pos.get(b)!];
    out[i] = v[0];
    out[layout.nb + i] = v[1];
  });
  return out;
}

const sortedUnique = (v: readonly number[]) => [...new Set(v)].sort((a, b) => a - b);

/** The raw orbit u_j of column j into `col` (length R). */
function rawColumn(layout: Layout, resp: Evaluation['resp'], eta: Float64Array, rho: number, s: FitState, j: number, col: Float64Array): void {
  const R = layout.rows;
  if (j === layout.dispersionColumn) {
    const f = s.rfStep * rho;
    for (let r = 0; r < R; r++) col[r] = f * eta[r];
    return;
  }
  const b = layout.columnPlane[j];
  const e = layout.columnElement[j];
  const rb = resp[b][e];
  const ro = resp[b === 'x' ? 'y' : 'x'][e];
  const th = s.kick[j], ga = s.kickCoupling[j], ep = s.energy[j];
  for (let r = 0; r < R; r++) col[r] = th * (rb[r] + ga * ro[r]) + ep * eta[r];
}

/** M(r, j) = G_r u_j(r) + C_r u_j(r') into the flat column-major `model`, column j. */
function readColumn(layout: Layout, s: FitState, col: Float64Array, j: number, model: Float64Array): void {
  const R = layout.rows;
  const nb = layout.nb;
  const o = j * R;
  for (let r = 0; r < nb; r++) model[o + r] = s.gain[r] * col[r] + s.coupling[r] * col[r + nb];
  for (let r = nb; r < R; r++) model[o + r] = s.gain[r] * col[r] + s.coupling[r] * col[r - nb];
}

/** The modelled matrix for raw corrector responses and a state. */
function assemble(layout: Layout, resp: Evaluation['resp'], eta: Float64Array, rho: number, s: FitState): Evaluation {
  const u: Float64Array[] = [];
  const model = new Float64Array(layout.rows * layout.columns);
  for (let j = 0; j < layout.columns; j++) {
    const col = new Float64Array(layout.rows);
    rawColumn(layout, resp, eta, rho, s, j, col);
    readColumn(layout, s, col, j, model);
    u.push(col);
  }
  return { resp, eta, rho, u, model };
}

/** The modelled matrix only (one scratch column). */
function assembleModel(layout: Layout, resp: Evaluation['resp'], eta: Float64Array, rho: number, s: FitState): Float64Array {
  const model = new Float64Array(layout.rows * layout.columns);
  const col = new Float64Array(layout.rows);
  for (let j = 0; j < layout.columns; j++) {
    rawColumn(layout, resp, eta, rho, s, j, col);
    readColumn(layout, s, col, j, model);
  }
  return model;
}

/** Sets the gradient groups of `model` to design + ΔK. */
export function applyGradients(model: LatticeModel, layout: Layout, design: readonly (readonly number[])[], dk: Float64Array): void {
  layout.groups.forEach((g, k) => g.forEach((ref, i) => model.setParameter(ref, design[k][i] + dk[k])));
}

/** δ per Hz of RF frequency at fixed path length: −1/(α_c f_RF). */
export function rfToDelta(model: LatticeModel, rfFrequency: number): number {
  const alpha = model.momentumCompaction();
  if (!(Number.isFinite(alpha) && alpha !== 0)) throw new LocoError(`the model's momentum compaction is ${alpha}: the dispersion column cannot be modelled`);
  return -1 / (alpha * rfFrequency);
}

/** Evaluates the model (whose gradients are already set to the state's) at a state. */
export function evaluate(model: LatticeModel, layout: Layout, s: FitState, rfFrequency: number): Evaluation {
  const r = model.orbitResponse(layout.bpmElements, layout.correctorElements, { orbitType: layout.orbitType });
  const resp = { x: columnsOf(r, layout, 'x'), y: columnsOf(r, layout, 'y') };
  let eta: Float64Array = new Float64Array(layout.rows);
  let rho = 0;
  if (layout.needsDispersion) {
    const sorted = sortedUnique(layout.bpmElements);
    eta = etaRows(layout, sorted, model.dispersion(sorted));
    if (layout.dispersionColumn >= 0) rho = rfToDelta(model, rfFrequency);
  }
  return assemble(layout, resp, eta, rho, s);
}

/** Re-assembles an evaluation for another state with the same gradients (gains, kicks, couplings changed only). */
export function reassemble(layout: Layout, ev: Evaluation, s: FitState): Evaluation {
  return assemble(layout, ev.resp, ev.eta, ev.rho, s);
}

/**
 * ∂M/∂ΔK for every gradient group, flat column-major, from the port's Jacobian
 * (d(ORM)/dK and, when needed, dη/dK) at the model's present gradients.
 */
export function gradientDerivatives(model: LatticeModel, layout: Layout, s: FitState, ev: Evaluation): Float64Array[] {
  if (layout.groups.length === 0) return [];
  const jac = model.orbitResponseJacobian(layout.bpmElements, layout.correctorElements, layout.groups, {
    dispersion: layout.needsDispersion,
    orbitType: layout.orbitType,
  });
  return jac.orm.map((d, k) => {
    const resp = { x: columnsOf(d, layout, 'x'), y: columnsOf(d, layout, 'y') };
    let deta: Float64Array = new Float64Array(layout.rows);
    if (layout.needsDispersion) {
      const dd = jac.dispersion?.[k];
      if (!dd) throw new LocoError("the model's Jacobian has no dispersion derivative although it was asked for");
      deta = etaRows(layout, d.bpms, d.bpms.map((_b, i) => [dd[0][i], dd[1][i]]));
    }
    // The derivative is linear in (resp, η) at fixed gains, kicks, couplings: assemble it like the model.
    return assembleModel(layout, resp, deta, ev.rho, s);
  });
}
