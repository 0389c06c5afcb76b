/**
 * The LOCO Jacobian (LatticeModel.orbitResponseJacobian): against pyAT's
 * d(ORM)/dK references, and against central differences of the engine's own
 * orbitResponse and dispersion (both closed-orbit types); the fixed-path-length
 * ORM itself against closed orbits searched at fixed path length by tracking.
 */
import { describe, expect, it } from 'vitest';
import type { OrbitResponse, ParameterRef } from '@mlayer/core';
import { createLatticeModel, type EngineLatticeModel } from '../../src/model/lattice-model.js';
import { analyticDispersionSource, analyticMatrixDerivative } from '../../src/physics/element-derivatives.js';
import { computeLinearState } from '../../src/physics/linear-state.js';
import { mixedDifference } from '../../src/physics/orm-jacobian.js';
import { elementMatrixDerivative } from '../../src/physics/element-maps.js';
import { propagateOrbit, solveOrbits4 } from '../../src/physics/orbit.js';
import { setParticle, trackSegment } from '../../src/physics/propagate.js';
import { LATTICES, available, loadJson, loadLattice, maxAbs, maxAbsDiff } from '../physics-fixtures.js';

const BLOCKS = ['Rxx', 'Rxy', 'Ryx', 'Ryy'] as const;

/** max |a - b| / max |b| over the four blocks together. */
function relErr(a: OrbitResponse, b: OrbitResponse): number {
  let d = 0, m = 0;
  for (const k of BLOCKS) {
    d = Math.max(d, maxAbsDiff(a[k], b[k]));
    m = Math.max(m, maxAbs(b[k]));
  }
  return d / m;
}

describe.each(LATTICES.filter(available))('$name Jacobian vs pyAT dORM/dK', (l) => {
  it('one quadrupole, both planes, to 1e-5 of the largest entry', () => {
    const dk = loadJson(l, 'dorm_dk');
    const m = createLatticeModel(loadLattice(l));
    const J = m.orbitResponseJacobian(dk.bpm_index, dk.corrector_index, [[{ element: dk.quad_index, field: 'PolynomB', index: 1 }]]);
    expect(J.orm).toHaveLength(1);
    expect(maxAbsDiff(J.orm[0].Rxx, dk.dRxx_dK) / maxAbs(dk.dRxx_dK)).toBeLessThan(1e-5);
    expect(maxAbsDiff(J.orm[0].Ryy, dk.dRyy_dK) / maxAbs(dk.dRyy_dK)).toBeLessThan(1e-5);
  });
});

/**
 * 5-point central difference f'(0) = [8(f(h) - f(-h)) - (f(2h) - f(-2h))] / (12 h):
 * truncation O(h^4), so h can be large enough (1e-3 m^-2) that the rounding of the
 * ORM (~1e-15 relative on a centred orbit) stays far below 1e-6 of the derivative.
 */
function centralDiff<T>(model: EngineLatticeModel, group: readonly ParameterRef[], h: number, f: (m: EngineLatticeModel) => T): { values: T[]; weights: number[] } {
  const base = group.map((r) => model.getParameter(r));
  const at = (x: number): T => {
    group.forEach((r, i) => model.setParameter(r, base[i] + x));
    const v = f(model);
    group.forEach((r, i) => model.setParameter(r, base[i]));
    return v;
  };
  return { values: [at(2 * h), at(h), at(-h), at(-2 * h)], weights: [-1 / (12 * h), 8 / (12 * h), -8 / (12 * h), 1 / (12 * h)] };
}

function combineOrm(a: OrbitResponse[], w: number[]): OrbitResponse {
  const out = { ...a[0] } as { -readonly [K in keyof OrbitResponse]: OrbitResponse[K] };
  for (const k of BLOCKS) out[k] = a[0][k].map((_, i) => a[0][k][i].map((_, j) => a.reduce((s, x, n) => s + w[n] * x[k][i][j], 0)));
  return out;
}

function combineDisp(a: Float64Array[][], w: number[]): Float64Array[] {
  return [0, 1].map((p) => a[0][p].map((_, i) => a.reduce((s, x, n) => s + w[n] * x[p][i], 0)));
}

/** Checks the Jacobian of every group against 5-point central differences of orbitResponse and dispersion. */
function checkAgainstCentralDifferences(model: EngineLatticeModel, bpms: number[], correctors: number[], groups: ParameterRef[][], h: number): void {
  const Jm = model.orbitResponseJacobian(bpms, correctors, groups, { dispersion: true });
  const Jp = model.orbitResponseJacobian(bpms, correctors, groups, { orbitType: 'fixed-path-length' });
  // the orbit types differ (the dispersion term matters at these correctors)
  expect(relErr(Jp.orm[0], Jm.orm[0])).toBeGreaterThan(1e-3);
  expect(Jp.dispersion).toBeUndefined();
  for (const orbitType of ['fixed-momentum', 'fixed-path-length'] as const) {
    const J = orbitType === 'fixed-momentum' ? Jm : model.orbitResponseJacobian(bpms, correctors, groups, { orbitType, dispersion: true });
    groups.forEach((g, n) => {
      const fm = orbitType === 'fixed-momentum';
      const { values, weights } = centralDiff(model, g, h, (m) => {
        const d = fm ? m.dispersion(bpms) : [];
        return {
          R: m.orbitResponse(bpms, correctors, { orbitType }),
          D: [Float64Array.from(d, (v) => v[0]), Float64Array.from(d, (v) => v[1])],
          mcf: fm ? m.momentumCompaction() : 0,
        };
      });
      const fd = combineOrm(values.map((v) => v.R), weights);
      const err = relErr(J.orm[n], fd);
      expect(err, `${orbitType} group ${n}: ${err}`).toBeLessThan(1e-6);
      if (fm) {
        const fdD = combineDisp(values.map((v) => v.D), weights);
        const [dDx, dDy] = J.dispersion![n];
        const errD = Math.max(maxAbsDiff(dDx, fdD[0]), maxAbsDiff(dDy, fdD[1])) / Math.max(maxAbs(fdD[0]), maxAbs(fdD[1]));
        expect(errD, `dispersion group ${n}: ${errD}`).toBeLessThan(1e-6);
        const dMcf = values.reduce((a, v, k) => a + weights[k] * v.mcf, 0);
        // (skew groups: both ~1e-17; normal groups agree to ~1e-11 of the derivative)
        const errM = Math.abs(J.momentumCompaction![n] - dMcf) / Math.abs(model.momentumCompaction());
        expect(errM, `momentum compaction group ${n}: ${J.momentumCompaction![n]} vs ${dMcf}`).toBeLessThan(1e-8);
      }
    });
  }
}

describe('Jacobian vs central differences of the engine', () => {
  const hmba = LATTICES.find((x) => x.name === 'hmba' && available(x));
  it.skipIf(!hmba)('hmba cell: normal, skew, 4-element family, combined-function bend, skew coil of a corrector sextupole', () => {
    const model = createLatticeModel(loadLattice(hmba!));
    const bpms = model.find('class:Monitor');
    const correctors = model.find('class:Sextupole');
    const quads = model.find('class:Quadrupole');
    const bends = model.find('pass:BndMPoleSymplectic4Pass').filter((i) => model.getParameter({ element: i, field: 'PolynomB', index: 1 }) !== 0);
    expect(bends.length).toBeGreaterThan(1);
    // a multi-element group: the QF4 quadrupoles (one power supply)
    const family = model.find('famname:QF4.');
    expect(family.length).toBe(4);
    checkAgainstCentralDifferences(model, bpms, correctors, [
      [{ element: quads[2], field: 'PolynomB', index: 1 }],
      family.map((e) => ({ element: e, field: 'PolynomB', index: 1 })),
      [{ element: bends[0], field: 'PolynomB', index: 1 }],
      [{ element: quads[3], field: 'PolynomA', index: 1 }],
      [{ element: bends[1], field: 'PolynomA', index: 1 }],
      // a parameter of a corrector element also changes that corrector's own kick
      [{ element: correctors[1], field: 'PolynomA', index: 1 }],
    ], 1e-3);
  });

  const thomx = LATTICES.find((x) => x.name === 'thomx' && available(x));
  it.skipIf(!thomx)('thomx: closed-form derivatives of quadrupoles and framed combined-function bends', () => {
    const model = createLatticeModel(loadLattice(thomx!));
    const bpms = model.find('class:Monitor');
    const correctors = model.find('class:Corrector');
    const quads = model.find('class:Quadrupole');
    const bends = model.find('pass:BndMPoleSymplectic4Pass');
    const c = model.compiled();
    for (const e of [quads[0], bends[0]]) {
      expect(analyticMatrixDerivative(c, e, [{ element: e, field: 'PolynomB', index: 1 }], model.closedOrbit([e])[0])).toBeDefined();
    }
    checkAgainstCentralDifferences(model, bpms, correctors, [
      [{ element: quads[0], field: 'PolynomB', index: 1 }],
      [{ element: bends[0], field: 'PolynomB', index: 1 }],
      [{ element: quads[1], field: 'PolynomA', index: 1 }],
      [{ element: bends[1], field: 'PolynomA', index: 1 }],
    ], 1e-3);
  });
});

describe('closed-form element matrix derivatives', () => {
  const cases = ['thomx', 'diamond_i04', 'hmba']
    .map((n) => LATTICES.find((x) => x.name === n && available(x)))
    .filter((x) => x !== undefined);
  it.each(cases)('$name: equal to central differences over the element, or not used', (l) => {
    const lattice = loadLattice(l);
    // one quadrupole rolled by R1/R2 (a rotation of x, y), to cover the frame
    const q = lattice.elements.findIndex((e) => e.PassMethod === 'StrMPoleSymplectic4Pass' && (e.PolynomB as number[])[1] !== 0 && !e.FringeQuadEntrance);
    if (q >= 0) {
      const t = 0.02;
      const rot = (a: number) => [[Math.cos(a), 0, Math.sin(a), 0, 0, 0], [0, Math.cos(a), 0, Math.sin(a), 0, 0], [-Math.sin(a), 0, Math.cos(a), 0, 0, 0], [0, -Math.sin(a), 0, Math.cos(a), 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 1]];
      lattice.elements[q] = { ...lattice.elements[q], R1: rot(t), R2: rot(-t) };
    }
    const model = createLatticeModel(lattice);
    const c = model.compiled();
    let analytic = 0, fallback = 0, worst = 0;
    for (let e = 0; e < c.elements.length; e++) {
      const el = c.elements[e].element;
      if (!/MPoleSymplectic4/.test(el.PassMethod) || !(el.Length > 0)) continue;
      const orbit = model.closedOrbit([e])[0];
      const o6 = [orbit[0], orbit[1], orbit[2], orbit[3], 0, 0];
      for (const ref of [{ element: e, field: 'PolynomB', index: 1 }, { element: e, field: 'PolynomA', index: 1 }]) {
        const a = analyticMatrixDerivative(c, e, [ref], o6);
        if (!a) {
          fallback++;
          continue;
        }
        analytic++;
        const d = elementMatrixDerivative(c, e, [ref], o6);
        worst = Math.max(worst, maxAbsDiff(a, d) / maxAbs(d));
      }
    }
    expect(worst).toBeLessThan(1e-8);
    // the dispersion sources (hyper-dual evaluation of the kernel) against the mixed central difference
    const st = computeLinearState(c, { dispersion: true });
    let scaleS = 0, errS = 0, closedS = 0;
    for (let e = 0; e < c.elements.length; e++) {
      if (!/MPoleSymplectic4Pass$/.test(c.elements[e].element.PassMethod)) continue;
      for (const ref of [{ element: e, field: 'PolynomB', index: 1 }, { element: e, field: 'PolynomA', index: 1 }]) {
        const a = analyticDispersionSource(c, e, [ref], st.orbits.subarray(6 * e, 6 * e + 6), st.dispersion!.subarray(4 * e, 4 * e + 4));
        if (!a) continue;
        closedS++;
        const d = mixedDifference(st, e, [ref]);
        scaleS = Math.max(scaleS, maxAbs(d.s), Math.abs(d.t));
        errS = Math.max(errS, maxAbsDiff(a.s, d.s), Math.abs(a.t - d.t));
      }
    }
    expect(closedS).toBeGreaterThan(10);
    expect(errS / scaleS).toBeLessThan(1e-8);
    if (l.name === 'hmba') {
      // quadrupole fringes (FringeQuadEntrance) and sextupole components: central differences
      expect(fallback).toBeGreaterThan(0);
    } else {
      expect(analytic).toBeGreaterThan(20);
    }
    if (q >= 0 && l.name !== 'hmba') expect(analyticMatrixDerivative(c, q, [{ element: q, field: 'PolynomA', index: 1 }], [0, 0, 0, 0, 0, 0])).toBeDefined();
    // a sextupole is never done in closed form
    const sx = c.elements.findIndex((x) => x.element.PassMethod === 'StrMPoleSymplectic4Pass' && ((x.element.PolynomB as number[])[2] ?? 0) !== 0);
    expect(analyticMatrixDerivative(c, sx, [{ element: sx, field: 'PolynomB', index: 1 }], [0, 0, 0, 0, 0, 0])).toBeUndefined();
  });
});

describe('fixed-path-length ORM', () => {
  const l = LATTICES.find((x) => x.name === 'dba' && available(x));
  it.skipIf(!l)('equals closed orbits found at the unkicked path length by tracking', () => {
    const model = createLatticeModel(loadLattice(l!));
    const bpms = model.find('class:Quadrupole');
    const correctors = model.find('class:Sextupole').slice(0, 3);
    const R = model.orbitResponse(bpms, correctors, { orbitType: 'fixed-path-length' });
    const R0 = model.orbitResponse(bpms, correctors);
    const theta = 1e-6;
    const pathLength = (m: EngineLatticeModel, dp: number): { ct: number; x: number[]; y: number[] } => {
      const c = m.compiled();
      const [o] = solveOrbits4(c, [dp]);
      const p = new Float64Array(6);
      setParticle(p, 1, 0, o.orbit);
      expect(trackSegment(c, p, 1, 0, c.elements.length)).toBe(true);
      const at = propagateOrbit(c, o.orbit, bpms);
      return { ct: p[5], x: at.map((v) => v[0]), y: at.map((v) => v[2]) };
    };
    const C0 = pathLength(model, 0).ct;
    correctors.forEach((c, j) => {
      const orbitAt = (t: number): number[] => {
        model.setParameter({ element: c, field: 'KickAngle', index: 0 }, t);
        const a = pathLength(model, 0);
        const ds = 1e-6;
        const slope = (pathLength(model, ds).ct - pathLength(model, -ds).ct) / (2 * ds);
        const dp = -(a.ct - C0) / slope;
        const x = pathLength(model, dp).x;
        model.setParameter({ element: c, field: 'KickAngle', index: 0 }, 0);
        return x;
      };
      const up = orbitAt(theta), dn = orbitAt(-theta);
      const col = up.map((v, i) => (v - dn[i]) / (2 * theta));
      const mx = maxAbs(col);
      const got = R.Rxx.map((r) => r[j]);
      expect(maxAbsDiff(got, col) / mx).toBeLessThan(1e-5);
      // and the term is not negligible: the fixed-momentum column differs
      expect(maxAbsDiff(R0.Rxx.map((r) => r[j]), col) / mx).toBeGreaterThan(1e-3);
    });
  });
});

describe('Jacobian input errors', () => {
  const l = LATTICES.find((x) => x.name === 'dba' && available(x));
  it.skipIf(!l)('name the bad value', () => {
    const model = createLatticeModel(loadLattice(l!));
    const q = model.find('class:Quadrupole')[0];
    const g = [[{ element: q, field: 'PolynomB', index: 1 }]];
    const bad = { orbitType: 'fixed-rf' } as unknown as { orbitType: 'fixed-momentum' };
    expect(() => model.orbitResponseJacobian('class:Quadrupole', 'class:Sextupole', g, bad)).toThrow(/orbitType 'fixed-rf'/);
    expect(() => model.orbitResponse('class:Quadrupole', 'class:Sextupole', bad)).toThrow(/orbitType 'fixed-rf'/);
    expect(() => model.orbitResponseJacobian('class:Quadrupole', 'class:Sextupole', [[]])).toThrow(/group is empty/);
    expect(() => model.orbitResponseJacobian('class:Quadrupole', 'class:Sextupole', [[{ element: 99999, field: 'K' }]])).toThrow(/99999/);
    expect(() => model.orbitResponseJacobian('class:Quadrupole', 'class:Sextupole', [[{ element: q, field: 'Nope' }]])).toThrow(/Nope/);
  });
});
