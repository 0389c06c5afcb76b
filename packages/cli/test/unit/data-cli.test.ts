/** `mlayer data show` and `mlayer data check` (packages/cli/src/commands/data.ts) on real files. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createDataProgram } from '../../src/commands/data.js';
import { MeasurementFile, runScan, sha256Of } from '@mlayer/data';
import { cleanupTempDirs, tempDir } from '../../../data/test/fixtures/data-tools.js';
import { tmciDefinition, tmciPointFn } from '../../../data/test/fixtures/scan-fixture.js';

afterAll(cleanupTempDirs);

async function mlayer(...args: string[]): Promise<{ out: string; code: number }> {
  const program = createDataProgram();
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'mlayer', ...args]);
    return { out, code: 0 };
  } catch (e) {
    const code = (e as { exitCode?: unknown }).exitCode;
    if (typeof code === 'number') return { out, code };
    throw e;
  } finally {
    spy.mockRestore();
  }
}

describe('mlayer data', () => {
  it('show: summarises a measurement file', async () => {
    const path = join(tempDir(), 'bpm.h5');
    const f = await MeasurementFile.create(path, {
      dataType: 'orbit',
      author: 'A <a@b.c>',
      facility: { name: 'diamond-i04', configSha256: sha256Of('cfg') },
      lattice: { sha256: sha256Of('lat'), file: 'i04.mat' },
      mode: 'twin',
      errorSeed: 3,
      setpoints: [{ family: 'HCM', devices: [[1, 1]], names: ['H1'], values: [0.5], unit: 'A' }],
    });
    f.writeDataset('x', [0.1, -0.2], { unit: 'mm', axes: [{ label: 'bpm', devices: [[1, 1], [1, 2]], names: ['B1', 'B2'] }] });
    f.close();
    const { out, code } = await mlayer('data', 'show', path);
    expect(code).toBe(0);
    expect(out).toContain(`${path}: orbit (`);
    expect(out).toContain('openPMD: "2.0.0"');
    expect(out).toContain('facility: diamond-i04');
    expect(out).toContain('mode: twin, error seed 3');
    expect(out).toMatch(/x {2}float64 \[2\] \[mm\] \(L\^1\) axes \["bpm"\]/);
  });

  it('check: OK on a finished scan, exit code 1 with the problem listed on a corrupted one', async () => {
    const dir = join(tempDir(), 'scan');
    await runScan(dir, tmciDefinition(), tmciPointFn(join(dir, '..', 'm')), { durable: false });
    const ok = await mlayer('data', 'check', dir);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('30 points, 30 completed, 0 failed, 0 pending — OK (0 errors, 0 warnings)');
    const victim = join(dir, 'outputs', 'point_0004.h5');
    const bytes = readFileSync(victim);
    bytes[200] ^= 1;
    writeFileSync(victim, bytes);
    const bad = await mlayer('data', 'check', dir);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('FAILED (1 error, 0 warnings)');
    expect(bad.out).toContain('error: [checksum-mismatch] point 4: outputs/point_0004.h5 does not match its SHA-256');
    const json = await mlayer('--json', 'data', 'check', dir);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, totalPoints: 30, problems: [{ kind: 'checksum-mismatch', index: 4 }] });
    const show = await mlayer('data', 'show', dir);
    expect(show.out).toContain('scan tmci_intensity_scan');
  });
});
