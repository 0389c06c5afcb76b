/**
 * `mlayer model aperture --gpu`: the dynamic aperture tracked on WebGPU (the software renderer in
 * CI, as the engine's gpu tests) gives the engine's CPU survivors on the same grid, 6D (RF cavities
 * and radiation in the kernel). Reduced grid and turns: the comparison is the point.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { compile6d, dynamicAperture, loadLattice } from '@mlayer/engine';
import { runCli } from '../in-process-cli.js';

const HMBA = join(sharedDataDir(), 'lattices/hmba/hmba_4d.atjson.json');

describe('mlayer model aperture --gpu', () => {
  it('--6d --json: WebGPU survivors equal the CPU engine (hmba, 6 radii x 3 angles, 12 turns)', async () => {
    const r = await runCli(['model', 'aperture', '--lattice', HMBA, '--6d', '--gpu', '--npoints', '6,3', '--turns', '12', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.backend).toMatch(/^WebGPU /);
    const cpu = dynamicAperture(compile6d(loadLattice(HMBA)), { amplitudes: [0.015, 0.01], npoints: [6, 3], nturns: 12, sixD: true });
    expect(o.survived).toEqual(cpu.survived);
    expect(o.survived.filter((s: boolean) => !s).length).toBeGreaterThan(0);
  }, 900_000);
});
