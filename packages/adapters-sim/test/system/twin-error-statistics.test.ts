/**
 * The twin's error draws follow the declared law, for every kind of error: a
 * Kolmogorov–Smirnov test of the pooled draws of many seeds (fixed, so the test is
 * reproducible) against the exact CDF (Gaussian, truncated Gaussian, uniform), and the
 * draws are what the machine model and the BPMs apply (misalignments as T1/T2, rolls as
 * R1/R2, field errors on the magnet strength, BPM offset, gain and rotation).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import type { EngineLatticeModel } from '@mlayer/engine';
import { thomxTwin } from '../twin-fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** erf(x), Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, far below the KS critical values). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
const Phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

type Law = { distribution: 'gaussian'; sigma: number; truncation?: number } | { distribution: 'uniform'; sigma: number };

/** The CDF of a declared law (sigma: rms of the Gaussian before truncation; half-width of the uniform). */
function cdf(law: Law): (x: number) => number {
  const s = law.sigma;
  if (law.distribution === 'uniform') return (x) => Math.min(1, Math.max(0, (x + s) / (2 * s)));
  const c = law.truncation;
  if (c === undefined) return (x) => Phi(x / s);
  const lo = Phi(-c);
  const norm = Phi(c) - lo;
  return (x) => Math.min(1, Math.max(0, (Phi(x / s) - lo) / norm));
}

/** Kolmogorov–Smirnov statistic D = sup |F_n − F|. */
function ksStatistic(sample: readonly number[], F: (x: number) => number): number {
  const xs = [...sample].sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  xs.forEach((x, i) => {
    const f = F(x);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  return d;
}

/** Critical value of D at significance 0.001 (asymptotic: 1.949 / sqrt(n)). */
const ksCritical = (n: number) => 1.949 / Math.sqrt(n);

describe('twin error statistics: Kolmogorov–Smirnov against the declared law, every error kind', () => {
  it('magnet misalignments, rolls and field errors, BPM offsets, gains and rotations, the RF offset', async () => {
    const { acc, twin } = await thomxTwin();
    open.push(acc);
    const laws = {
      QUAD: {
        dx: { distribution: 'gaussian', sigma: 30e-6, truncation: 2 },
        dy: { distribution: 'gaussian', sigma: 20e-6 },
        roll: { distribution: 'uniform', sigma: 2e-4 },
        field: { distribution: 'gaussian', sigma: 1e-3, truncation: 3 },
      },
      HCM: { field: { distribution: 'uniform', sigma: 0.02 } },
      BPMx: { offset: { distribution: 'gaussian', sigma: 100e-6, truncation: 2.5 }, gain: { distribution: 'gaussian', sigma: 0.01 }, rotation: { distribution: 'gaussian', sigma: 1e-3, truncation: 2 } },
      BPMy: { offset: { distribution: 'uniform', sigma: 50e-6 }, gain: { distribution: 'gaussian', sigma: 0.02, truncation: 1.5 } },
    } as const satisfies Record<string, Record<string, Law>>;
    const spec = {
      magnets: { QUAD: laws.QUAD, HCM: laws.HCM },
      bpms: { BPMx: { ...laws.BPMx, noise: 1e-6 }, BPMy: laws.BPMy },
      rf: { frequency: { distribution: 'gaussian', sigma: 50, truncation: 2 } },
    };
    const pooled = new Map<string, number[]>();
    const add = (key: string, v: readonly number[]) => pooled.set(key, [...(pooled.get(key) ?? []), ...v]);
    const quadElements = acc.family('QUAD').elements as number[];
    const design = twin.designModel;
    for (let seed = 1000; seed < 1200; seed++) {
      twin.applyErrors(spec, seed);
      const e = twin.appliedErrors!;
      for (const q of ['dx', 'dy', 'roll', 'field'] as const) add(`QUAD.${q}`, e.magnets.QUAD[q]);
      add('HCM.field', e.magnets.HCM.field);
      for (const q of ['offset', 'gain', 'rotation'] as const) add(`BPMx.${q}`, e.bpms.BPMx[q]);
      for (const q of ['offset', 'gain'] as const) add(`BPMy.${q}`, e.bpms.BPMy[q]);
      if (seed === 1000) {
        // The draws are what the machine model applies: AT misalignments (T1 = -[dx 0 dy 0 0 0], T2 = -T1),
        // the roll as R1 (rotation by the angle) and the field error on the quadrupole strength.
        const machine = (twin.machineModel as EngineLatticeModel).lattice();
        quadElements.forEach((el, i) => {
          const m = machine.elements[el] as { T1: number[]; T2: number[]; R1: number[][] };
          expect(m.T1[0]).toBe(-e.magnets.QUAD.dx[i]);
          expect(m.T1[2]).toBe(-e.magnets.QUAD.dy[i]);
          expect(m.T2[0]).toBe(e.magnets.QUAD.dx[i]);
          expect(m.T2[2]).toBe(e.magnets.QUAD.dy[i]);
          expect(m.R1[0][0]).toBeCloseTo(Math.cos(e.magnets.QUAD.roll[i]), 15);
          expect(m.R1[0][2]).toBeCloseTo(Math.sin(e.magnets.QUAD.roll[i]), 15);
          const k = twin.machineModel.getParameter({ element: el, field: 'PolynomB', index: 1 });
          const k0 = design.getParameter({ element: el, field: 'PolynomB', index: 1 });
          expect(k).toBeCloseTo(k0 * (1 + e.magnets.QUAD.field[i]), 12);
        });
      }
    }
    // The RF offset is one draw per seed: many seeds (a spec with nothing else keeps it fast).
    const rf: number[] = [];
    for (let seed = 1; seed <= 2000; seed++) {
      twin.applyErrors({ rf: spec.rf }, seed);
      rf.push(twin.appliedErrors!.rfOffset);
    }
    pooled.set('rf.frequency', rf);
    const lawOf = (key: string): Law => {
      if (key === 'rf.frequency') return spec.rf.frequency;
      const [fam, q] = key.split('.');
      return (laws as Record<string, Record<string, Law>>)[fam][q];
    };
    const report: string[] = [];
    for (const [key, sample] of pooled) {
      const law = lawOf(key);
      const d = ksStatistic(sample, cdf(law));
      report.push(`${key} (${law.distribution}${'truncation' in law && law.truncation ? `, cut ${law.truncation}` : ''}, n ${sample.length}): D ${d.toFixed(4)} < ${ksCritical(sample.length).toFixed(4)}`);
      expect(d, key).toBeLessThan(ksCritical(sample.length));
      // A truncated law never exceeds its cut; a uniform one stays within its half-width.
      const bound = law.distribution === 'uniform' ? law.sigma : law.truncation !== undefined ? law.truncation * law.sigma : Number.POSITIVE_INFINITY;
      expect(Math.max(...sample.map(Math.abs)), key).toBeLessThanOrEqual(bound);
    }
    console.log(report.join('\n'));
  }, 120_000);

  it('the BPMs apply the drawn offset, gain and rotation to the orbit they read', async () => {
    const { acc, twin } = await thomxTwin();
    open.push(acc);
    twin.applyErrors({ bpms: { BPMx: { offset: 100e-6, gain: 0.02, rotation: 5e-3 }, BPMy: { offset: 80e-6, gain: 0.03 } } }, 17);
    const e = twin.appliedErrors!.bpms;
    // Zero orbit: the BPM sees the beam at -offset in its own rotated frame, scaled by 1 + gain.
    const x = await acc.family('BPMx').get();
    const y = await acc.family('BPMy').get();
    x.forEach((v, i) => {
      const [u, w, r] = [-e.BPMx.offset[i], -e.BPMy.offset[i], e.BPMx.rotation[i]];
      expect(v).toBeCloseTo((1 + e.BPMx.gain[i]) * (Math.cos(r) * u + Math.sin(r) * w), 15);
      expect(y[i]).toBeCloseTo((1 + e.BPMy.gain[i]) * (-Math.sin(r) * u + Math.cos(r) * w), 15);
    });
  });
});
