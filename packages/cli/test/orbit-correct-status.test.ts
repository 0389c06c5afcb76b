/**
 * `mlayer orbit correct` never reports a false success (issue 15 item 6, issue 14):
 * `--threshold 2` keeps no singular value, changes nothing, says "no improvement"
 * and exits 2; a correction that works says "converged" and exits 0. ThomX twin
 * with quadrupole misalignments and BPM noise (the orbit tool's test facility).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerOrbitCommands } from '../src/commands/orbit.js';
import { thomxFacilityFile } from '../../tuning-tools/orbit/test/fixture.js';

function program(): Command {
  const p = new Command('mlayer')
    .option('-f, --facility <path>')
    .option('-m, --mode <name>')
    .option('-y, --yes', '', false)
    .option('--json', '', false)
    .exitOverride();
  registerOrbitCommands(p);
  return p;
}

async function run(args: string[]): Promise<{ out: string; exitCode: number | undefined }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    await program().parseAsync(['node', 'mlayer', ...args]);
    return { out, exitCode: process.exitCode === before ? undefined : (process.exitCode as number) };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

function facility(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-cli-correct-'));
  const errors = join(dir, 'errors.yaml');
  writeFileSync(errors, 'magnets:\n  QUAD: { dx: { sigma: 100.0e-6, truncation: 2 }, dy: { sigma: 100.0e-6, truncation: 2 } }\nbpms:\n  BPMx: { noise: 1.0e-6 }\n  BPMy: { noise: 1.0e-6 }\n');
  return thomxFacilityFile({ settings: { errors, seed: 3 } });
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('mlayer orbit correct: the status line and the exit status tell the truth', () => {
  const file = facility();
  const out = mkdtempSync(join(tmpdir(), 'mlayer-cli-correct-out-'));

  it('--threshold 2 corrects nothing: "no improvement", exit status 2, the orbit unchanged', async () => {
    const r = await run(['-f', file, '--json', 'orbit', 'correct', '--threshold', '2', '--no-plots', '-o', out, '-u', 'physics']);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ status: 'no improvement', stopReason: 'nothing-to-correct', undoneSteps: 0 });
    expect(s.message).toMatch(/^no improvement: nothing corrected: the method keeps 0 modes/);
    expect(s.message).not.toMatch(/converged/);
    expect(s.rmsFinal).toEqual(s.rmsInitial);
    expect(r.exitCode).toBe(2);
    const text = await run(['-f', file, 'orbit', 'correct', '--threshold', '2', '--no-plots', '-o', out, '-u', 'physics']);
    expect(text.out).toMatch(/^no improvement: nothing corrected/m);
    expect(text.exitCode).toBe(2);
  });

  it('a correction that works: "converged", exit status 0; --gain and --settle are taken', async () => {
    const r = await run(['-f', file, '--json', 'orbit', 'correct', '--sv', '8', '--gain', '0.9,0.9', '--settle', '1', '--average', '2', '--no-plots', '-o', out, '-u', 'physics']);
    const s = JSON.parse(r.out);
    expect(s.status).toBe('converged');
    expect(s.rmsFinal.x).toBeLessThan(0.2 * s.rmsInitial.x);
    expect(r.exitCode).toBeUndefined();
    await expect(run(['-f', file, 'orbit', 'correct', '--gain', '1.5', '--no-plots', '-o', out])).rejects.toThrow(/gain must be in \(0, 1\] \(got 1\.5\)/);
  });
});
