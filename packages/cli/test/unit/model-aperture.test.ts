/**
 * `mlayer model aperture`: the engine's dynamic aperture through the CLI (the physics is tested
 * against pyAT in the engine's physics-acceptance tests). A reduced run keeps it fast: 6 radii x
 * 3 angles, 32 turns, checked against the engine function called directly.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { compile6d, compileLattice, dynamicAperture, loadLattice, momentumScan } from '@mlayer/engine';
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

  it('--momentum and --plot: the 6D momentum scan of the engine, the DA and momentum charts as SVG and PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-aperture-'));
    try {
      const base = join(dir, 'hmba');
      const r = await runCli(['model', 'aperture', '--lattice', HMBA, '--6d', '--npoints', '4,3', '--turns', '32', '--momentum', '0.12,13', '--plot', base, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const o = JSON.parse(r.stdout);
      const direct = momentumScan(compile6d(loadLattice(HMBA)), { amplitude: 0.12, npoints: 13, nturns: 32, sixD: true });
      expect(o.momentum_acceptance.survived).toEqual(direct.survived);
      expect(o.momentum_acceptance.boundary_dp).toEqual(direct.boundary);
      // 32 turns: lost at -0.12 and +0.10, acceptance -0.08 / +0.08 on this 0.02 step (pyAT, 512 turns: -0.09 / +0.095 on a 0.005 step)
      expect(direct.survived[0]).toBe(false);
      expect(direct.survived[6]).toBe(true);
      expect(direct.survived[11]).toBe(false);
      expect(o.files).toEqual([`${base}-da.svg`, `${base}-da.png`, `${base}-momentum.svg`, `${base}-momentum.png`]);
      for (const f of o.files as string[]) expect(existsSync(f), f).toBe(true);
      const svg = readFileSync(`${base}-da.svg`, 'utf8');
      expect(svg).toMatch(/Dynamic aperture: \d+ of 12 grid points survive/);
      expect(svg).toContain('x (mm)');
      expect(readFileSync(`${base}-momentum.svg`, 'utf8')).toContain('Momentum acceptance at the lattice start');
      expect(readFileSync(`${base}-da.png`).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--gpu with --workers 2: a clear message', async () => {
    const r = await runCli(['model', 'aperture', '--lattice', HMBA, '--gpu', '--workers', '2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--gpu and --workers 2: choose one backend/);
  });

  it('--6d on a lattice without a cavity (dba): the no-cavity message, exit 2', async () => {
    const r = await runCli(['model', 'aperture', '--lattice', join(sharedDataDir(), 'lattices/dba/dba_4d.atjson.json'), '--6d', '--npoints', '3,3', '--turns', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/6D closed orbit: the lattice has no RF cavity/);
  });

  it('bad grid option: a clear message', async () => {
    const r = await runCli(['model', 'aperture', '--lattice', HMBA, '--npoints', '6']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--npoints '6': give two positive integers/);
  });
});
