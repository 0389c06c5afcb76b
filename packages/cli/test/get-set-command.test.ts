import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/program.js';

const DIAMOND = fileURLToPath(new URL('../../../facilities/diamond-i04', import.meta.url));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    return { code: await main(['node', 'mlayer', '--facility', DIAMOND, ...args]), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('mlayer get / set (MML getam / setsp) on the twin of the demo facility', () => {
  it('gets a family in hardware and physics units, by device list and name, as JSON', async () => {
    const all = JSON.parse((await run(['--json', 'get', 'BPMx'])).out);
    expect(all.values.length).toBe(all.devices.length);
    expect(all.units).toBe('mm');
    const q = JSON.parse((await run(['--json', 'get', 'Q1D', '--units', 'physics', '--devices', '1,1'])).out);
    expect(q.devices).toEqual([[1, 1]]);
    expect(q.units).toBe('m^-2');
    expect(q.values[0]).toBeCloseTo(-0.70080023, 7);
    const byName = JSON.parse((await run(['--json', 'get', 'HSTR', '--names', 'SR01A-PC-HSTR-01', '--field', 'setpoint'])).out);
    expect(byName.names).toEqual(['SR01A-PC-HSTR-01']);
  }, 60000);

  it('sets in hardware or physics units; dry runs write nothing and online modes without --yes refuse', async () => {
    const set = await run(['set', 'HSTR', '0.5', '--devices', '1,1;1,2']);
    expect(set.code).toBe(0);
    expect(set.out).toMatch(/set 2 device\(s\) of HSTR/);
    const dry = await run(['set', 'HSTR', '2e-5', '--units', 'physics', '--devices', '1,1', '--dry-run']);
    expect(dry.out).toMatch(/dry run: would set\n\s+SR01A-PC-HSTR-01\s+\S+ A/);
    const online = await run(['--mode', 'epics', 'set', 'HSTR', '1', '--devices', '1,1']);
    expect(online.code).toBe(2);
    expect(online.err).toMatch(/set: mode 'epics' is an online control system and writes need --yes .*; nothing was written/);
    const out = await run(['set', 'HSTR', '50', '--devices', '1,1']);
    expect(out.code).not.toBe(0);
    expect(out.err).toMatch(/SR01A-PC-HSTR-01.*value 50 is outside the limits \[-5, 5\]/);
    const nan = await run(['set', 'HSTR', 'abc', '--devices', '1,1']);
    expect(nan.err).toMatch(/"abc" is not a finite decimal number/);
  }, 60000);
});
