import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStageFiles } from '@mlayer/commissioning';
import { runCli } from '../in-process-cli.js';
import { writeErrors, writeSequence, writeThomxFacility } from '../../../tuning-tools/commissioning/test/study-fixture.js';

describe('mlayer commission (ThomX twin)', () => {
  it('run refuses a malformed sequence before anything is created, naming file, line, field and value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const facility = writeThomxFacility(dir);
    const seq = join(dir, 'bad.yaml');
    writeFileSync(seq, ['name: bad', 'beam: stored', 'stages:', '  - stage: orbit-correction', '    parameters: { iterations: many }', '  - stage: lcoo'].join('\n'));
    const study = join(dir, 'study');
    const r = await runCli(['-f', facility, 'commission', 'run', study, '--sequence', seq, '--seeds', '1-2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${seq}:5:`);
    expect(r.stderr).toContain('stages[0].parameters.iterations');
    expect(r.stderr).toContain('"many"');
    expect(r.stderr).toContain(`${seq}:6:`);
    expect(r.stderr).toContain('stages[1].stage');
    expect(existsSync(study)).toBe(false);
  });

  it('live --no-confirm runs the sequence on the machine of --mode stage by stage and records it as a seed (the twin of an error file here)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-commission-cli-'));
    const facility = writeThomxFacility(dir, { errors: writeErrors(dir), seed: 3 });
    const seq = writeSequence(dir, ['name: live', 'beam: stored', 'stages:', '  - stage: orbit-correction', '    parameters: { iterations: 3 }', '  - stage: figures'].join('\n'));
    const out = join(dir, 'live');
    const r = await runCli(['-f', facility, 'commission', 'live', '--sequence', seq, '-o', out, '--no-confirm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2/2 stages reached');
    const stages = readStageFiles(out);
    expect(stages.map((s) => s.record.name)).toEqual(['orbit-correction', 'figures']);
    expect(existsSync(join(out, 'result.json'))).toBe(true);
    const first = stages[0].record;
    expect(first.header.seed).toBe(3);
    expect(first.success).toBe(true);
    // The correction lowered the true orbit the twin knows.
    const initial = JSON.parse((await import('node:fs')).readFileSync(join(out, 'initial.json'), 'utf8')).figures;
    expect(first.figures.orbit_true_rms_x).toBeLessThan(initial.orbit_true_rms_x / 2);
    expect(r.stderr).toMatch(/stage 0 orbit-correction: success; orbit rms read x/);
  });
});
