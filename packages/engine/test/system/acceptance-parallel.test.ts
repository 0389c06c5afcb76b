/**
 * Dynamic aperture on worker threads (parallel/acceptance-parallel.ts): the same survival map as
 * one thread and as pyAT (hmba 6D, 3 of the reference's 11 angles x 21 radii, 513 passes).
 * The worker is bundled from the sources (track-worker-bundle.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile6d } from '../../src/physics/enable-6d.js';
import { dynamicAperture } from '../../src/physics/acceptance.js';
import { dynamicApertureParallel } from '../../src/parallel/acceptance-parallel.js';
import { LATTICES, available, loadJson, loadLattice, type RefLattice } from '../physics-fixtures.js';
import { trackWorkerBundle } from './track-worker-bundle.js';

const HMBA = LATTICES.find((l) => l.name === 'hmba') as RefLattice;
const bundle = trackWorkerBundle();
const { workerScript } = bundle;
beforeAll(() => bundle.build(), 120_000);
afterAll(() => bundle.remove());

describe('dynamic aperture on worker threads', () => {
  it.skipIf(!available(HMBA))('hmba 6D, 2 workers: identical to one thread and to pyAT on 63 points', async () => {
    const acc = loadJson(HMBA, '6d_ref').acceptance;
    const s = acc.settings.da;
    const lattice = loadLattice(HMBA);
    const thetaIndices = [0, 5, 10];
    const o = { amplitudes: s.amplitudes, npoints: s.npoints, nturns: s.nturns, sixD: true, thetaIndices };
    const par = await dynamicApertureParallel(lattice, o, { workers: 2, workerScript });
    const one = dynamicAperture(compile6d(lattice), o);
    expect(par.survived).toEqual(one.survived);
    expect(par.boundary).toEqual(one.boundary);
    const nr = s.npoints[0];
    const want = thetaIndices.flatMap((it) => acc['6d'].dynamic_aperture_xy.survived.slice(it * nr, (it + 1) * nr));
    expect(par.survived.filter((v, i) => v !== want[i]).length).toBeLessThanOrEqual(2);
  }, 120_000);
});
