/**
 * Response matrices from the linearised map around the closed orbit (no
 * re-tracking per corrector).
 *
 * With M_p the transfer matrix from the start to position p, T the one-turn
 * matrix and W = (I - T)^-1, a 4D kick v applied at position p (the exit of
 * element p-1) moves the closed orbit at position b by
 *     z_b = M_b W u            for b >= p,
 *     z_b = M_b (W - I) u      for b <  p,        with u = M_p^-1 v.
 * A corrector's v is d(exit coordinates)/d(KickAngle) through that element
 * (finite difference over the element alone), so thick correctors and
 * steerers inside multipoles are handled exactly to first order.
 *
 * A parameter change dM_e of element e acts on the closed orbit as a kick
 * dM_e z_e at its exit, which gives d(ORM)/d(parameter) from the same Green
 * function; the tune response follows from first-order perturbation of the
 * normal modes: dmu_k = -tr(E_kk) / (2 sin mu_k), E = A^-1 T M_{e+1}^-1 dM_e M_e A.
 */
import { MlayerError } from '@mlayer/core';
import { normalModes4, twissFromA } from './amat.js';
import {
  correctorKicks,
  elementKickDerivative,
  elementMatrixDerivative,
  KICK_STEP,
  parameterStep,
  replaceElement,
} from './element-maps.js';
import { analyticMatrixDerivative } from './element-derivatives.js';
import { identity4, inv4, lu4, luSolve4, mul4, mulVec4, sub4, type Lu4, type Mat4, type Vec4 } from './mat4.js';
import { computeLinearState, matrixAt, oneTurn, type LinearState } from './linear-state.js';
import { copyElement, readParameter, writeParameter, type ElementParameter } from './parameters.js';
import { normalizeRefpts, trackSegment } from './propagate.js';
import type { CompiledLattice } from './tracking-api.js';

/** Orbit response blocks, rows = BPMs, columns = correctors (m/rad, or m per parameter unit for derivatives). */
export interface OrbitResponseMatrices {
  readonly bpms: readonly number[];
  readonly correctors: readonly number[];
  /** x at the BPMs vs horizontal kicks. */
  readonly Rxx: Float64Array[];
  /** x vs vertical kicks. */
  readonly Rxy: Float64Array[];
  /** y vs horizontal kicks. */
  readonly Ryx: Float64Array[];
  /** y vs vertical kicks. */
  readonly Ryy: Float64Array[];
}

/** The closed-orbit Green function of a linear state. */
export class OrbitGreen {
  readonly W: Mat4;
  private readonly luCache = new Map<number, Lu4>();

  constructor(readonly state: LinearState) {
    const f = lu4(sub4(identity4(), oneTurn(state)));
    if (!f) throw new MlayerError('orbit response: I - T is singular (integer tune); the closed orbit does not respond uniquely');
    const W = new Float64Array(16);
    const e = new Float64Array(4);
    const col = new Float64Array(4);
    for (let j = 0; j < 4; j++) {
      e.fill(0);
      e[j] = 1;
      luSolve4(f, e, col);
      for (let i = 0; i < 4; i++) W[4 * i + j] = col[i];
    }
    this.W = W;
  }

  private luAt(p: number): Lu4 {
    let f = this.luCache.get(p);
    if (!f) {
      const g = lu4(matrixAt(this.state, p));
      if (!g) throw new MlayerError(`orbit response: singular transfer matrix at position ${p}`);
      this.luCache.set(p, g);
      f = g;
    }
    return f;
  }

  /**
   * For a kick v at position p: the pair (after, before) with z_b = M_b * after
   * for b >= p and z_b = M_b * before for b < p.
   */
  source(p: number, v: Vec4): { after: Vec4; before: Vec4 } {
    const u = luSolve4(this.luAt(p), v);
    const after = mulVec4(this.W, u);
    const before = new Float64Array(4);
    for (let k = 0; k < 4; k++) before[k] = after[k] - u[k];
    return { after, before };
  }

  /** Orbit (4) at position b caused by a source at position p. */
  orbitAt(b: number, p: number, src: { after: Vec4; before: Vec4 }, out: Vec4 = new Float64Array(4)): Vec4 {
    return mulVec4(matrixAt(this.state, b), b >= p ? src.after : src.before, out);
  }
}

function zeros(rows: number, cols: number): Float64Array[] {
  return Array.from({ length: rows }, () => new Float64Array(cols));
}

/** Adds the response of BPM rows (x, y) to a source at position p into column c of two blocks. */
function addColumn(
  state: LinearState,
  bpms: readonly number[],
  p: number,
  src: { after: Vec4; before: Vec4 },
  c: number,
  bx: Float64Array[],
  by: Float64Array[],
  scale = 1,
): void {
  const ms = state.ms;
  for (let i = 0; i < bpms.length; i++) {
    const b = bpms[i];
    const y = b >= p ? src.after : src.before;
    const o = 16 * b;
    bx[i][c] += scale * (ms[o] * y[0] + ms[o + 1] * y[1] + ms[o + 2] * y[2] + ms[o + 3] * y[3]);
    by[i][c] += scale * (ms[o + 8] * y[0] + ms[o + 9] * y[1] + ms[o + 10] * y[2] + ms[o + 11] * y[3]);
  }
}

export function checkElements(compiled: CompiledLattice, list: readonly number[], what: string, allowEnd: boolean): void {
  const N = compiled.elements.length;
  for (const i of list) {
    if (!Number.isInteger(i) || i < 0 || i > (allowEnd ? N : N - 1)) {
      throw new RangeError(`${what} index ${i} is outside 0..${allowEnd ? N : N - 1}`);
    }
  }
}

export interface ResponseOptions {
  readonly dp?: number;
  /** A linear state already computed for this lattice and dp (skips the orbit and matrices). */
  readonly state?: LinearState;
}

export function stateFor(compiled: CompiledLattice, options: ResponseOptions): LinearState {
  if (options.state) {
    if (options.state.compiled !== compiled) throw new MlayerError('response: the given linear state belongs to another compiled lattice');
    return options.state;
  }
  return computeLinearState(compiled, { dp: options.dp ?? 0 });
}

/** Kick vectors of the correctors (cached per linear state by the caller if wanted). */
export function correctorSources(green: OrbitGreen, correctors: readonly number[]): { px: number; sx: { after: Vec4; before: Vec4 }; sy: { after: Vec4; before: Vec4 } }[] {
  const st = green.state;
  return correctors.map((c) => {
    const orbitIn = st.orbits.subarray(6 * c, 6 * c + 6);
    const [vx, vy] = correctorKicks(st.compiled, c, orbitIn);
    return { px: c + 1, sx: green.source(c + 1, vx), sy: green.source(c + 1, vy) };
  });
}

/**
 * Orbit response matrix (all BPMs x all correctors, both planes) from the
 * linearised map around the closed orbit. BPMs observe at the entrance of
 * their element (N = end of the lattice is allowed).
 */
export function orbitResponse(
  compiled: CompiledLattice,
  bpms: readonly number[],
  correctors: readonly number[],
  options: ResponseOptions = {},
): OrbitResponseMatrices {
  checkElements(compiled, bpms, 'BPM', true);
  checkElements(compiled, correctors, 'corrector', false);
  const green = new OrbitGreen(stateFor(compiled, options));
  const nb = bpms.length, nc = correctors.length;
  const Rxx = zeros(nb, nc), Rxy = zeros(nb, nc), Ryx = zeros(nb, nc), Ryy = zeros(nb, nc);
  correctorSources(green, correctors).forEach((s, c) => {
    addColumn(green.state, bpms, s.px, s.sx, c, Rxx, Ryx);
    addColumn(green.state, bpms, s.px, s.sy, c, Rxy, Ryy);
  });
  return { bpms: [...bpms], correctors: [...correctors], Rxx, Rxy, Ryx, Ryy };
}

/** Groups the refs of a parameter group by element (checks the group is not empty, each element and field). */
export function byElement(compiled: CompiledLattice, group: readonly ElementParameter[]): Map<number, ElementParameter[]> {
  if (group.length === 0) throw new MlayerError('parameter group is empty');
  const m = new Map<number, ElementParameter[]>();
  for (const r of group) {
    checkElements(compiled, [r.element], 'parameter element', false);
    readParameter(compiled.elements[r.element].element, r); // validates the field
    const l = m.get(r.element) ?? [];
    l.push(r);
    m.set(r.element, l);
  }
  return m;
}

/**
 * d(v)/d(parameter) of a corrector element's own kick vectors (x and y planes):
 * central difference, over the parameter, of the kick derivative over the element.
 */
export function correctorKickDerivative(green: OrbitGreen, e: number, refs: readonly ElementParameter[], step: number | undefined): [Vec4, Vec4] {
  const compiled = green.state.compiled;
  const orbitIn = green.state.orbits.subarray(6 * e, 6 * e + 6);
  const base = compiled.elements[e].element;
  const h = step ?? Math.max(...refs.map((r) => parameterStep(readParameter(base, r))));
  const shiftedLattice = (sign: number) => {
    const el = copyElement(base);
    for (const r of refs) writeParameter(el, r, readParameter(el, r) + sign * h);
    return replaceElement(compiled, e, el);
  };
  const up = shiftedLattice(1), dn = shiftedLattice(-1);
  return [0, 1].map((plane) => {
    const ka = [{ element: e, field: 'KickAngle', index: plane }];
    const vUp = elementKickDerivative(up, e, ka, orbitIn, KICK_STEP);
    const vDn = elementKickDerivative(dn, e, ka, orbitIn, KICK_STEP);
    const dv = new Float64Array(4);
    for (let k = 0; k < 4; k++) dv[k] = (vUp[k] - vDn[k]) / (2 * h);
    return dv;
  }) as [Vec4, Vec4];
}

/**
 * A parameter of a corrector element also changes that corrector's own kick v:
 * adds the response to d(v)/d(parameter) into that corrector's columns; returns d(v).
 */
export function addCorrectorParameterTerm(
  green: OrbitGreen,
  bpms: readonly number[],
  correctors: readonly number[],
  e: number,
  refs: readonly ElementParameter[],
  step: number | undefined,
  R: { readonly Rxx: Float64Array[]; readonly Rxy: Float64Array[]; readonly Ryx: Float64Array[]; readonly Ryy: Float64Array[] },
): [Vec4, Vec4] {
  const dv = correctorKickDerivative(green, e, refs, step);
  correctors.forEach((c, j) => {
    if (c !== e) return;
    addColumn(green.state, bpms, c + 1, green.source(c + 1, dv[0]), j, R.Rxx, R.Ryx);
    addColumn(green.state, bpms, c + 1, green.source(c + 1, dv[1]), j, R.Rxy, R.Ryy);
  });
  return dv;
}

/** d(element matrix)/d(group on that element): closed form for linear thick quadrupoles and bends, else central differences. */
export function matrixDerivative(compiled: CompiledLattice, e: number, refs: readonly ElementParameter[], orbitIn: ArrayLike<number>, step?: number): Mat4 {
  return analyticMatrixDerivative(compiled, e, refs, orbitIn) ?? elementMatrixDerivative(compiled, e, refs, orbitIn, step);
}

function periodicityOf(compiled: CompiledLattice): number {
  const p = compiled.lattice.properties.periodicity;
  return typeof p === 'number' && p > 0 ? p : 1;
}

/** d(cell tunes)/d(parameter group) at a linear state (first-order normal-mode perturbation). */
export function cellTuneDerivative(state: LinearState, group: readonly ElementParameter[], step?: number): [number, number] {
  const compiled = state.compiled;
  const T = oneTurn(state);
  const { A, tunes } = normalModes4(T, `one-turn matrix at dp=${state.dp}`);
  const Ai = inv4(A);
  if (!Ai) throw new MlayerError('tune response: singular normal-mode matrix');
  const AiT = mul4(Ai, T);
  const sinMu = [Math.sin(2 * Math.PI * tunes[0]), Math.sin(2 * Math.PI * tunes[1])];
  const out: [number, number] = [0, 0];
  const tmp = new Float64Array(16);
  const tmp2 = new Float64Array(16);
  for (const [e, refs] of byElement(compiled, group)) {
    const orbitIn = state.orbits.subarray(6 * e, 6 * e + 6);
    const D = matrixDerivative(compiled, e, refs, orbitIn, step);
    const Mexit = inv4(matrixAt(state, e + 1));
    if (!Mexit) throw new MlayerError(`tune response: singular transfer matrix at position ${e + 1}`);
    // X = A^-1 T M_{e+1}^-1 D M_e A
    mul4(D, matrixAt(state, e), tmp);
    mul4(tmp, A, tmp2);
    mul4(Mexit, tmp2, tmp);
    mul4(AiT, tmp, tmp2);
    for (let k = 0; k < 2; k++) {
      const o = 2 * k;
      const tr = tmp2[4 * o + o] + tmp2[4 * (o + 1) + o + 1];
      out[k] += -tr / (2 * sinMu[k]) / (2 * Math.PI);
    }
  }
  return out;
}

export interface ParameterResponseOptions extends ResponseOptions {
  /** Finite-difference step of the parameters through their element (default: relative 1e-4, at least 1e-4). */
  readonly step?: number;
}

/**
 * d(ring tunes)/d(parameter) for each parameter group (periodicity applied:
 * a parameter of a periodic cell is changed in every cell).
 */
export function tuneResponse(
  compiled: CompiledLattice,
  groups: readonly (readonly ElementParameter[])[],
  options: ParameterResponseOptions = {},
): Float64Array[] {
  const st = stateFor(compiled, options);
  const P = periodicityOf(compiled);
  return groups.map((g) => {
    const d = cellTuneDerivative(st, g, options.step);
    return Float64Array.of(d[0] * P, d[1] * P);
  });
}

/**
 * d(ring chromaticities)/d(parameter) for each parameter group: the analytic
 * tune derivatives at the closed orbits of dp +- DPStep/2, differenced as the
 * chromaticity itself is (periodicity applied).
 */
export function chromaticityResponse(
  compiled: CompiledLattice,
  groups: readonly (readonly ElementParameter[])[],
  options: ParameterResponseOptions & { readonly dpStep?: number } = {},
): Float64Array[] {
  const central = computeLinearState(compiled, { dp: options.dp ?? 0, dispersion: true, dpStep: options.dpStep });
  const up = computeLinearState(compiled, { orbit: central.orbitUp!, dp: central.orbitUp![4] });
  const dn = computeLinearState(compiled, { orbit: central.orbitDown!, dp: central.orbitDown![4] });
  const ddp = central.orbitUp![4] - central.orbitDown![4];
  const P = periodicityOf(compiled);
  return groups.map((g) => {
    const a = cellTuneDerivative(up, g, options.step);
    const b = cellTuneDerivative(dn, g, options.step);
    return Float64Array.of(((a[0] - b[0]) / ddp) * P, ((a[1] - b[1]) / ddp) * P);
  });
}

export interface DispersionResponse {
  readonly bpms: readonly number[];
  /** Dispersion at the BPMs (m): d(x)/d(delta), d(y)/d(delta). */
  readonly Dx: Float64Array;
  readonly Dy: Float64Array;
  /** Slip factor 1/gamma^2 - alpha_c of the ring. */
  readonly slipFactor: number;
  /** RF frequency (Hz) of the first cavity, when the lattice has one. */
  readonly rfFrequency?: number;
  /** Orbit response to the RF frequency at the BPMs (m/Hz): D / (slip * f_RF), when a cavity is present. */
  readonly Rfx?: Float64Array;
  readonly Rfy?: Float64Array;
}

/** Electron rest energy in eV (pyAT's 'relativistic' particle uses it for gamma). */
const ELECTRON_REST_ENERGY = 510998.95;

/**
 * Dispersion response at the BPMs (orbit per unit delta, central difference of
 * the closed orbits at dp +- DPStep/2 as pyAT) and, when the lattice has an RF
 * cavity, the orbit response to the RF frequency (the "RF column" of an ORM).
 */
export function dispersionResponse(
  compiled: CompiledLattice,
  bpms: readonly number[],
  options: { readonly dp?: number; readonly dpStep?: number; readonly mcf?: number } = {},
): DispersionResponse {
  normalizeRefpts(bpms, compiled.elements.length);
  const st = computeLinearState(compiled, { dp: options.dp ?? 0, dispersion: true, dpStep: options.dpStep });
  const d = st.dispersion!;
  const Dx = Float64Array.from(bpms, (b) => d[4 * b]);
  const Dy = Float64Array.from(bpms, (b) => d[4 * b + 2]);
  const props = compiled.lattice.properties;
  const rest = props.particle?.rest_energy || ELECTRON_REST_ENERGY;
  const gamma = props.energy / rest;
  let mcf = options.mcf;
  if (mcf === undefined) {
    // Path lengthening of the off-momentum orbits: alpha_c = d(ct)/d(delta) / L
    mcf = pathLengthMcf(st);
  }
  const slip = 1 / (gamma * gamma) - mcf;
  const cav = compiled.lattice.elements.find((e) => typeof e.Frequency === 'number' && (e.Class === 'RFCavity' || /Cavity/.test(e.PassMethod)));
  const f = cav ? (cav.Frequency as number) : undefined;
  const res: DispersionResponse = { bpms: [...bpms], Dx, Dy, slipFactor: slip };
  if (f) {
    return { ...res, rfFrequency: f, Rfx: Dx.map((v) => v / (slip * f)), Rfy: Dy.map((v) => v / (slip * f)) };
  }
  return res;
}

function pathLengthMcf(st: LinearState): number {
  let L = 0;
  for (const ce of st.compiled.elements) L += ce.element.Length;
  // ct at the end of the lattice of the off-momentum orbits is in the orbits of a
  // dedicated pass: track them one turn here.
  const up = Float64Array.from(st.orbitUp!);
  const dn = Float64Array.from(st.orbitDown!);
  const c = new Float64Array(12);
  for (let k = 0; k < 6; k++) {
    c[2 * k] = up[k];
    c[2 * k + 1] = dn[k];
  }
  if (!trackSegment(st.compiled, c, 2, 0, st.compiled.elements.length)) throw new MlayerError('dispersion response: particle lost tracking the off-momentum orbits');
  return (c[10] - c[11]) / (up[4] - dn[4]) / L;
}

/** First-order change of the optics at some points per unit of a parameter group. */
export interface OpticsResponse {
  readonly refpts: readonly number[];
  /** d(beta_x), d(beta_y) per refpt (2 per refpt). */
  readonly dbeta: Float64Array;
  /** d(alpha_x), d(alpha_y) per refpt. */
  readonly dalpha: Float64Array;
  /** d(mu_x), d(mu_y) per refpt (phase advance from the start, rad). */
  readonly dmu: Float64Array;
}

/**
 * d(beta, alpha, mu)/d(parameter group) at the refpts, from the linearised map:
 * with Q_e = M_{e+1}^-1 dM_e M_e, the one-turn matrix becomes T (I + h sum Q_e)
 * and M_b becomes M_b (I + h sum_{e<b} Q_e); the normal-mode analysis of these
 * perturbed matrices is differenced at +-h (no re-tracking of the lattice).
 */
export function opticsResponse(
  compiled: CompiledLattice,
  refpts: readonly number[],
  groups: readonly (readonly ElementParameter[])[],
  options: ParameterResponseOptions = {},
): OpticsResponse[] {
  normalizeRefpts(refpts, compiled.elements.length);
  const st = stateFor(compiled, options);
  const T = oneTurn(st);
  const nr = refpts.length;
  return groups.map((group) => {
    // Q_e for the elements of the group, in lattice order
    const qs: { e: number; Q: Mat4 }[] = [];
    for (const [e, refs] of byElement(compiled, group)) {
      const orbitIn = st.orbits.subarray(6 * e, 6 * e + 6);
      const D = matrixDerivative(compiled, e, refs, orbitIn, options.step);
      const exitInv = inv4(matrixAt(st, e + 1));
      if (!exitInv) throw new MlayerError(`optics response: singular transfer matrix at position ${e + 1}`);
      qs.push({ e, Q: mul4(exitInv, mul4(D, matrixAt(st, e))) });
    }
    qs.sort((a, b) => a.e - b.e);
    const sumAll = new Float64Array(16);
    for (const { Q } of qs) for (let k = 0; k < 16; k++) sumAll[k] += Q[k];
    const sumBefore = (b: number): Mat4 => {
      const s = new Float64Array(16);
      for (const { e, Q } of qs) if (e < b) for (let k = 0; k < 16; k++) s[k] += Q[k];
      return s;
    };
    const partial = refpts.map((b) => sumBefore(b));
    // scale the step so that the relative change of the matrices is ~1e-6
    let norm = 0;
    for (let k = 0; k < 16; k++) norm = Math.max(norm, Math.abs(sumAll[k]));
    for (const s of partial) for (let k = 0; k < 16; k++) norm = Math.max(norm, Math.abs(s[k]));
    const h = norm > 0 ? 1e-6 / norm : 1;
    const evaluate = (sign: number) => {
      const pert = (M: Mat4, S: Mat4): Mat4 => {
        const IpS = identity4();
        for (let k = 0; k < 16; k++) IpS[k] += sign * h * S[k];
        return mul4(M, IpS);
      };
      const A0 = normalModes4(pert(T, sumAll), 'perturbed one-turn matrix').A;
      const tw = { betaX: 0, betaY: 0, alphaX: 0, alphaY: 0, muX: 0, muY: 0 };
      const out = new Float64Array(6 * nr);
      refpts.forEach((b, i) => {
        const ai = mul4(pert(matrixAt(st, b), partial[i]), A0);
        if (!twissFromA(ai, tw)) throw new MlayerError(`optics response: singular transfer matrix at position ${b}`);
        out.set([tw.betaX, tw.betaY, tw.alphaX, tw.alphaY, tw.muX, tw.muY], 6 * i);
      });
      return out;
    };
    const up = evaluate(1);
    const dn = evaluate(-1);
    const dbeta = new Float64Array(2 * nr);
    const dalpha = new Float64Array(2 * nr);
    const dmu = new Float64Array(2 * nr);
    for (let i = 0; i < nr; i++) {
      for (let k = 0; k < 2; k++) {
        dbeta[2 * i + k] = (up[6 * i + k] - dn[6 * i + k]) / (2 * h);
        dalpha[2 * i + k] = (up[6 * i + 2 + k] - dn[6 * i + 2 + k]) / (2 * h);
        let d = up[6 * i + 4 + k] - dn[6 * i + 4 + k];
        d -= 2 * Math.PI * Math.round(d / (2 * Math.PI));
        dmu[2 * i + k] = d / (2 * h);
      }
    }
    return { refpts: [...refpts], dbeta, dalpha, dmu };
  });
}
