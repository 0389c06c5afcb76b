import { existsSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { loadFacility } from '@mlayer/core';
import { PytacImportError } from '@mlayer/facility-tools';
import { registerFacilityCommands } from '../../src/commands/facility.js';
import { sharedDataDir } from '@mlayer/core/testing';

const DIAMOND = join(sharedDataDir(), 'facilities/diamond-i04');

function program(): Command {
  const p = new Command('mlayer').option('--json', 'print results as JSON', false).exitOverride();
  p.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerFacilityCommands(p);
  for (const c of p.commands) {
    c.exitOverride();
    for (const s of c.commands) s.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  }
  return p;
}

async function run(args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program().parseAsync(['node', 'mlayer', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('mlayer facility import-pytac', () => {
  it('writes a facility package that loads, and reports what it did', async () => {
    const out = mkdtempSync(join(tmpdir(), 'mlayer-cli-pytac-'));
    const text = await run(['facility', 'import-pytac', `${DIAMOND}/pytac`, '--lattice', `${DIAMOND}/I04_source.mat`, '-o', out, '--name', 'diamond-i04']);
    expect(text).toMatch(/^facility diamond-i04 written to .* \(@mlayer\/facility-diamond-i04\)\n  54 families, 2935 devices, 3868 EPICS PVs, 676 unit conversions\n/);
    for (const f of ['facility.yaml', 'I04_source.mat', 'package.json', 'README.md', 'pytac/uc_poly_data.csv', 'pytac/uc_pchip_data.csv']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(loadFacility(join(out, 'facility.yaml')).config.name).toBe('diamond-i04');
    // the same folder again (files written by the first run are replaced)
    const json = JSON.parse(await run(['--json', 'facility', 'import-pytac', `${DIAMOND}/pytac`, '--lattice', `${DIAMOND}/I04_source.mat`, '-o', out])) as { packageName: string; devices: number };
    // default name: the pytac folder's name
    expect(json.packageName).toBe('@mlayer/facility-pytac');
    expect(json.devices).toBe(2935);
    expect(JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')).mlayer).toEqual({ facility: 'facility.yaml' });
  });

  it('needs --lattice and -o; a bad pytac folder is a PytacImportError naming the file', async () => {
    await expect(run(['facility', 'import-pytac', `${DIAMOND}/pytac`, '-o', '/tmp/x'])).rejects.toBeInstanceOf(CommanderError);
    await expect(run(['facility', 'import-pytac', `${DIAMOND}/pytac`, '--lattice', `${DIAMOND}/I04_source.mat`])).rejects.toBeInstanceOf(CommanderError);
    const out = mkdtempSync(join(tmpdir(), 'mlayer-cli-pytac-'));
    const err = await run(['facility', 'import-pytac', DIAMOND, '--lattice', `${DIAMOND}/I04_source.mat`, '-o', out, '--name', 'x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PytacImportError);
    expect((err as PytacImportError).message).toBe(`${DIAMOND}/elements.csv: cannot read the file (ENOENT: no such file or directory, open '${DIAMOND}/elements.csv')`);
  });
});
