/**
 * Prior weights (MML's cost rows) and energy shifts per corrector, against a
 * known truth on the hmba cell with a corrector after each BPM.
 */
import { describe, expect, it } from 'vitest';
import { locoFit, parseFit, parseOrm } from '../../src/index.js';
import { hmbaWithCorrectors, normals, syntheticOrm } from '../fixture.js';

describe('LOCO prior weights and energy shifts', () => {
  const design = hmbaWithCorrectors();
  const bpms = design.find('class:Monitor');
  const correctors = design.find('class:Corrector');
  const quads = design.find('class:Quadrupole');
  const nb = bpms.length, nc = correctors.length;
  const ones = (n: number) => new Array(n).fill(1);

  it('a prior weight pulls its parameter to the start value; priors on the gains remove the gain-scale degeneracy', () => {
    const normal = normals(31);
    const truth = design.clone();
    const trueDk = quads.map((q) => {
      const ref = { element: q, field: 'PolynomB', index: 1 };
      const dk = 0.005 * design.getParameter(ref) * normal();
      truth.setParameter(ref, design.getParameter(ref) + dk);
      return dk;
    });
    const raw = syntheticOrm(truth, { bpms, correctors, kick: 1e-4, bpmGains: { x: ones(nb), y: ones(nb) }, correctorGains: { x: ones(nc), y: ones(nc) }, noise: 1e-8, normal });
    const orm = parseOrm(raw, 'ORM.json');
    const groups = quads.map((q, k) => ({ name: `Q${q}`, elements: [q], ...(k === 3 ? { weight: 1e9 } : {}) }));
    const res = locoFit(design, orm, parseFit({ method: 'gauss-newton', iterations: 3, fit: { quadrupoles: groups, bpmGains: { weight: 1e4 }, correctorKicks: true } }, 'FIT.yaml'));
    const free = locoFit(design, orm, parseFit({ method: 'gauss-newton', iterations: 3, fit: { quadrupoles: groups.map(({ name, elements }) => ({ name, elements })), bpmGains: { weight: 1e4 }, correctorKicks: true } }, 'FIT.yaml'));
    // σ_prior = 1e-9 m⁻²: quadrupole 3 stays at its start; its true error (~1e-2) is absorbed by the others and the χ².
    expect(Math.abs(res.quadrupoles[3].delta)).toBeLessThan(1e-7);
    expect(Math.abs(trueDk[3])).toBeGreaterThan(1e-3);
    expect(res.iterations[res.iterations.length - 1].chi2).toBeGreaterThan(1.2 * free.iterations[free.iterations.length - 1].chi2);
    // With a prior on every BPM gain (σ 1e-4), no direction is degenerate any more: nothing cut.
    const last = res.iterations[res.iterations.length - 1];
    expect(last.singularValuesKept).toBe(last.singularValues);
    expect(res.notes.some((n) => n.includes('directions cut'))).toBe(false);
    // Without the prior on quadrupole 3, the fit finds its error (within 4σ, σ ≪ the error).
    expect(Math.abs(free.quadrupoles[3].delta - trueDk[3])).toBeLessThan(4 * free.quadrupoles[3].sigma);
    expect(free.quadrupoles[3].sigma).toBeLessThan(0.1 * Math.abs(trueDk[3]));
    expect(free.iterations[free.iterations.length - 1].chi2PerDof).toBeLessThan(1.5);
  });

  it('finds an energy shift per horizontal corrector (fixed-momentum matrix)', () => {
    const normal = normals(41);
    // δ ~ 1e-5 per step against 1 nm noise: η at the cell's BPMs is a few cm, so δ·η is some 100 times the noise.
    const shifts = Array.from({ length: nc }, () => 1e-5 * normal());
    const raw = syntheticOrm(design, { bpms, correctors, kick: 1e-4, bpmGains: { x: ones(nb), y: ones(nb) }, correctorGains: { x: ones(nc), y: ones(nc) }, noise: 1e-9, normal, orbitType: 'fixed-momentum', energyShifts: shifts });
    const res = locoFit(design, parseOrm(raw, 'ORM.json'), parseFit({ method: 'levenberg-marquardt', iterations: 2, orbitType: 'fixed-momentum', fit: { energyShifts: true } }, 'FIT.yaml'));
    res.energyShifts.forEach((d, j) => expect(Math.abs(d - shifts[j])).toBeLessThan(0.01 * Math.max(...shifts.map(Math.abs))));
    expect(res.iterations[res.iterations.length - 1].chi2PerDof).toBeLessThan(1.5);
    // Without column normalisation (a linear problem here) the same solution.
    const raw2 = parseFit({ method: 'gauss-newton', iterations: 1, orbitType: 'fixed-momentum', columnNormalisation: false, fit: { energyShifts: true } }, 'FIT.yaml');
    const plain = locoFit(design, parseOrm(raw, 'ORM.json'), raw2);
    plain.energyShifts.forEach((d, j) => expect(d).toBeCloseTo(res.energyShifts[j], 12));
  });
});
