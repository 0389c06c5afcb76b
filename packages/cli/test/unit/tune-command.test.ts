import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { twinFacilityFile } from '../../../tuning-tools/tune/test/twin-facility.js';

/** The CLI's stdout; a non-zero exit status throws with what it printed on stderr. */
async function run(args: string[]): Promise<string> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`exit status ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('mlayer tune / chrom on the twin', () => {
  it('measures and sets tunes and chromaticities, with plots as SVG and PNG', async () => {
    const facility = twinFacilityFile({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, limits: 1 });
    const show = JSON.parse(await run(['-f', facility, '--json', 'tune', 'show']));
    expect(show.method).toBe('monitor');
    expect(show.tunes[0]).toBeCloseTo(show.model[0], 10);
    const set = JSON.parse(await run(['-f', facility, '--json', 'tune', 'set', '0.18', '0.63', '--families', 'Q_QP1,Q_QP2']));
    expect(set.converged).toBe(true);
    expect(Math.abs(set.tunes[0] - 0.18)).toBeLessThan(1e-4);
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-cli-chrom-'));
    const base = join(dir, 'chrom');
    const text = await run(['-f', facility, 'chrom', 'measure', '--points', '5', '--dir', join(dir, 'scan'), '--plot', base]);
    expect(text).toMatch(/ξx .* ξy .*RF restored/);
    expect(readFileSync(`${base}.svg`, 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(`${base}.png`).subarray(1, 4).toString()).toBe('PNG');
    expect(existsSync(join(dir, 'scan', 'scan_manifest.h5'))).toBe(true);
    const chrom = JSON.parse(await run(['-f', facility, '--json', 'chrom', 'set', '1', '2', '--families', 'S_SX1,S_SX2,S_SX3', '--points', '5']));
    expect(Math.abs(chrom.chromaticity[0] - 1)).toBeLessThan(0.05);
    expect(Math.abs(chrom.chromaticity[1] - 2)).toBeLessThan(0.05);
    await expect(run(['-f', facility, 'tune', 'set', '0.18', '0.63'])).rejects.toThrow(/--families/);
  });

  it('plots the turn-by-turn spectra', async () => {
    const facility = twinFacilityFile({ lattice: 'dba', energy: 510e6, bpmClass: 'Quadrupole', turnByTurn: 256 });
    const base = join(mkdtempSync(join(tmpdir(), 'mlayer-cli-tune-')), 'spectrum');
    const r = JSON.parse(await run(['-f', facility, '--json', 'tune', 'measure', '--method', 'tbt', '--plot', base]));
    expect(r.method).toBe('tbt');
    expect(readFileSync(`${base}.svg`, 'utf8')).toMatch(/^<svg/);
    expect(existsSync(`${base}.png`)).toBe(true);
  });
});
