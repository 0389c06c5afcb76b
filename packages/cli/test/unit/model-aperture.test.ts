/**
 * `mlayer model aperture`: the engine's dynamic aperture through the CLI (the physics is tested
 * against pyAT in the engine's physics-acceptance tests). A reduced run keeps it fast: 6 radii x
 * 3 angles, 32 turns, checked against the engine function called directly.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { compileLattice, dynamicAperture, loadLattice } from '@mlayer/engine';
import { runCli } from '../in-process-cli.js';

const HMBA = join(sharedDataDir(), 'lattices/hmba/hmba_4d.atjson.json');

describe('mlayer model aperture', () => {
  it('--json: the engine dynamic aperture of the lattice file (4D, reduced grid)', async () => {
    const r = await runCli(['model', 'aperture', '--lattice', HMBA, '--npoints', '6,3', '--turns', '32', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    const direct = dynamicAperture(compileLattice(loadLattice(HMBA)), { amplitudes: [0.015, 0.01], npoints: [6, 3], nturns: 32, sixD: false });
    expect(o.survived).toEqual(direct.survived);
    expect(o.points).toBe(18);
    // the inner points survive, the 15 mm / 10 mm corners of the grid are outside the aperture (pyAT: x- 11.25, x+ 10.50, y 7.00 mm)
    expect(o.survived[0]).toBe(true);
    expect(o.survived[5]).toBe(false);
    expect(o.survived[11]).toBe(false);
  });

  it('bad grid option: a clear message', async () => {
    const r = await runCli(['model', 'aperture', '--lattice', HMBA, '--npoints', '6']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--npoints '6': give two positive integers/);
  });
});
