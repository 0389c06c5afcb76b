/**
 * Tracking against pyAT, the long runs (minutes of CPU; the one-turn and 100-turn
 * comparisons are in test/unit/tracking-reference.test.ts): for every shared
 * lattice the 1000 particles after N turns (none of them is lost, in the reference
 * as here). Losses: the hmba dynamic-aperture grid of the 6D reference (231
 * particles, 513 cell passes), each particle lost at pyAT's turn and element.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLattice, coordsToRows, particlesFromRows, track } from '../../src/index.js';
import { SHARED, cases, loadLattice, maxAbsDiff, type TrackingRef } from '../tracking-reference-data.js';

const all = cases();

describe.each(all)('$name', ({ lattice, tracking }) => {
  const ref = JSON.parse(readFileSync(tracking, 'utf8')) as TrackingRef;
  const compiled = compileLattice(loadLattice(lattice));

  it(`1000 particles after ${ref.nturns} turns: the same coordinates, none lost (as in the reference)`, async () => {
    const rows = ref.r_initial[0].map((_, i) => ref.r_initial.map((coord) => coord[i]));
    const p = particlesFromRows(rows);
    // Tracked in place, in chunks of turns, giving the event loop a turn in between
    // (a long synchronous block starves the test runner's worker messages on a loaded machine).
    const chunk = 25;
    for (let done = 0; done < ref.nturns; done += chunk) {
      track(compiled, p, { turns: Math.min(chunk, ref.nturns - done) });
      await new Promise((r) => setImmediate(r));
    }
    const got = coordsToRows(p.coords, p.n);
    const want = ref.r_final[0].map((_, i) => ref.r_final.map((coord) => coord[i]));
    // pyAT marks lost particles with NaN coordinates.
    const lost = got.filter((r) => r.some((v) => !Number.isFinite(v))).length;
    expect(lost).toBe(ref.n_lost);
    const worst = maxAbsDiff(got, want);
    console.log(`${ref.lattice}: 1000 particles x ${ref.nturns} turns, max |diff| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-10);
  }, 600_000);
});

describe('losses against pyAT: hmba dynamic-aperture grid (4D, 513 cell passes, 231 particles)', () => {
  const dir = join(SHARED, 'lattices/hmba');
  const da = (JSON.parse(readFileSync(join(dir, 'hmba_6d_ref.json'), 'utf8')) as {
    acceptance: { '4d': { dynamic_aperture_xy: { initial_coordinates: number[][]; turns_tracked_total: number; loss_turn: number[]; loss_element: number[] } } };
  }).acceptance['4d'].dynamic_aperture_xy;

  it('every particle is lost at the turn and element where pyAT loses it, or survives as in pyAT (at most 2 boundary flips)', async () => {
    const compiled = compileLattice(loadLattice(join(dir, 'hmba_4d.atjson.json')));
    const p = particlesFromRows(da.initial_coordinates);
    const n = p.n;
    const turn = new Int32Array(n).fill(-1);
    const element = new Int32Array(n).fill(-1);
    // Tracked in chunks of turns (the event loop gets a turn in between); a loss turn is relative to its chunk.
    const chunk = 64;
    for (let done = 0; done < da.turns_tracked_total; done += chunk) {
      const res = track(compiled, p, { turns: Math.min(chunk, da.turns_tracked_total - done) });
      for (let i = 0; i < n; i++) {
        if (turn[i] < 0 && res.lostTurn[i] > 0) {
          turn[i] = done + res.lostTurn[i] - 1;
          element[i] = res.lostElement[i];
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    const lostRef = da.loss_turn.filter((t) => t >= 0).length;
    expect(lostRef).toBeGreaterThan(30); // the reference really has losses
    // A DA boundary is chaotic (README: a 1e-12 m shift flips 1 of 231 points): allow 2 particles to differ.
    const differ = [...Array(n).keys()].filter((i) => turn[i] !== da.loss_turn[i] || element[i] !== da.loss_element[i]);
    console.log(`hmba DA grid: ${lostRef} lost in pyAT, ${[...turn].filter((t) => t >= 0).length} here; differing: ${differ.map((i) => `#${i} pyAT ${da.loss_turn[i]}/${da.loss_element[i]} here ${turn[i]}/${element[i]}`).join(', ') || 'none'}`);
    expect(differ.length).toBeLessThanOrEqual(2);
  }, 300_000);
});
