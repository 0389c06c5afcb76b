/**
 * tune set / chrom set without --families step the facility's knob families
 * (tools.tune.families, tools.chromaticity.families), as MML's settune/setchro do (issue 17).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from '../in-process-cli.js';
import { twinFacilityFile } from '../../../tuning-tools/tune/test/twin-facility.js';

describe('tune set and chrom set with the facility knobs', () => {
  it('tune set without --families uses tools.tune.families; without them the error names the field', async () => {
    const file = twinFacilityFile({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, limits: 1 });
    const bare = await runCli(['-f', file, 'chrom', 'set', '1', '2']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`give the sextupole families with --families A,B (two or more), or name them in the facility (${file}: tools.chromaticity.families)`);
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    doc.tools = { tune: { families: ['Q_QP1', 'Q_QP2'] } };
    writeFileSync(file, stringify(doc));
    const r = await runCli(['-f', file, '--json', 'tune', 'set', '0.18', '0.63']);
    expect(r.code, r.stderr).toBe(0);
    const set = JSON.parse(r.stdout) as { converged: boolean; tunes: number[]; steps: { families: string[] }[] };
    expect(set.converged).toBe(true);
    expect(Math.abs(set.tunes[0] - 0.18)).toBeLessThan(1e-4);
    expect(Math.abs(set.tunes[1] - 0.63)).toBeLessThan(1e-4);
    expect(set.steps[0].families).toEqual(['Q_QP1', 'Q_QP2']);
  });

  it('chrom measure saves its scan into chrom-<UTC time> of the data folder when --dir is not given', async () => {
    const file = twinFacilityFile({ lattice: 'thomx', energy: 50e6, tuneMonitor: true, limits: 1 });
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    doc.tools = { dataDir: 'data' };
    writeFileSync(file, stringify(doc));
    const r = await runCli(['-f', file, '--json', 'chrom', 'measure', '--points', '3']);
    expect(r.code, r.stderr).toBe(0);
    const dir = (JSON.parse(r.stdout) as { dir: string }).dir;
    expect(dir).toMatch(new RegExp(`^${join(dirname(file), 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/chrom-\\d{8}T\\d{6}Z$`));
    expect(readdirSync(dir)).toContain('scan_manifest.h5');
  });
});
