/** Closed orbit (find_orbit4) against pyAT, and the errors for bad input. */
import { describe, expect, it } from 'vitest';
import { UnstableLatticeError } from '@mlayer/core';
import type { Lattice } from '../../src/lattice.js';
import { compileLattice } from '../../src/tracking/index.js';
import { findOrbit4 } from '../../src/physics/orbit.js';
import { ClosedOrbitError } from '../../src/physics/errors.js';
import { linopt6 } from '../../src/physics/linear.js';
import { LATTICES, available, loadJson, loadLattice, maxAbs, maxAbsDiff } from '../physics-fixtures.js';

function withKicks(lattice: Lattice, indices: readonly number[], kick: readonly [number, number]): Lattice {
  const l = structuredClone(lattice);
  for (const i of indices) l.elements[i].KickAngle = [kick[0], kick[1]];
  return l;
}

describe.each(LATTICES.filter(available))('$name closed orbit vs pyAT', (l) => {
  const lattice = loadLattice(l);
  const ref = loadJson(l, 'ref');
  const k = ref.closed_orbit_3_kicks;

  it('matches the 3-kick orbit everywhere', () => {
    const c = compileLattice(withKicks(lattice, k.kicked_corrector_index, [10e-6, 10e-6]));
    const all = Array.from({ length: lattice.elements.length + 1 }, (_, i) => i);
    const { orbit0, orbits } = findOrbit4(c, 0, all);
    const scale = maxAbs(k.orbit_all_refpts.map((r: number[]) => r.slice(0, 4)));
    expect(scale).toBeGreaterThan(0);
    expect(maxAbsDiff(Array.from(orbit0).slice(0, 4), k.orbit_at_index0.slice(0, 4)) / scale).toBeLessThan(1e-6);
    const mine = orbits.map((o) => Array.from(o).slice(0, 4));
    expect(maxAbsDiff(mine, k.orbit_all_refpts.map((r: number[]) => r.slice(0, 4))) / scale).toBeLessThan(1e-6);
    const atBpm = findOrbit4(c, 0, k.bpm_index).orbits.map((o) => Array.from(o).slice(0, 4));
    expect(maxAbsDiff(atBpm, k.orbit_at_bpms.map((r: number[]) => r.slice(0, 4))) / scale).toBeLessThan(1e-6);
  });
});

describe('closed orbit errors', () => {
  const l = LATTICES.find((x) => x.name === 'dba' && available(x))!;
  const lattice = loadLattice(l);

  function scaledQuads(f: number): Lattice {
    const bad = structuredClone(lattice);
    for (const e of bad.elements) {
      if (e.Class === 'Quadrupole' && Array.isArray(e.PolynomB)) {
        e.PolynomB = (e.PolynomB as number[]).map((v, i) => (i === 1 ? v * f : v));
        if (typeof e.K === 'number') e.K *= f;
      }
    }
    return bad;
  }

  it('throws UnstableLatticeError for an unstable lattice (quadrupoles x1.05 and x1.6)', () => {
    const mild = compileLattice(scaledQuads(1.05));
    expect(() => findOrbit4(mild, 0)).toThrow(UnstableLatticeError);
    expect(() => findOrbit4(mild, 0)).toThrow(/unstable one-turn matrix/);
    expect(() => linopt6(mild, { refpts: [0] })).toThrow(UnstableLatticeError);
    // The fixed point itself exists: without the stability check it is returned.
    const { orbit0 } = findOrbit4(mild, 0, [], { checkStability: false });
    expect(orbit0.every(Number.isFinite)).toBe(true);
    const strong = compileLattice(scaledQuads(1.6));
    expect(() => findOrbit4(strong, 0)).toThrow(UnstableLatticeError);
    expect(() => linopt6(strong, { refpts: [0] })).toThrow(/strongly unstable/);
  });

  it('throws ClosedOrbitError when Newton does not converge', () => {
    const ref = loadJson(l, 'ref');
    const c = compileLattice(withKicks(lattice, ref.closed_orbit_3_kicks.kicked_corrector_index, [1e-4, 1e-4]));
    expect(() => findOrbit4(c, 0, [], { maxIterations: 1 })).toThrow(ClosedOrbitError);
    expect(() => findOrbit4(c, 0, [], { maxIterations: 1 })).toThrow(/no convergence after 1 Newton iterations/);
  });

  it('throws ClosedOrbitError when the particles are lost', () => {
    const ref = loadJson(l, 'ref');
    const c = compileLattice(withKicks(lattice, ref.closed_orbit_3_kicks.kicked_corrector_index, [0.5, 0.5]));
    expect(() => findOrbit4(c, 0)).toThrow(ClosedOrbitError);
    expect(() => findOrbit4(c, 0)).toThrow(/reference particle was lost/);
  });

  it('rejects refpts outside 0..N', () => {
    const c = compileLattice(lattice);
    expect(() => findOrbit4(c, 0, [lattice.elements.length + 1])).toThrow(/outside/);
  });
});
