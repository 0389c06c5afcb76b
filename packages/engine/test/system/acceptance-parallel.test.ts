/**
 * Dynamic aperture on worker threads (parallel/acceptance-parallel.ts): the same survival map as
 * one thread and as pyAT (hmba 6D, 3 of the reference's 11 angles x 21 radii, 513 passes).
 * The worker is bundled from the sources (esbuild) as in parallel-tracking.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile6d } from '../../src/physics/enable-6d.js';
import { dynamicAperture } from '../../src/physics/acceptance.js';
import { dynamicApertureParallel } from '../../src/parallel/acceptance-parallel.js';
import { LATTICES, available, loadJson, loadLattice, type RefLattice } from '../physics-fixtures.js';

const HMBA = LATTICES.find((l) => l.name === 'hmba') as RefLattice;
mkdirSync(resolve(__dirname, '../../.cache'), { recursive: true });
const bundleDir = mkdtempSync(join(resolve(__dirname, '../../.cache'), 'track-worker-'));
const workerScript = join(bundleDir, 'track-worker.mjs');
beforeAll(async () => {
  await build({
    entryPoints: [resolve(__dirname, '../../src/parallel/track-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: workerScript,
    alias: { '@mlayer/core': resolve(__dirname, '../../../core/src/index.ts') },
    plugins: [{ name: 'dependencies-external', setup: (b) => b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@mlayer/') ? undefined : { path: args.path, external: true })) }],
    logLevel: 'error',
  });
}, 120_000);
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

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
