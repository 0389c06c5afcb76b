import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { runCli } from '../in-process-cli.js';

const THOMX = join(sharedDataDir(), 'lattices/thomx');

/** The CLI in process (stdout as `out`, stderr as `err`). */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('mlayer model (engine on a lattice file)', () => {
  const ref = JSON.parse(readFileSync(join(THOMX, 'thomx_ref.json'), 'utf8'));
  const orm = JSON.parse(readFileSync(join(THOMX, 'thomx_orm.json'), 'utf8'));

  it('orm --json gives pyAT tunes, chromaticity, optics at the BPMs and the ORM blocks', async () => {
    const { code, out } = await run(['model', 'orm', '--lattice', join(THOMX, 'thomx_source.m'), '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(Math.abs(r.tunes[0] - ref.tunes.ring_tunes_with_integer[0])).toBeLessThan(1e-7);
    const chrom = ref.chromaticity['get_chrom_default_DPStep_3e-6'] as number[];
    expect(Math.abs(r.chromaticity[0] - chrom[0])).toBeLessThan(1e-5);
    expect(Math.abs(r.chromaticity[1] - chrom[1])).toBeLessThan(1e-5);
    expect(r.bpms.map((b: { index: number }) => b.index)).toEqual(ref.optics_at_bpms.index);
    // The README's beta tolerance: 1e-6 of the largest beta of the ring.
    const betaMax = Math.max(...(ref.optics_all_refpts.beta as number[][]).flat());
    r.bpms.forEach((b: { beta: number[] }, i: number) => expect(Math.abs(b.beta[0] - ref.optics_at_bpms.beta[i][0])).toBeLessThan(1e-6 * betaMax));
    const R: number[][] = orm['Rxx_h1e-7'];
    const max = Math.max(...R.flat().map(Math.abs));
    r.Rxx.forEach((row: number[], i: number) => row.forEach((v, j) => expect(Math.abs(v - R[i][j])).toBeLessThan(1e-6 * max)));
    expect(r.Rxy.flat().every((v: number) => Math.abs(v) < 1e-9)).toBe(true);
  });

  it('orbit with --kick reproduces the closed orbit with kicks', async () => {
    const k = ref.closed_orbit_3_kicks;
    const kicks = (k.kicked_corrector_index as number[]).flatMap((c) => ['--kick', `${c}:10e-6,10e-6`]);
    const { out } = await run(['model', 'orbit', '--lattice', join(THOMX, 'thomx_orig.mat'), ...kicks, '--json']);
    const r = JSON.parse(out);
    const max = Math.max(...(k.orbit_at_bpms as number[][]).flat().map(Math.abs));
    r.closedOrbit.forEach((o: number[], i: number) => expect(Math.abs(o[0] - k.orbit_at_bpms[i][0])).toBeLessThan(1e-6 * max));
  });

  it('track follows a particle; bad input names the problem', async () => {
    const { out } = await run(['model', 'track', '--lattice', join(THOMX, 'thomx_4d.atjson.json'), '--turns', '10', '--particle', '1e-4,0,1e-4,0,0,0', '--json']);
    const r = JSON.parse(out);
    expect(r.final[0]).toHaveLength(6);
    expect(r.lostTurn).toEqual([null]);
    const bad = await run(['model', 'optics', '--lattice', join(THOMX, 'thomx_4d.atjson.json'), '--kick', '13:abc']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--kick/);
    const missing = await run(['model', 'optics', '--lattice', '/nonexistent/ring.mat']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/ring\.mat/);
  });
});
