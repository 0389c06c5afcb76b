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
 *     d(c_j)  = d(eta_pj)^T J v_j,
 *     dA      = sum_e [ eta_{e+1}^T J s_e + t_e ],   t_e = d^2 ct_e / d(eps) dK,
 * the second from dC/dK = eta_{e+1}^T J S_e + d(ct_e)/dK (S_e the kick of the
 * change, zero on a centred orbit) differentiated along the dispersive
 * direction. A corrector element that is also a parameter changes its own kick
 * v_j: that term is included in dR (response.ts) but not in d(c_j).
 */
import { MlayerError } from '@mlayer/core';
import { kickPathLengths, pathLengthOfKick } from './fixed-path-length.js';
import { singleElementLattice } from './element-maps.js';
import { matrixAt, type LinearState } from './linear-state.js';
import { copyElement, readParameter, writeParameter, type ElementParameter } from './parameters.js';
import { parameterStep } from './element-maps.js';
import { setParticle, trackSegment } from './propagate.js';
import { OrbitGreen, orbitResponseDerivative, type correctorSources, type OrbitResponseMatrices } from './response.js';
import { ElementUsageError } from './errors.js';

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
 * the dispersive direction and the parameter, by a mixed central difference.
 */
export function dispersionSource(state: LinearState, e: number, refs: readonly ElementParameter[], step?: number): { s: Float64Array; t: number } {
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

/**
 * d(ORM)/d(group) for every group, and optionally d(Dx, Dy)/d(group) at the BPMs,
 * for the fixed-momentum or fixed-path-length response.
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
  const orbitType = input.orbitType ?? 'fixed-momentum';
  if (orbitType !== 'fixed-momentum' && orbitType !== 'fixed-path-length') {
    throw new MlayerError(`orbit response Jacobian: orbitType '${String(orbitType)}' is not 'fixed-momentum' or 'fixed-path-length'`);
  }
  const fpl = orbitType === 'fixed-path-length';
  const needEta = fpl || !!input.dispersion;
  if (needEta && !st.dispersion) throw new MlayerError('orbit response Jacobian: the linear state has no dispersion');
  const A = fpl ? input.pathLengthSlope : undefined;
  if (fpl && (A === undefined || !Number.isFinite(A) || A === 0)) {
    throw new MlayerError(`orbit response Jacobian: fixed-path-length needs a finite non-zero alpha_c L, got ${A}`);
  }
  const nb = bpms.length, nc = correctors.length;
  const eta = st.dispersion;
  const Dx = eta ? Float64Array.from(bpms, (b) => eta[4 * b]) : undefined;
  const Dy = eta ? Float64Array.from(bpms, (b) => eta[4 * b + 2]) : undefined;
  const kicks = fpl ? kickPathLengths(st, sources) : undefined;
  // kick vectors v_j (x and y) for d(c_j)
  const vx: Float64Array[] = [], vy: Float64Array[] = [];
  if (fpl) {
    for (const s of sources) {
      const m = matrixAt(st, s.px);
      for (const [src, out] of [
        [s.sx, vx],
        [s.sy, vy],
      ] as const) {
        const v = new Float64Array(4);
        for (let i = 0; i < 4; i++) {
          let a = 0;
          for (let k = 0; k < 4; k++) a += m[4 * i + k] * (src.after[k] - src.before[k]);
          v[i] = a;
        }
        out.push(v);
      }
    }
  }
  const orm: OrbitResponseMatrices[] = [];
  const disp: [Float64Array, Float64Array][] = [];
  const z = new Float64Array(4);
  for (const group of groups) {
    const R = orbitResponseDerivative(compiled, bpms, correctors, group, { green, sources, step: input.step });
    if (needEta) {
      const dDx = new Float64Array(nb), dDy = new Float64Array(nb);
      const dc = { x: new Float64Array(nc), y: new Float64Array(nc) };
      let dA = 0;
      for (const [e, refs] of groupByElement(group)) {
        const { s, t } = dispersionSource(st, e, refs, input.step);
        const src = green.source(e + 1, s);
        for (let i = 0; i < nb; i++) {
          green.orbitAt(bpms[i], e + 1, src, z);
          dDx[i] += z[0];
          dDy[i] += z[2];
        }
        if (fpl) {
          dA += pathLengthOfKick(eta!.subarray(4 * (e + 1), 4 * (e + 1) + 4), s) + t;
          for (let j = 0; j < nc; j++) {
            green.orbitAt(sources[j].px, e + 1, src, z);
            dc.x[j] += pathLengthOfKick(z, vx[j]);
            dc.y[j] += pathLengthOfKick(z, vy[j]);
          }
        }
      }
      if (fpl) {
        const a = A!;
        const { cx, cy } = kicks!;
        for (let i = 0; i < nb; i++) {
          const rxx = R.Rxx[i], rxy = R.Rxy[i], ryx = R.Ryx[i], ryy = R.Ryy[i];
          for (let j = 0; j < nc; j++) {
            rxx[j] += -(dDx[i] * cx[j] + Dx![i] * dc.x[j]) / a + (Dx![i] * cx[j] * dA) / (a * a);
            ryx[j] += -(dDy[i] * cx[j] + Dy![i] * dc.x[j]) / a + (Dy![i] * cx[j] * dA) / (a * a);
            rxy[j] += -(dDx[i] * cy[j] + Dx![i] * dc.y[j]) / a + (Dx![i] * cy[j] * dA) / (a * a);
            ryy[j] += -(dDy[i] * cy[j] + Dy![i] * dc.y[j]) / a + (Dy![i] * cy[j] * dA) / (a * a);
          }
        }
      }
      if (input.dispersion) disp.push([dDx, dDy]);
    }
    orm.push(R);
  }
  return input.dispersion ? { orm, dispersion: disp } : { orm };
}
