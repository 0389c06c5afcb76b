/**
 * The CLI reads and writes elegant and PALS: `model formats` lists them,
 * `model convert` AT -> .lte -> .pals.yaml prints the loss report, and
 * `model optics` on the converted files gives the original's cell tunes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { runCli } from '../in-process-cli.js';

const FORMATS = join(sharedDataDir(), 'lattices/formats');
const tmp = mkdtempSync(join(tmpdir(), 'mlayer-elegant-pals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('mlayer model with elegant and PALS files', () => {
  it('formats lists .lte, .pals.yaml and .pals.json as read/write', async () => {
    const r = await runCli(['model', 'formats']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\.lte +read\/write +elegant .*\[--use NAME\]$/m);
    expect(r.stdout).toMatch(/^\.pals\.yaml +read\/write +PALS /m);
    expect(r.stdout).toMatch(/^\.pals\.json +read\/write +PALS /m);
  });

  it('convert AT -> elegant -> PALS with the loss reports; optics of each gives the same cell tunes', async () => {
    const src = join(FORMATS, 'hmba_simple_orig.atjson.json');
    const lte = join(tmp, 'hmba.lte');
    const pals = join(tmp, 'hmba.pals.yaml');
    const a = await runCli(['model', 'convert', src, lte]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/element BPM_01: Scale: no elegant parameter for this field: dropped/);
    expect(a.stdout).toMatch(/periodicity: 32: elegant files carry no periodicity/);
    const b = await runCli(['model', 'convert', lte, pals, '--use', 'hmba_simple']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/a Marker hmba_simple_cell_end is appended/);
    const t0 = JSON.parse((await runCli(['model', 'optics', '--lattice', src, '--json'])).stdout).tunes as number[];
    for (const f of [lte, pals]) {
      const r = await runCli(['model', 'optics', '--lattice', f, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const t = JSON.parse(r.stdout).tunes as number[];
      expect(Math.abs(t[0] - t0[0] / 32)).toBeLessThan(1e-10);
      expect(Math.abs(t[1] - t0[1] / 32)).toBeLessThan(1e-10);
    }
  });
});
