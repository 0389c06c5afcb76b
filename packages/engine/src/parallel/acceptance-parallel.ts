/**
 * Dynamic aperture on worker threads: the grid points of physics/acceptance.ts, dealt to the
 * workers round-robin (point k to worker k mod W, so that each gets inner and outer points of
 * every angle), tracked by ParallelCpuTracker (bit-identical to one thread), and put back in order.
 */
import type { Lattice } from '../lattice.js';
import { compile6d, enable6d } from '../physics/enable-6d.js';
import { dynamicApertureResult, dynamicApertureStart, type DynamicApertureOptions, type DynamicApertureResult } from '../physics/acceptance.js';
import { compileLattice } from '../tracking/compile.js';
import { ParallelCpuTracker, type ParallelTrackerOptions } from './parallel-tracker.js';

export async function dynamicApertureParallel(
  lattice: Lattice,
  o: DynamicApertureOptions,
  tracker: Omit<ParallelTrackerOptions, 'sixD'> = {},
): Promise<DynamicApertureResult> {
  const compiled = o.sixD ? compile6d(lattice) : compileLattice(lattice);
  const { grid, coords, orbit, angles } = dynamicApertureStart(compiled, o);
  const n = grid.length;
  const W = tracker.workers ?? 2;
  const order: number[] = [];
  for (let w = 0; w < W; w++) for (let k = w; k < n; k += W) order.push(k);
  const dealt = new Float64Array(6 * n);
  order.forEach((k, j) => { for (let c = 0; c < 6; c++) dealt[c * n + j] = coords[c * n + k]; });
  const t = new ParallelCpuTracker(o.sixD ? enable6d(lattice) : lattice, { ...tracker, sixD: o.sixD });
  try {
    const res = await t.track(dealt, { turns: o.nturns + 1 });
    const lostTurn = new Int32Array(n);
    order.forEach((k, j) => { lostTurn[k] = res.lostTurn[j]; });
    return dynamicApertureResult(grid, lostTurn, o.npoints[0], angles, orbit);
  } finally {
    await t.close();
  }
}
