/**
 * A noise estimate read on a moving orbit (a corrector changed by another client
 * just before a measurement) refused a good ORM step as too weak (SNR 0.33 against
 * a spread of 34 µm where the BPMs had 0.2 µm noise). orbitMotion tells noise from
 * motion; readSteadyOrbit reads again until the orbit holds still.
 */
import { describe, expect, it } from 'vitest';
import { orbitMotion, readSteadyOrbit } from '../../src/orm-checks.js';
import type { OrbitReading, PlaneOrbit } from '../../src/measure-orbit.js';

/** Seeded normal deviates (Box–Muller over a small LCG). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** A plane of `m` BPMs read `n` times with noise `sigma`, plus `shift(k, i)` (the orbit's motion). */
function plane(m: number, n: number, sigma: number, seed: number, shift: (k: number, i: number) => number = () => 0): PlaneOrbit {
  const g = normals(seed);
  const samples = Array.from({ length: n }, (_, k) => Float64Array.from({ length: m }, (_v, i) => 1e-3 * Math.sin(i) + shift(k, i) + sigma * g()));
  const values = Float64Array.from({ length: m }, (_v, i) => samples.reduce((a, r) => a + r[i], 0) / n);
  const std = Float64Array.from({ length: m }, (_v, i) => Math.sqrt(samples.reduce((a, r) => a + (r[i] - values[i]) ** 2, 0) / (n - 1)));
  return { family: 'BPMx', devices: [], names: [], unit: 'm', values, std, count: new Int32Array(m).fill(n), samples };
}

describe('orbit motion during a noise reading', () => {
  it('pure noise: the two pooled estimates agree with the noise (12 and 173 BPMs, 4 readings)', () => {
    for (const m of [12, 173]) {
      for (let seed = 1; seed <= 20; seed++) {
        const r = orbitMotion(plane(m, 4, 2e-7, seed));
        expect(r.std / 2e-7).toBeGreaterThan(0.6);
        expect(r.std / 2e-7).toBeLessThan(1.4);
        expect(r.ratio).toBeLessThan(2.5);
      }
    }
  });

  it('an orbit step of 30 µm between the 2nd and 3rd readings: the spread is motion, the successive-difference estimate stays near the noise', () => {
    const r = orbitMotion(plane(173, 4, 2e-7, 3, (k, i) => (k >= 2 ? 3e-5 * Math.cos(0.3 * i) : 0)));
    expect(r.std).toBeGreaterThan(1e-5);
    expect(r.robust).toBeLessThan(4e-7);
    expect(r.ratio).toBeGreaterThan(20);
  });

  it('a drift of 10 µm per reading is no step: both estimates see it (it is noise for the measurement too)', () => {
    const r = orbitMotion(plane(40, 4, 2e-7, 8, (k) => 1e-5 * k));
    expect(r.robust).toBeGreaterThan(8e-6);
    expect(r.ratio).toBeLessThan(2.5);
  });

  it('readSteadyOrbit reads again while the orbit moves, warns, and returns the first steady reading', async () => {
    const readings = [
      plane(40, 4, 2e-7, 5, (k) => (k >= 1 ? 2e-5 : 0)),
      plane(40, 4, 2e-7, 6, (k) => (k >= 3 ? -1e-5 : 0)),
      plane(40, 4, 2e-7, 7),
    ];
    let reads = 0;
    const warnings: string[] = [];
    const got = await readSteadyOrbit(async () => ({ x: readings[reads++], units: 'hardware', average: 4 }) as OrbitReading, ['x'], 0, (w) => warnings.push(w), { waitMs: 1 });
    expect(reads).toBe(3);
    expect(got.x).toBe(readings[2]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/the orbit moved while its noise was read \(x: spread .* against .* from successive readings\): reading it again/);
  });

  it('an orbit that keeps moving: the last reading after the tries, with a warning that the checks are pessimistic', async () => {
    let reads = 0;
    const warnings: string[] = [];
    await readSteadyOrbit(async () => ({ x: plane(40, 4, 2e-7, 10 + reads++, (k) => (k >= 2 ? 3e-5 : 0)), units: 'hardware', average: 4 }) as OrbitReading, ['x'], 0, (w) => warnings.push(w), { waitMs: 1, tries: 3 });
    expect(reads).toBe(3);
    expect(warnings.at(-1)).toMatch(/kept moving .* 3 tries\): the noise estimate and the checks that use it are pessimistic/);
  });

  it('motion below the noise floor is not motion', async () => {
    let reads = 0;
    await readSteadyOrbit(async () => ({ x: plane(40, 4, 2e-7, 20 + reads++, (k) => (k >= 2 ? 2e-6 : 0)), units: 'hardware', average: 4 }) as OrbitReading, ['x'], 1e-5, () => undefined, { waitMs: 1 });
    expect(reads).toBe(1);
  });
});
