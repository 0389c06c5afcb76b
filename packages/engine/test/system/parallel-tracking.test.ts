/**
 * Worker-thread CPU tracking: the particles split over threads give exactly the
 * single-thread engine's results (coordinates, records, losses), and the pyAT reference.
 * The worker is bundled from the TypeScript sources (track-worker-bundle.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { compileLattice, coordsToRows, particlesFromRows, track, type Lattice } from '../../src/index.js';
import { createTracker, ParallelCpuTracker, type Tracker } from '../../src/gpu/index.js';
import { trackWorkerBundle } from './track-worker-bundle.js';

const SHARED = sharedDataDir();
const lattice = JSON.parse(readFileSync(resolve(SHARED, 'lattices/hmba/hmba_4d.atjson.json'), 'utf8')) as Lattice;
const ref = JSON.parse(readFileSync(resolve(SHARED, 'lattices/hmba/hmba_tracking_1000t.json'), 'utf8')) as {
  r_initial: number[][];
  element_by_element: { r_initial: number[][] };
  turn_by_turn_100: { coords: number[][][] };
};
const rows = ref.r_initial[0].map((_, i) => ref.r_initial.map((c) => c[i]));
const open: { close(): Promise<void> }[] = [];
const bundle = trackWorkerBundle();
const { workerScript } = bundle;
beforeAll(() => bundle.build(), 120_000);
afterAll(async () => {
  for (const t of open) await t.close();
  bundle.remove();
});

describe('ParallelCpuTracker', () => {
  it('2 workers: 1000 particles x 20 turns equal the single-thread engine bit for bit', async () => {
    const par = new ParallelCpuTracker(lattice, { workers: 2, workerScript });
    open.push(par);
    expect(par.workerCount).toBe(2);
    const a = particlesFromRows(rows);
    const res = await par.track(a, { turns: 20, refpts: [0, 10] });
    const b = particlesFromRows(rows);
    const cpu = track(compileLattice(lattice), b, { turns: 20, refpts: [0, 10] });
    expect(Array.from(res.coords)).toEqual(Array.from(cpu.coords));
    expect(res.record!.length).toBe(20);
    expect(Array.from(res.record![19][1])).toEqual(Array.from(cpu.record![19][1]));
    expect(Array.from(res.lostTurn)).toEqual(Array.from(cpu.lostTurn));
  }, 120_000);

  it('3 workers, 5 reference particles over 100 turns agree with pyAT (1e-10)', async () => {
    const par = new ParallelCpuTracker(lattice, { workers: 3, workerScript });
    open.push(par);
    const res = await par.track(particlesFromRows(ref.element_by_element.r_initial), { turns: 100, refpts: [0] });
    let worst = 0;
    for (let t = 0; t < 100; t++) {
      const got = coordsToRows(res.record![t][0], 5);
      for (let i = 0; i < 5; i++) for (let k = 0; k < 6; k++) worst = Math.max(worst, Math.abs(got[i][k] - ref.turn_by_turn_100.coords[t][i][k]));
    }
    expect(worst).toBeLessThanOrEqual(1e-10);
  }, 120_000);

  it('losses are reported with turn and element, as the engine', async () => {
    const big = rows.slice(0, 40).map((r, i) => [r[0] * 300 * (1 + i / 10), r[1], r[2] * 300, r[3], r[4], r[5]]);
    const par = new ParallelCpuTracker(lattice, { workers: 2, workerScript });
    open.push(par);
    const res = await par.track(particlesFromRows(big), { turns: 30 });
    const cpu = track(compileLattice(lattice), particlesFromRows(big), { turns: 30 });
    expect(Array.from(cpu.lostTurn).some((t) => t > 0)).toBe(true);
    expect(Array.from(res.lostTurn)).toEqual(Array.from(cpu.lostTurn));
    expect(Array.from(res.lostElement)).toEqual(Array.from(cpu.lostElement));
    expect(Array.from(res.lostCoords)).toEqual(Array.from(cpu.lostCoords));
  }, 120_000);
});

describe('createTracker', () => {
  it("backend 'cpu' with workers, and several configurations", async () => {
    const t: Tracker = await createTracker([lattice, lattice], { backend: 'cpu', workers: 2, workerScript });
    open.push(t);
    expect(t.backend).toBe('cpu');
    expect(t.description).toMatch(/2 worker threads/);
    const res = await t.track(particlesFromRows([...rows.slice(0, 10), ...rows.slice(0, 10)]), { turns: 5 });
    const cpu = track(compileLattice(lattice), particlesFromRows(rows.slice(0, 10)), { turns: 5 });
    for (let k = 0; k < 6; k++) for (let i = 0; i < 10; i++) expect(res.coords[k * 20 + 10 + i]).toBe(cpu.coords[k * 10 + i]);
  }, 60_000);

  it("backend 'auto' without a hardware adapter runs on the CPU and warns once", async () => {
    const warnings: string[] = [];
    const t1 = await createTracker(lattice, { backend: 'auto', warn: (m) => warnings.push(m) });
    const t2 = await createTracker(lattice, { backend: 'auto', warn: (m) => warnings.push(m) });
    open.push(t1, t2);
    if (t1.backend === 'webgpu') {
      // A machine with a hardware GPU: auto picked it.
      expect(t1.description).not.toMatch(/software/);
      return;
    }
    expect(t1.backend).toBe('cpu');
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/no hardware WebGPU adapter/);
  }, 60_000);

  it("backend 'webgpu' tracks on the GPU (the software renderer in CI)", async () => {
    const t = await createTracker(lattice, { backend: 'webgpu' });
    open.push(t);
    expect(t.backend).toBe('webgpu');
    const res = await t.track(particlesFromRows(ref.element_by_element.r_initial), { turns: 3 });
    const cpu = track(compileLattice(lattice), particlesFromRows(ref.element_by_element.r_initial), { turns: 3 });
    for (let j = 0; j < 30; j++) expect(Math.abs(res.coords[j] - cpu.coords[j])).toBeLessThanOrEqual(1e-13);
  }, 120_000);
});
