/**
 * Synthetic recovery on the hmba cell (issue 20's Done-when, as pySC's LOCO
 * test): 1 % rms gradient errors on every quadrupole, 1 % BPM gains, 1 %
 * corrector gains, 0.1 µm BPM noise; the fit (Levenberg-Marquardt, at most 3
 * iterations, every quadrupole its own group, BPM gains and corrector kicks)
 * must give a model whose beta-beat against the truth is below 0.2 % rms in
 * both planes, ΔK correlating with the true errors at ≥ 0.99, χ²/DOF ≤ 1.2.
 */
import { describe, expect, it } from 'vitest';
import { locoFit, parseFit, parseOrm } from '../../src/index.js';
import { hmbaWithCorrectors, normals, syntheticOrm } from '../fixture.js';

const rms = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);

function correlation(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let sab = 0, saa = 0, sbb = 0;
  a.forEach((x, i) => {
    sab += (x - ma) * (b[i] - mb);
    saa += (x - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  });
  return sab / Math.sqrt(saa * sbb);
}

describe('LOCO synthetic recovery on the hmba cell', () => {
  it('recovers 1 % gradient errors, BPM and corrector gains within the issue bounds', () => {
    const design = hmbaWithCorrectors();
    const normal = normals(20);
    const quads = design.find('class:Quadrupole');
    const bpms = design.find('class:Monitor');
    const correctors = design.find('class:Corrector');
    const truth = design.clone();
    const trueDk = quads.map((q) => {
      const ref = { element: q, field: 'PolynomB', index: 1 };
      const k = design.getParameter(ref);
      const dk = 0.01 * k * normal();
      truth.setParameter(ref, k + dk);
      return dk;
    });
    const gains = (n: number) => Array.from({ length: n }, () => 1 + 0.01 * normal());
    const raw = syntheticOrm(truth, {
      bpms,
      correctors,
      kick: 1e-4,
      bpmGains: { x: gains(bpms.length), y: gains(bpms.length) },
      correctorGains: { x: gains(correctors.length), y: gains(correctors.length) },
      noise: 1e-7,
      normal,
    });
    const orm = parseOrm(raw, 'synthetic ORM.json');
    const spec = parseFit(
      {
        method: 'levenberg-marquardt',
        iterations: 3,
        svThreshold: 1e-6,
        fit: { quadrupoles: quads.map((q) => ({ name: `${design.element(q).famName}@${q}`, elements: [q] })), bpmGains: true, correctorKicks: true },
      },
      'synthetic FIT.yaml',
    );
    const res = locoFit(design, orm, spec);
    const fitted = res.model.optics('all' as never);
    const t = truth.optics('all' as never);
    const beat = (p: 0 | 1) => rms(fitted.map((e, i) => (e.beta[p] - t[i].beta[p]) / t[i].beta[p]));
    const corr = correlation(res.quadrupoles.map((q) => q.delta), trueDk);
    const last = res.iterations[res.iterations.length - 1];
    console.log(
      `hmba LOCO: ${quads.length} quadrupoles, ${bpms.length} BPMs, ${correctors.length} correctors per plane; iterations ${res.iterations.length - 1}; ` +
        `beta-beat fitted vs truth x ${(100 * beat(0)).toFixed(4)} % y ${(100 * beat(1)).toFixed(4)} %; correlation ${corr.toFixed(5)}; χ²/DOF ${last.chi2PerDof.toFixed(3)} ` +
        `(start ${res.iterations[0].chi2PerDof.toExponential(3)}); rms (ΔK fit − true)/σ ${rms(res.quadrupoles.map((q, i) => (q.delta - trueDk[i]) / q.sigma)).toFixed(2)}; sv kept ${last.singularValuesKept}/${last.singularValues}; notes: ${res.notes.join(' | ')}`,
    );
    expect(res.iterations.length - 1).toBeLessThanOrEqual(3);
    expect(beat(0)).toBeLessThan(0.002);
    expect(beat(1)).toBeLessThan(0.002);
    expect(corr).toBeGreaterThanOrEqual(0.99);
    expect(last.chi2PerDof).toBeLessThanOrEqual(1.2);
    // The records: entry 0 is the start; χ² falls at every accepted step; the 1σ errors of ΔK describe the actual errors.
    expect(res.iterations[0].iteration).toBe(0);
    for (let i = 1; i < res.iterations.length; i++) expect(res.iterations[i].chi2).toBeLessThan(res.iterations[i - 1].chi2);
    const pulls = rms(res.quadrupoles.map((q, i) => (q.delta - trueDk[i]) / q.sigma));
    expect(pulls).toBeGreaterThan(0.3);
    expect(pulls).toBeLessThan(3);
    // The overall gain scale (BPM gains up, kicks down) is the one pair of degenerate directions, cut and stated.
    expect(last.singularValues - last.singularValuesKept).toBe(2);
    expect(res.notes.some((n) => n.includes('2 of 56 directions cut'))).toBe(true);
  });
});
