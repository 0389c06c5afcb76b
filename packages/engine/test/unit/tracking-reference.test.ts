/**
 * Tracking against pyAT: for every shared lattice, the 5 test particles element by
 * element over one turn (1e-12 abs) and turn by turn over 100 turns (1e-10 abs).
 * The long runs (1000 particles over N turns, the hmba dynamic-aperture grid: minutes
 * of CPU) are in test/system/tracking-reference-long.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileLattice, coordsToRows, particlesFromRows, track } from '../../src/index.js';
import { SHARED, cases, loadLattice, maxAbsDiff, type TrackingRef } from '../tracking-reference-data.js';

const all = cases();

describe('tracking reference set', () => {
  it('finds the shared lattices', () => {
    expect(existsSync(SHARED)).toBe(true);
    expect(all.map((c) => c.name).sort()).toEqual(['australian_synchrotron', 'dba', 'diamond_i04', 'hmba', 'thomx']);
  });
});

describe.each(all)('$name', ({ lattice, tracking }) => {
  const ref = JSON.parse(readFileSync(tracking, 'utf8')) as TrackingRef;
  const compiled = compileLattice(loadLattice(lattice));
  const N = compiled.elements.length;

  it('5 particles element by element over one turn (1e-12)', () => {
    const eb = ref.element_by_element;
    expect(eb.coords.length).toBe(N + 1);
    const p = particlesFromRows(eb.r_initial);
    const refpts = Array.from({ length: N + 1 }, (_, i) => i);
    const res = track(compiled, p, { turns: 1, refpts });
    let worst = 0;
    let where = -1;
    for (let e = 0; e <= N; e++) {
      const d = maxAbsDiff(coordsToRows(res.record![0][e], p.n), eb.coords[e]);
      if (d > worst) {
        worst = d;
        where = e;
      }
    }
    console.log(`${ref.lattice}: one turn element by element, max |diff| = ${worst.toExponential(2)} (refpt ${where})`);
    expect(worst, `largest difference ${worst} at refpt ${where}`).toBeLessThanOrEqual(1e-12);
  });

  it('5 particles turn by turn over 100 turns (1e-10)', () => {
    const tb = ref.turn_by_turn_100;
    const p = particlesFromRows(ref.element_by_element.r_initial);
    const res = track(compiled, p, { turns: 100, refpts: [0] });
    let worst = 0;
    for (let t = 0; t < 100; t++) worst = Math.max(worst, maxAbsDiff(coordsToRows(res.record![t][0], p.n), tb.coords[t]));
    worst = Math.max(worst, maxAbsDiff(coordsToRows(res.coords, p.n), tb.r_after_100_turns));
    console.log(`${ref.lattice}: 5 particles x 100 turns, max |diff| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-10);
  });
});
