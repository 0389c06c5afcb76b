import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ChannelWrite, Snapshot } from '@mlayer/core';
import { TwinControlSystem } from '@mlayer/adapters-sim';
import { readMachineConfig, sha256File, writeMachineConfig } from '@mlayer/data';
import { loadAccelerator } from '../../src/index.js';
import { runCli } from '../in-process-cli.js';

const DIAMOND = fileURLToPath(new URL('../../../../facilities/diamond-i04', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mlayer-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs mlayer on the demo facility; `writes` are the channel writes its twin received. */
async function run(args: string[]) {
  const writes: ChannelWrite[] = [];
  const write = TwinControlSystem.prototype.write;
  const spy = vi.spyOn(TwinControlSystem.prototype, 'write').mockImplementation(function (this: TwinControlSystem, ws, opts) {
    writes.push(...ws);
    return write.call(this, ws, opts);
  });
  try {
    return { ...(await runCli(['--facility', DIAMOND, ...args])), writes };
  } finally {
    spy.mockRestore();
  }
}

/** Writes a snapshot as a configuration file, with the demo facility's provenance. */
async function save(file: string, snapshot: Snapshot): Promise<string> {
  const path = join(dir, file);
  await writeMachineConfig(path, { facility: { name: 'diamond-i04', configSha256: sha256File(join(DIAMOND, 'facility.yaml')) }, lattice: { sha256: 'a'.repeat(64) }, mode: 'twin', errorSeed: 1, author: 'test', snapshot });
  return path;
}

const values = (s: Snapshot) => Object.fromEntries(Object.entries(s.families).map(([f, x]) => [f, x.values]));

describe('mlayer config save | diff | restore | show (machine configurations)', () => {
  const a = join(dir, 'a.h5');
  let b = '';

  it('saves every setpoint; changed, then restored from the file, gives back every setpoint', async () => {
    const r = await run(['config', 'save', a, '--description', 'design']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^saved \d+ setpoints of \d+ families \(mode 'twin', .*\) to /);
    const saved = await readMachineConfig(a);
    expect(saved.dataType).toBe('machine_configuration');
    expect(saved.facility.configSha256).toBe(sha256File(join(DIAMOND, 'facility.yaml')));
    expect(saved.snapshot.families.HSTR.units).toBe('A');
    expect((await run(['config', 'save', a])).stderr).toMatch(/a\.h5 exists: a configuration is never written over another/);
    // Into a folder: named by time, a second save in the same second keeps both.
    const folder = join(dir, 'configs');
    for (let k = 0; k < 2; k++) expect((await run(['config', 'save', folder])).code).toBe(0);
    expect(readdirSync(folder).filter((f) => /^config-\d{8}T\d{6}Z(-2)?\.h5$/.test(f))).toHaveLength(2);

    const acc = await loadAccelerator(DIAMOND);
    try {
      const design = await acc.snapshot();
      expect(values(saved.snapshot)).toEqual(values(design));
      await acc.family('HCM').devices([[1, 1], [1, 2]]).set([0.5, -0.25]);
      await acc.family('Q1D').devices([[1, 1]]).step(1);
      await acc.family('RF').step(10);
      b = await save('b.h5', await acc.snapshot());
      const plan = await acc.restore(saved.snapshot, { source: a });
      expect(plan.changes.map((c) => `${c.family} ${c.device.join(',')}`)).toEqual(['HSTR 1,1', 'HSTR 1,2', 'Q1D 1,1', 'RF 16,1']);
      expect(values(await acc.snapshot())).toEqual(values(design));
    } finally {
      await acc.close();
    }
  }, 90000);

  it('diff lists exactly the changed devices, between two files or against the machine', async () => {
    const r = await run(['--json', 'config', 'diff', a, b]);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { changes: { family: string; name: string; old: number; new: number; change: number; units: string }[]; unchanged: number };
    expect(d.changes.map((c) => [c.family, c.name, c.new - c.old === c.change || Math.abs(c.new - c.old - c.change) < 1e-9, c.units])).toEqual([
      ['HSTR', 'SR01A-PC-HSTR-01', true, 'A'],
      ['HSTR', 'SR01A-PC-HSTR-02', true, 'A'],
      ['Q1D', 'SR01A-PC-Q1D-01', true, 'A'],
      ['RF', 'LI-RF-MOSC-01', true, expect.any(String)],
    ]);
    expect(d.changes[1]).toMatchObject({ old: 0, new: -0.25, change: -0.25 });
    // Against the machine (a fresh twin, at design): the same devices, the other way round.
    const live = await run(['config', 'diff', b]);
    expect(live.stdout).toMatch(/4 setpoint\(s\) differ/);
    expect(live.stdout).toMatch(/HSTR\s+\[1,2\]\s+SR01A-PC-HSTR-02\s+-0\.25\s+0\s+0\.25\s+A/);
    expect((await run(['config', 'diff', a])).stdout).toMatch(/no setpoint differs/);
    expect((await run(['config', 'show', b])).stdout).toMatch(/machine configuration[\s\S]*facility diamond-i04[\s\S]*SR01A-PC-HSTR-02\s+-0\.25/);
  }, 90000);

  it('restore: dry run writes nothing, a restore writes only the changed devices, online needs --yes', async () => {
    const dry = await run(['config', 'restore', b, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/dry run: would write 4 setpoint/);
    expect(dry.writes).toHaveLength(0);
    const r = await run(['config', 'restore', b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/restored 4 setpoint\(s\) of 3 families/);
    expect(r.writes.map((w) => w.channel)).toEqual(expect.arrayContaining(['SR01A-PC-HSTR-01:SETI', 'SR01A-PC-HSTR-02:SETI']));
    expect(r.writes).toHaveLength(4);
    const online = await run(['--mode', 'epics', 'config', 'restore', b]);
    expect(online.code).toBe(2);
    expect(online.stderr).toMatch(/config restore: mode 'epics' is an online control system and writes need --yes/);
  }, 90000);

  it('restore refuses, writing nothing, a value above a limit, an unknown family or another facility file', async () => {
    const base = (await readMachineConfig(b)).snapshot;
    const hstr = base.families.HSTR;
    // SR01A-PC-HSTR-02 has limits [-5, 5] A.
    const high = await save('high.h5', { ...base, families: { ...base.families, HSTR: { ...hstr, values: hstr.values.map((v, i) => (i === 1 ? 6 : v)) } } });
    let r = await run(['config', 'restore', high]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${high}: HSTR SR01A-PC-HSTR-02 [1, 2]: value 6 is outside the limits [-5, 5]; nothing was written`);
    expect(r.writes).toHaveLength(0);
    const { HSTR: _h, ...rest } = base.families;
    const unknown = await save('unknown.h5', { ...base, families: { ...rest, HSTX: hstr } });
    r = await run(['config', 'restore', unknown]);
    expect(r.stderr).toContain(`${unknown}: family 'HSTX' is not in facility 'diamond-i04' (did you mean 'HSTR'`);
    expect(r.writes).toHaveLength(0);
    // Saved with another facility file (its SHA-256 differs from the demo facility's now).
    const otherFile = join(dir, 'other.h5');
    await writeMachineConfig(otherFile, { facility: { name: 'diamond-i04', configSha256: 'b'.repeat(64) }, lattice: { sha256: 'a'.repeat(64) }, mode: 'twin', errorSeed: 1, author: 'test', snapshot: base });
    r = await run(['config', 'restore', otherFile]);
    expect(r.stderr).toMatch(/taken with a different facility file .*--allow-facility-change/);
    expect(r.writes).toHaveLength(0);
  }, 90000);

  it('restores the setpoints a measurement file recorded (orbit show -o)', async () => {
    const out = join(dir, 'orbit');
    const m = await run(['orbit', 'show', '-o', out, '--no-plots']);
    expect(m.code, m.stderr).toBe(0);
    const file = join(out, readdirSync(out).find((f) => f.endsWith('.h5'))!);
    expect((await run(['config', 'show', file])).stdout).toMatch(/setpoints recorded with a \S+ measurement/);
    const acc = await loadAccelerator(DIAMOND);
    try {
      const design = await acc.snapshot();
      await acc.family('VCM').devices([[2, 1]]).set(1.5);
      const plan = await acc.restore((await readMachineConfig(file)).snapshot, { source: file });
      expect(plan.changes.map((c) => [c.family, c.device, c.new])).toEqual([['VSTR', [2, 1], 0]]);
      expect(values(await acc.snapshot())).toEqual(values(design));
    } finally {
      await acc.close();
    }
  }, 90000);
});
