import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type ChannelWrite } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { TwinControlSystem, registerTwin } from '@mlayer/adapters-sim';
import { main } from '../../src/program.js';

const DIAMOND = fileURLToPath(new URL('../../../../facilities/diamond-i04', import.meta.url));

/** Runs the CLI in-process; `writes` are the channel writes the twin received (passed on unchanged). */
async function run(args: string[]): Promise<{ code: number; out: string; err: string; writes: ChannelWrite[] }> {
  let out = '';
  let err = '';
  const writes: ChannelWrite[] = [];
  const write = TwinControlSystem.prototype.write;
  const w = vi.spyOn(TwinControlSystem.prototype, 'write').mockImplementation(function (this: TwinControlSystem, ws, opts) {
    writes.push(...ws);
    return write.call(this, ws, opts);
  });
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  try {
    return { code: await main(['node', 'mlayer', '--facility', DIAMOND, ...args]), out, err, writes };
  } finally {
    o.mockRestore();
    e.mockRestore();
    w.mockRestore();
  }
}

/** The setpoint channels of HSTR devices, from the facility itself. */
async function hstrChannels(devices: [number, number][]): Promise<string[]> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(`${DIAMOND}/facility.yaml`), controlSystems, conversions });
  try {
    return acc.family('HSTR').devices(devices).channels('setpoint');
  } finally {
    await acc.close();
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
    // What reached the control system: exactly the two selected set points, at 0.5 A.
    const [c11, c12] = await hstrChannels([[1, 1], [1, 2]]);
    expect(set.writes.map((w) => [w.channel, w.value])).toEqual([[c11, 0.5], [c12, 0.5]]);
    const dry = await run(['set', 'HSTR', '2e-5', '--units', 'physics', '--devices', '1,1', '--dry-run']);
    expect(dry.out).toMatch(/dry run: would set\n\s+SR01A-PC-HSTR-01\s+\S+ A/);
    expect(dry.writes).toEqual([]);
    // Physics units: the current written is the one the dry run announced (the pytac conversion).
    const announced = Number(dry.out.match(/SR01A-PC-HSTR-01\s+(\S+) A/)![1]);
    const phys = await run(['set', 'HSTR', '2e-5', '--units', 'physics', '--devices', '1,1']);
    expect(phys.code).toBe(0);
    expect(phys.writes).toHaveLength(1);
    expect(phys.writes[0].channel).toBe(c11);
    expect(phys.writes[0].value as number).toBeCloseTo(announced, 6);
    expect(phys.writes[0].value as number).not.toBe(2e-5);
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
