/**
 * Tracking against pyAT: for every shared lattice, the 5 test particles element by
 * element over one turn (1e-12 abs), turn by turn over 100 turns (1e-10 abs), and the
 * 1000 particles after N turns (none of them is lost, in the reference as here). Losses:
 * the hmba dynamic-aperture grid of the 6D reference (231 particles, 513 cell passes),
 * each particle lost at pyAT's turn and element.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { compileLattice, coordsToRows, particlesFromRows, track, type Lattice } from '../src/index.js';

const SHARED = sharedDataDir();

interface TrackingRef {
  nturns: number;
  r_initial: number[][];
  r_final: (number | null)[][];
  n_lost: number;
  element_by_element: { r_initial: number[][]; coords: number[][][] };
  turn_by_turn_100: { coords: number[][][]; r_after_100_turns: number[][] };
}

interface Case {
  name: string;
  lattice: string;
  tracking: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const dirs = readdirSync(join(SHARED, 'lattices'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(SHARED, 'lattices', d.name));
  dirs.push(join(SHARED, 'facilities', 'diamond-i04'));
  for (const dir of dirs) {
    const files = readdirSync(dir);
    const lat = files.find((f) => f.endsWith('_4d.atjson.json'));
    const trk = files.find((f) => /_tracking_\d+t\.json$/.test(f));
    if (lat && trk) out.push({ name: lat.replace('_4d.atjson.json', ''), lattice: join(dir, lat), tracking: join(dir, trk) });
  }
  return out;
}

function loadLattice(path: string): Lattice {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Lattice;
  return { elements: json.elements, properties: json.properties };
}

/** Largest absolute difference; NaN (lost) must match null/NaN in the reference. */
function maxAbsDiff(got: number[][], want: (number | null)[][]): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    for (let k = 0; k < 6; k++) {
      const w = want[i][k];
      const g = got[i][k];
      if (w === null || Number.isNaN(w)) {
        if (!Number.isNaN(g)) return Infinity;
        continue;
      }
      worst = Math.max(worst, Math.abs(g - w));
    }
  }
  return worst;
}

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
