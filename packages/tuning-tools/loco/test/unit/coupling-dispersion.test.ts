/**
 * The other parameters against a known truth on the hmba cell with a
 * corrector after each BPM: skew gradients with BPM and corrector couplings
 * (coupling blocks fitted), and the dispersion column with its RF step.
 */
import { describe, expect, it } from 'vitest';
import { locoFit, parseFit, parseOrm } from '../../src/index.js';
import { hmbaWithCorrectors, normals, syntheticOrm } from '../fixture.js';

const maxAbs = (v: number[]) => Math.max(...v.map(Math.abs));

describe('LOCO coupling and dispersion parameters', () => {
  const design = hmbaWithCorrectors();
  const bpms = design.find('class:Monitor');
  const correctors = design.find('class:Corrector');
  const sextupoles = design.find('class:Sextupole');
  const quads = design.find('class:Quadrupole');
  const nb = bpms.length, nc = correctors.length;
  const ones = (n: number) => new Array(n).fill(1);

  it('finds skew gradients, BPM couplings and corrector couplings from the coupling blocks', () => {
    const normal = normals(5);
    const truth = design.clone();
    const skew = sextupoles.map((e) => {
      const ks = 2e-3 * normal();
      truth.setParameter({ element: e, field: 'PolynomA', index: 1 }, ks);
      return ks;
    });
    const small = (n: number) => Array.from({ length: n }, () => 2e-3 * normal());
    const bpmCouplings = { x: small(nb), y: small(nb) };
    const correctorCouplings = { x: small(nc), y: small(nc) };
    const raw = syntheticOrm(truth, { bpms, correctors, kick: 1e-4, bpmGains: { x: ones(nb), y: ones(nb) }, correctorGains: { x: ones(nc), y: ones(nc) }, bpmCouplings, correctorCouplings, noise: 1e-8, normal });
    const spec = parseFit(
      { method: 'scaled-levenberg-marquardt', iterations: 4, couplingBlocks: true, fit: { skewQuadrupoles: sextupoles.map((e) => ({ name: `S${e}`, elements: [e] })), bpmCouplings: true, correctorCouplings: true } },
      'FIT.yaml',
    );
    const res = locoFit(design, parseOrm(raw, 'ORM.json'), spec);
    const last = res.iterations[res.iterations.length - 1];
    expect(last.chi2PerDof).toBeLessThan(1.5);
    expect(res.iterations[0].chi2PerDof).toBeGreaterThan(1e3);
    expect(maxAbs(res.skewQuadrupoles.map((q, i) => q.delta - skew[i]))).toBeLessThan(0.03 * maxAbs(skew));
    expect(res.skewQuadrupoles.every((q) => q.value === q.delta)).toBe(true); // design PolynomA[1] = 0
    expect(maxAbs(res.bpmCouplings.x.map((c, i) => c - bpmCouplings.x[i]))).toBeLessThan(0.03 * maxAbs(bpmCouplings.x));
    expect(maxAbs(res.correctorCouplings.y.map((c, i) => c - correctorCouplings.y[i]))).toBeLessThan(0.03 * maxAbs(correctorCouplings.y));
  });

  it('fits the dispersion column and its RF step, with the gradients', () => {
    const normal = normals(9);
    const truth = design.clone();
    const trueDk = quads.map((q) => {
      const ref = { element: q, field: 'PolynomB', index: 1 };
      const dk = 0.003 * design.getParameter(ref) * normal();
      truth.setParameter(ref, design.getParameter(ref) + dk);
      return dk;
    });
    const frequency = design.getParameter({ element: design.find('class:RFCavity')[0], field: 'Frequency' });
    const raw = syntheticOrm(truth, { bpms, correctors, kick: 1e-4, bpmGains: { x: ones(nb), y: ones(nb) }, correctorGains: { x: ones(nc), y: ones(nc) }, noise: 1e-8, normal, rf: { step: 100, frequency }, trueRfStep: 103 });
    const spec = parseFit(
      { method: 'levenberg-marquardt', iterations: 4, dispersion: { weightX: 1, weightY: 1 }, fit: { quadrupoles: quads.map((q) => ({ name: `Q${q}`, elements: [q] })), rf: true } },
      'FIT.yaml',
    );
    const res = locoFit(design, parseOrm(raw, 'ORM.json'), spec);
    expect(res.rfStep).toBeCloseTo(103, 1);
    expect(maxAbs(res.quadrupoles.map((q, i) => q.delta - trueDk[i]))).toBeLessThan(0.02 * maxAbs(trueDk));
    const last = res.iterations[res.iterations.length - 1];
    expect(last.chi2PerDof).toBeLessThan(1.5);
    // The record's dispersion beat is the fitted model's against the design: the truth's, to a few per cent.
    const t = truth.optics('all' as never), d = design.optics('all' as never);
    const trueBeat = Math.sqrt(t.reduce((s, e, i) => s + (e.dispersion[0] - d[i].dispersion[0]) ** 2, 0) / t.length);
    expect(last.dispersionBeat.x / trueBeat).toBeGreaterThan(0.95);
    expect(last.dispersionBeat.x / trueBeat).toBeLessThan(1.05);
  });
});
