import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { runCli } from '../in-process-cli.js';

const FORMATS = join(sharedDataDir(), 'lattices/formats');
const tmp = mkdtempSync(join(tmpdir(), 'mlayer-convert-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('mlayer model formats / convert / --use', () => {
  it('formats lists the MAD-X extensions, read/write, with --use', async () => {
    const r = await runCli(['model', 'formats']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\.seq +read\/write +MAD-X .*\[--use NAME\]$/m);
    expect(r.stdout).toMatch(/^\.madx +read\/write +MAD-X .*\[--use NAME\]$/m);
  });

  it('convert AT -> MAD-X prints the loss report per element; the file reads back with the same tunes', async () => {
    const out = join(tmp, 'hmba.madx');
    const src = join(FORMATS, 'hmba_simple_orig.atjson.json');
    const r = await runCli(['model', 'convert', src, out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${src} -> ${out}: 121 elements`);
    expect(r.stdout).toMatch(/element BPM_01: Scale: no MAD-X attribute: dropped/);
    expect(r.stdout).toMatch(/element hmba_simple: periodicity: MAD-X carries no periodicity: one cell of 32 written/);
    expect(readFileSync(out, 'utf8')).toMatch(/RING +: LINE=\(/);
    const a = JSON.parse((await runCli(['model', 'optics', '--lattice', src, '--json'])).stdout);
    const b = JSON.parse((await runCli(['model', 'optics', '--lattice', out, '--use', 'ring', '--json'])).stdout);
    expect(b.elements).toBe(121);
    expect(Math.abs(b.tunes[0] - a.tunes[0] / 32)).toBeLessThan(1e-10);
  });

  it('--use picks a sequence; a wrong one or a one-lattice format is refused, nothing written', async () => {
    const seq = join(FORMATS, 'low_emit_s10E_save.seq');
    const r = await runCli(['model', 'optics', '--lattice', seq, '--use', 'ARC2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).elements).toBe(262);
    // The line keeps its name in a MAD-X output, with the same tunes.
    const out = join(tmp, 'arc2.seq');
    expect((await runCli(['model', 'convert', seq, out, '--use', 'arc2'])).code).toBe(0);
    const back = JSON.parse((await runCli(['model', 'optics', '--lattice', out, '--use', 'arc2', '--json'])).stdout);
    expect(back.elements).toBe(262);
    expect(back.tunes).toEqual(JSON.parse(r.stdout).tunes);
    const bad = await runCli(['model', 'convert', seq, join(tmp, 'x.json'), '--use', 'arc9']);
    expect(bad.code).not.toBe(0);
    expect(existsSync(join(tmp, 'x.json'))).toBe(false);
    expect(bad.stderr).toMatch(/no sequence or line 'arc9' \(defined: low_emit_ring_inj, low_emit_ring, arc2, arca_inj, arcb_inj\)/);
    const json = await runCli(['model', 'optics', '--lattice', join(FORMATS, 'dba_roundtrip_orig.atjson.json'), '--use', 'RING']);
    expect(json.code).not.toBe(0);
    expect(json.stderr).toMatch(/holds one lattice: a line name \(use 'RING'\) does not apply/);
  });
});
