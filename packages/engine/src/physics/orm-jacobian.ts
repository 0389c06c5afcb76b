/**
 * The LOCO Jacobian: d(ORM)/d(parameter) and d(dispersion)/d(parameter) for
 * many parameter groups at once, around one linear state (one closed orbit,
 * one set of transfer matrices, one Green function, one set of corrector
 * sources shared by all groups).
 *
 * Orbit response (fixed momentum). See response.ts: a parameter change of
 * element e acts on the closed orbit as the kick dM_e z_e at its exit, z_e the
 * orbit at its entrance caused by the corrector.
 *
 * Dispersion. eta is the closed-orbit response to delta: eta_{e+1} = M_e eta_e
 * + d_e, d_e = df_e/d(delta) the dispersion an element generates. Differentiating
 * with the parameter K of element e (the orbit itself held, as for the ORM):
 *     d(eta) = G(., e+1) s_e,   s_e = dM_e eta_e + d(d_e)/dK
 *            = d^2 f_e / d(eps) dK  along w(eps) = orbit_e + eps (eta_e, 1),
 * a mixed derivative through element e alone (G the closed-orbit Green function
 * of response.ts), i.e. a second closed-orbit source at position e+1.
 *
 * Fixed path length (see fixed-path-length.ts): R^F_ij = R_ij - eta_i c_j / A,
 * c_j = eta_pj^T J v_j, A = alpha_c L. Its derivative is
 *     dR^F_ij = dR_ij - (d(eta_i) c_j + eta_i d(c_j)) / A + eta_i c_j dA / A^2,
 *     d(c_j)  = d(eta_pj)^T J v_j (+ eta_pj^T J d(v_j), see below),
 *     dA      = sum_e [ eta_{e+1}^T J s_e + t_e ],   t_e = d^2 ct_e / d(eps) dK,
 * the second from dC/dK = eta_{e+1}^T J S_e + d(ct_e)/dK (S_e the kick of the
 * change, zero on a centred orbit) differentiated along the dispersive
 * direction. A corrector element that is also a parameter changes its own kick
 * v_j (response.ts, addCorrectorParameterTerm): d(c_j) gains eta_pj^T J d(v_j).
 */
import { MlayerError } from '@mlayer/core';
import { kickPathLengths, pathLengthOfKick } from './fixed-path-length.js';
import { analyticDispersionSource } from './element-derivatives.js';
import { parameterStep, singleElementLattice } from './element-maps.js';
import { matrixAt, type LinearState } from './linear-state.js';
import { copyElement, readParameter, writeParameter, type ElementParameter } from './parameters.js';
import { setParticle, trackSegment } from './propagate.js';
import {
  addCorrectorParameterTerm,
  byElement as checkedByElement,
  checkElements,
  correctorSources,
  matrixDerivative,
  OrbitGreen,
  stateFor,
  type OrbitResponseMatrices,
  type ResponseOptions,
} from './response.js';
import { inv4, mul4, sub4, type Mat4 } from './mat4.js';
import { ElementUsageError } from './errors.js';
import type { CompiledLattice } from './tracking-api.js';

export type ClosedOrbitType = 'fixed-path-length' | 'fixed-momentum';

export interface JacobianInput {
  /** Linear state with dispersion (computed with dispersion: true). */
  readonly green: OrbitGreen;
  readonly sources: ReturnType<typeof correctorSources>;
  readonly dispersion?: boolean;
  readonly orbitType?: ClosedOrbitType;
  /** alpha_c L (needed for 'fixed-path-length'). */
  readonly pathLengthSlope?: number;
  /** Finite-difference step of the parameters (default: relative 1e-4, at least 1e-4). */
  readonly step?: number;
}

export interface OrbitResponseJacobianResult {
  readonly orm: OrbitResponseMatrices[];
  readonly dispersion?: [Float64Array, Float64Array][];
  /** With `dispersion`: d(alpha_c L)/d(parameter) per group (m), alpha_c L = dC/d(delta). */
  readonly pathLengthSlope?: Float64Array;
}

/** Step along the dispersive direction of the mixed derivatives (delta units). */
const EPS_STEP = 1e-5;

function groupByElement(group: readonly ElementParameter[]): Map<number, ElementParameter[]> {
  if (group.length === 0) throw new MlayerError('orbit response Jacobian: a parameter group is empty');
  const m = new Map<number, ElementParameter[]>();
  for (const r of group) {
    const l = m.get(r.element) ?? [];
    l.push(r);
    m.set(r.element, l);
  }
  return m;
}

/**
 * (s_e, t_e): the second derivative of element e's exit (x, px, y, py, ct) along
 * the dispersive direction and the parameter: in closed form for gradients of
 * the symplectic multipole and bend pass methods (element-derivatives.ts), else
 * by a mixed central difference (steps 1e-5 along the dispersive direction and
 * `step` or parameterStep in the parameter).
 */
export function dispersionSource(state: LinearState, e: number, refs: readonly ElementParameter[], step?: number): { s: Float64Array; t: number } {
  const compiled = state.compiled;
  const eta = state.dispersion!.subarray(4 * e, 4 * e + 4);
  const orbit = state.orbits.subarray(6 * e, 6 * e + 6);
  const closed = analyticDispersionSource(compiled, e, refs, orbit, eta);
  if (closed) return closed;
  return mixedDifference(state, e, refs, step);
}

/** dispersionSource by a mixed central difference through the element alone. */
export function mixedDifference(state: LinearState, e: number, refs: readonly ElementParameter[], step?: number): { s: Float64Array; t: number } {
  const compiled = state.compiled;
  const base = compiled.elements[e].element;
  const h = step ?? Math.max(...refs.map((r) => parameterStep(readParameter(base, r))));
  const eta = state.dispersion!.subarray(4 * e, 4 * e + 4);
  const orbit = state.orbits.subarray(6 * e, 6 * e + 6);
  const out = new Float64Array(5 * 4);
  const signsK = [1, -1];
  const signsE = [1, -1];
  const c = new Float64Array(6 * 2);
  let slot = 0;
  for (const sk of signsK) {
    const el = copyElement(base);
    for (const r of refs) writeParameter(el, r, readParameter(el, r) + sk * h);
    const single = singleElementLattice(compiled, e, el);
    signsE.forEach((se, i) => {
      const p = [0, 1, 2, 3].map((k) => orbit[k] + se * EPS_STEP * eta[k]);
      setParticle(c, 2, i, [p[0], p[1], p[2], p[3], orbit[4] + se * EPS_STEP, 0]);
    });
    if (!trackSegment(single, c, 2, 0, 1)) throw new ElementUsageError(e, base.FamName, 'particle lost while differentiating the element map');
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 4; k++) out[slot * 5 + k] = c[k * 2 + i];
      out[slot * 5 + 4] = c[5 * 2 + i];
      slot++;
    }
  }
  // slots: (K+, e+), (K+, e-), (K-, e+), (K-, e-)
  const d = new Float64Array(5);
  for (let k = 0; k < 5; k++) d[k] = (out[k] - out[5 + k] - out[10 + k] + out[15 + k]) / (4 * EPS_STEP * h);
  return { s: d.subarray(0, 4), t: d[4] };
}

/** Rows of a group's four blocks as views of one buffer (one allocation per group). */
function blockViews(nb: number, nc: number): OrbitResponseMatrices & { readonly buffer: Float64Array } {
  const buffer = new Float64Array(4 * nb * nc);
  const rows = (k: number) => Array.from({ length: nb }, (_, i) => buffer.subarray((k * nb + i) * nc, (k * nb + i + 1) * nc));
  return { bpms: [], correctors: [], Rxx: rows(0), Rxy: rows(1), Ryx: rows(2), Ryy: rows(3), buffer };
}

/**
 * d(ORM)/d(group) for every group, and optionally d(Dx, Dy)/d(group) at the BPMs,
 * for the fixed-momentum or fixed-path-length response.
 *
 * Cost: shared by all groups, the corrector sources (one per corrector and
 * plane, as for the ORM itself). Per element of a group: its matrix derivative
 * (closed form for linear quadrupoles and bends, else 4 x 8 particles through
 * that element), a 4x4 secondary-source matrix, 8 nc source vectors and the
 * rank-4 update of the four blocks, 16 nb nc multiply-adds. The whole Jacobian
 * is O(P nb nc) for P parameter elements; finite differences cost, per
 * parameter, a new closed orbit and N element matrices (N elements), every
 * corrector source again and the ORM itself: O(P (N + nc + nb nc)) with a much
 * larger constant (bench/loco-jacobian.mjs).
 */
export function orbitResponseJacobian(
  bpms: readonly number[],
  correctors: readonly number[],
  groups: readonly (readonly ElementParameter[])[],
  input: JacobianInput,
): OrbitResponseJacobianResult {
  const { green, sources } = input;
  const st = green.state;
  const compiled = st.compiled;
  const N = compiled.elements.length;
  for (const b of bpms) if (!Number.isInteger(b) || b < 0 || b > N) throw new RangeError(`BPM index ${b} is outside 0..${N}`);
  if (sources.length !== correctors.length) throw new MlayerError(`orbit response Jacobian: ${sources.length} corrector sources for ${correctors.length} correctors`);
  const orbitType = input.orbitType ?? 'fixed-momentum';
  if (orbitType !== 'fixed-momentum' && orbitType !== 'fixed-path-length') {
    throw new MlayerError(`orbit response Jacobian: orbitType '${String(orbitType)}' is not 'fixed-momentum' or 'fixed-path-length'`);
  }
  const fpl = orbitType === 'fixed-path-length';
  const needEta = fpl || !!input.dispersion;
  if (needEta && !st.dispersion) throw new MlayerError('orbit response Jacobian: the linear state has no dispersion');
  const A = input.pathLengthSlope;
  if (fpl && (A === undefined || !Number.isFinite(A) || A === 0)) {
    throw new MlayerError(`orbit response Jacobian: fixed-path-length needs a finite non-zero alpha_c L, got ${A}`);
  }
  const byElement = groups.map((g) => {
    const m = groupByElement(g);
    for (const [e, refs] of m) {
      if (!Number.isInteger(e) || e < 0 || e >= N) throw new RangeError(`parameter element index ${e} is outside 0..${N - 1}`);
      for (const r of refs) readParameter(compiled.elements[e].element, r); // validates the field
    }
    return m;
  });
  const nb = bpms.length, nc = correctors.length;
  const ms = st.ms;
  const eta = st.dispersion;
  const Dx = eta ? Float64Array.from(bpms, (b) => eta[4 * b]) : undefined;
  const Dy = eta ? Float64Array.from(bpms, (b) => eta[4 * b + 2]) : undefined;
  const kicks = fpl ? kickPathLengths(st, sources) : undefined;
  const cset = new Set(correctors);

  // Corrector sources as structure of arrays: for plane q (0 x, 1 y) and component k,
  // SA[q][k][j] = after, SB[q][k][j] = before of corrector j.
  const SA = [0, 1].map((q) => [0, 1, 2, 3].map((k) => Float64Array.from(sources, (s) => (q === 0 ? s.sx : s.sy).after[k])));
  const SB = [0, 1].map((q) => [0, 1, 2, 3].map((k) => Float64Array.from(sources, (s) => (q === 0 ? s.sx : s.sy).before[k])));
  const px = Int32Array.from(sources, (s) => s.px);
  // kick vectors v_j = M_p (after - before), for d(c_j) (fixed path length only)
  const V = [0, 1].map((q) =>
    (fpl ? sources : []).map((s, j) => {
      const m = matrixAt(st, s.px);
      const v = new Float64Array(4);
      for (let i = 0; i < 4; i++) {
        let a = 0;
        for (let k = 0; k < 4; k++) a += m[4 * i + k] * (SA[q][k][j] - SB[q][k][j]);
        v[i] = a;
      }
      return v;
    }),
  );
  // Every x-plane source has zero (y, py) and every y-plane source zero (x, px): an uncoupled ring
  const planePure = [0, 1, 2, 3].every((k) => (k < 2 ? SA[1][k].every((v) => v === 0) && SB[1][k].every((v) => v === 0) : SA[0][k].every((v) => v === 0) && SB[0][k].every((v) => v === 0)));
  // BPM rows of the transfer matrices
  const MX = bpms.map((b) => ms.subarray(16 * b, 16 * b + 4));
  const MY = bpms.map((b) => ms.subarray(16 * b + 8, 16 * b + 12));

  // per-element scratch: the orbit y_j each corrector makes at the parameter element, both planes, SoA
  const Y = [0, 1].map(() => [0, 1, 2, 3].map(() => new Float64Array(nc)));
  const exitInvCache = new Map<number, Mat4>();
  const exitInv = (p: number): Mat4 => {
    let m = exitInvCache.get(p);
    if (!m) {
      const i = inv4(matrixAt(st, p));
      if (!i) throw new MlayerError(`orbit response Jacobian: singular transfer matrix at position ${p}`);
      m = i;
      exitInvCache.set(p, m);
    }
    return m;
  };

  const orm: OrbitResponseMatrices[] = [];
  const disp: [Float64Array, Float64Array][] = [];
  const dSlope = new Float64Array(groups.length);
  const z = new Float64Array(4);
  const rX = new Float64Array(4), rY = new Float64Array(4);
  for (let g = 0; g < groups.length; g++) {
    const R = blockViews(nb, nc);
    const dDx = needEta ? new Float64Array(nb) : undefined;
    const dDy = needEta ? new Float64Array(nb) : undefined;
    const dcx = fpl ? new Float64Array(nc) : undefined;
    const dcy = fpl ? new Float64Array(nc) : undefined;
    let dA = 0;
    for (const [e, refs] of byElement[g]) {
      const orbitIn = st.orbits.subarray(6 * e, 6 * e + 6);
      const D = matrixDerivative(compiled, e, refs, orbitIn, input.step);
      // P = M_{e+1}^-1 dM_e M_e; the secondary source of corrector j is P y_j with
      // y_j its orbit at the entrance of e (in start coordinates): `after` when the
      // corrector is upstream (e >= p_j), else `before`.
      const P = mul4(exitInv(e + 1), mul4(D, matrixAt(st, e)));
      const KA = mul4(green.W, P);
      const KB = sub4(KA, P);
      // y_j, the orbit of corrector j at the entrance of e (start coordinates), x and y planes
      for (let q = 0; q < 2; q++) {
        const Yq = Y[q];
        const a = SA[q], b = SB[q];
        for (let j = 0; j < nc; j++) {
          const src = e >= px[j] ? a : b;
          Yq[0][j] = src[0][j];
          Yq[1][j] = src[1][j];
          Yq[2][j] = src[2][j];
          Yq[3][j] = src[3][j];
        }
      }
      const [x0, x1, x2, x3] = Y[0];
      const [w0, w1, w2, w3] = Y[1];
      for (let i = 0; i < nb; i++) {
        const K = bpms[i] >= e + 1 ? KA : KB;
        // rows of M_b K for x and y
        const mx = MX[i], my = MY[i];
        for (let k = 0; k < 4; k++) {
          rX[k] = mx[0] * K[k] + mx[1] * K[4 + k] + mx[2] * K[8 + k] + mx[3] * K[12 + k];
          rY[k] = my[0] * K[k] + my[1] * K[4 + k] + my[2] * K[8 + k] + my[3] * K[12 + k];
        }
        const a0 = rX[0], a1 = rX[1], a2 = rX[2], a3 = rX[3];
        const b0 = rY[0], b1 = rY[1], b2 = rY[2], b3 = rY[3];
        const rxx = R.Rxx[i], ryx = R.Ryx[i], rxy = R.Rxy[i], ryy = R.Ryy[i];
        if (planePure && a2 === 0 && a3 === 0 && b0 === 0 && b1 === 0) {
          // uncoupled: x rows see only the x sources' (x, px), y rows the y sources' (y, py);
          // the cross-plane blocks get exact zeros (4 multiply-adds instead of 16)
          for (let j = 0; j < nc; j++) {
            rxx[j] += a0 * x0[j] + a1 * x1[j];
            ryy[j] += b2 * w2[j] + b3 * w3[j];
          }
          continue;
        }
        for (let j = 0; j < nc; j++) {
          const u0 = x0[j], u1 = x1[j], u2 = x2[j], u3 = x3[j];
          const v0 = w0[j], v1 = w1[j], v2 = w2[j], v3 = w3[j];
          rxx[j] += a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3;
          ryx[j] += b0 * u0 + b1 * u1 + b2 * u2 + b3 * u3;
          rxy[j] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3;
          ryy[j] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3;
        }
      }
      if (cset.has(e)) {
        const [dvx, dvy] = addCorrectorParameterTerm(green, bpms, correctors, e, refs, input.step, R);
        if (fpl) {
          const etaP = eta!.subarray(4 * (e + 1), 4 * (e + 1) + 4);
          correctors.forEach((c, j) => {
            if (c !== e) return;
            dcx![j] += pathLengthOfKick(etaP, dvx);
            dcy![j] += pathLengthOfKick(etaP, dvy);
          });
        }
      }
      if (needEta) {
        const { s, t } = dispersionSource(st, e, refs, input.step);
        const src = green.source(e + 1, s);
        for (let i = 0; i < nb; i++) {
          green.orbitAt(bpms[i], e + 1, src, z);
          dDx![i] += z[0];
          dDy![i] += z[2];
        }
        dA += pathLengthOfKick(eta!.subarray(4 * (e + 1), 4 * (e + 1) + 4), s) + t;
        if (fpl) {
          for (let j = 0; j < nc; j++) {
            green.orbitAt(px[j], e + 1, src, z);
            dcx![j] += pathLengthOfKick(z, V[0][j]);
            dcy![j] += pathLengthOfKick(z, V[1][j]);
          }
        }
      }
    }
    if (fpl) {
      // dR^F = dR + u_i c_j + eta_i w_j, u = -d(eta)/A, w_j = -(d(c_j) - c_j dA / A) / A
      const a = A!;
      const { cx, cy } = kicks!;
      const wx = Float64Array.from(cx, (c, j) => -(dcx![j] - (c * dA) / a) / a);
      const wy = Float64Array.from(cy, (c, j) => -(dcy![j] - (c * dA) / a) / a);
      for (let i = 0; i < nb; i++) {
        const ux = -dDx![i] / a, uy = -dDy![i] / a, ex = Dx![i], ey = Dy![i];
        const rxx = R.Rxx[i], ryx = R.Ryx[i], rxy = R.Rxy[i], ryy = R.Ryy[i];
        for (let j = 0; j < nc; j++) {
          rxx[j] += ux * cx[j] + ex * wx[j];
          ryx[j] += uy * cx[j] + ey * wx[j];
          rxy[j] += ux * cy[j] + ex * wy[j];
          ryy[j] += uy * cy[j] + ey * wy[j];
        }
      }
    }
    orm.push({ bpms: [...bpms], correctors: [...correctors], Rxx: R.Rxx, Rxy: R.Rxy, Ryx: R.Ryx, Ryy: R.Ryy });
    if (input.dispersion) {
      disp.push([dDx!, dDy!]);
      dSlope[g] = dA;
    }
  }
  return input.dispersion ? { orm, dispersion: disp, pathLengthSlope: dSlope } : { orm };
}

/**
 * d(ORM)/d(parameter group) (all parameters of the group move together), e.g.
 * the Jacobian LOCO needs for a quadrupole's K: orbitResponseJacobian for one group
 * at fixed momentum. First order in the parameter, around the closed orbit (the
 * change of the closed orbit itself with the parameter is not included: exact when
 * the orbit does not move, e.g. for quadrupole strengths on a centred orbit).
 */
export function orbitResponseDerivative(
  compiled: CompiledLattice,
  bpms: readonly number[],
  correctors: readonly number[],
  group: readonly ElementParameter[],
  options: ResponseOptions & { readonly step?: number; readonly sources?: ReturnType<typeof correctorSources>; readonly green?: OrbitGreen } = {},
): OrbitResponseMatrices {
  checkElements(compiled, bpms, 'BPM', true);
  checkElements(compiled, correctors, 'corrector', false);
  checkedByElement(compiled, group);
  const green = options.green ?? new OrbitGreen(stateFor(compiled, options));
  const sources = options.sources ?? correctorSources(green, correctors);
  return orbitResponseJacobian(bpms, correctors, [group], { green, sources, step: options.step }).orm[0];
}
