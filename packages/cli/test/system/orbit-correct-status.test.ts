/**
 * `mlayer orbit correct` never reports a false success (issue 15 item 6, issue 14):
 * `--threshold 2` keeps no singular value, changes nothing, says "no improvement"
 * and exits 2; a correction that works says "converged" and exits 0. ThomX twin
 * with quadrupole misalignments and BPM noise (the orbit tool's test facility).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../in-process-cli.js';
import { BIN, checkBuilt } from '../serve-process.js';
import { thomxFacilityFile } from '../../../tuning-tools/orbit/test/fixture.js';

function facility(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-cli-correct-'));
  const errors = join(dir, 'errors.yaml');
  writeFileSync(errors, 'magnets:\n  QUAD: { dx: { sigma: 100.0e-6, truncation: 2 }, dy: { sigma: 100.0e-6, truncation: 2 } }\nbpms:\n  BPMx: { noise: 1.0e-6 }\n  BPMy: { noise: 1.0e-6 }\n');
  return thomxFacilityFile({ settings: { errors, seed: 3 } });
}

describe('mlayer orbit correct: the status line and the exit status tell the truth', () => {
  const file = facility();
  const out = mkdtempSync(join(tmpdir(), 'mlayer-cli-correct-out-'));

  it('--threshold 2 corrects nothing: "no improvement", exit status 2, the orbit unchanged', async () => {
    const r = await run(['-f', file, '--json', 'orbit', 'correct', '--threshold', '2', '--no-plots', '-o', out, '-u', 'physics']);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ status: 'no improvement', stopReason: 'nothing-to-correct', undoneSteps: 0 });
    expect(s.message).toMatch(/^no improvement: nothing corrected: the method keeps 0 modes/);
    expect(s.message).not.toMatch(/converged/);
    expect(s.rmsFinal).toEqual(s.rmsInitial);
    expect(r.code).toBe(2);
    const text = await run(['-f', file, 'orbit', 'correct', '--threshold', '2', '--no-plots', '-o', out, '-u', 'physics']);
    expect(text.stdout).toMatch(/^no improvement: nothing corrected/m);
    expect(text.code).toBe(2);
    // The executable ends with that status too (bin.js once overwrote it with main's 0).
    checkBuilt();
    const bin = spawnSync(process.execPath, [BIN, '-f', file, 'orbit', 'correct', '--threshold', '2', '--no-plots', '-o', out, '-u', 'physics'], { encoding: 'utf8' });
    expect(bin.stdout).toMatch(/^no improvement: nothing corrected/m);
    expect(bin.status, bin.stderr).toBe(2);
  }, 120_000); // three runs and checkBuilt's `tsc -b` (35 s under a load of 10 when sources changed)

  it('a correction that works: "converged", exit status 0; --gain and --settle are taken', async () => {
    const r = await run(['-f', file, '--json', 'orbit', 'correct', '--sv', '8', '--gain', '0.9,0.9', '--settle', '1', '--average', '2', '--no-plots', '-o', out, '-u', 'physics']);
    const s = JSON.parse(r.stdout);
    expect(s.status).toBe('converged');
    expect(s.rmsFinal.x).toBeLessThan(0.2 * s.rmsInitial.x);
    expect(r.code, r.stderr).toBe(0);
    const bad = await run(['-f', file, 'orbit', 'correct', '--gain', '1.5', '--no-plots', '-o', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/gain must be in \(0, 1\] \(got 1\.5\)/);
  });
});
