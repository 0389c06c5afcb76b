/**
 * The shell's MML vocabulary over core's in-memory control system (a small ring with an
 * offline mode and an online one): selections, units, writes refused online without
 * --yes, limits checked before anything is written, configurations taken and written back.
 */
import { describe, expect, it } from 'vitest';
import { ControlSystemRegistry, createAccelerator, parseFacility, type Accelerator } from '@mlayer/core';
import { type MemoryControlSystem, registerMemory } from '@mlayer/core/testing';
import { shellVocabulary } from '../../src/shell/functions.js';
import { Reading, type RestoreReport, WriteReport } from '../../src/shell/reading.js';

const RING = `
name: shell-ring
energy: 3.0e9
particle: electron
controlSystems:
  sim: { type: memory }
  online: { type: memory, channelNames: sim, settings: { online: true } }
defaultMode: sim
families:
  BPMx:
    elementClass: BPM
    plane: x
    fields:
      monitor: { channels: { sim: "BPM{sector}-{index}:X" }, units: { hardware: mm, physics: mm } }
    devices:
      - { device: [1, 1], name: BPM1-1 }
      - { device: [1, 2], name: BPM1-2 }
      - { device: [2, 1], name: BPM2-1, enabled: false }
  HCM:
    elementClass: Corrector
    plane: x
    fields:
      setpoint: { channels: { sim: "HCM{sector}:SP" }, units: { hardware: A, physics: A }, limits: [-10, 10] }
      readback: { channels: { sim: "HCM{sector}:RB" }, units: { hardware: A, physics: A } }
    devices:
      - { device: [1, 1], name: HCM1 }
      - { device: [2, 1], name: HCM2, limits: [-2, 2] }
`;

async function open(mode: 'sim' | 'online', yes: boolean): Promise<{ acc: Accelerator; cs: MemoryControlSystem; fn: ReturnType<typeof shellVocabulary>['functions'] }> {
  const controlSystems = new ControlSystemRegistry();
  const created = registerMemory(controlSystems);
  const acc = await createAccelerator({ facility: parseFacility(RING, '/virtual/ring.yaml'), mode, controlSystems, allowWrites: yes });
  return { acc, cs: created[0], fn: shellVocabulary(acc, { yes }, () => undefined).functions };
}

describe('shell functions (MML vocabulary)', () => {
  it('reads a family, a selection by device or name, with units', async () => {
    const { acc, cs, fn } = await open('sim', false);
    cs.inject('BPM1-2:X', 0.25);
    const all = (await fn.getam('BPMx')) as Reading;
    expect(all).toBeInstanceOf(Reading);
    expect([...all]).toEqual([0, 0.25, 0]);
    expect([all.family, all.field, all.units]).toEqual(['BPMx', 'monitor', 'mm']);
    expect([...((await fn.getam('BPMx', [1, 2])) as Reading)]).toEqual([0.25]);
    expect(((await fn.getam('BPMx', ['BPM1-2', 'BPM1-1'], 'Physics')) as Reading).names).toEqual(['BPM1-2', 'BPM1-1']);
    // getx: the enabled BPMs of plane x; family2dev: the enabled devices.
    expect(((await fn.getx()) as Reading).names).toEqual(['BPM1-1', 'BPM1-2']);
    expect(await fn.family2dev('BPMx')).toEqual([[1, 1], [1, 2]]);
    expect(await fn.family2dev('BPMx', true)).toEqual([[1, 1], [1, 2], [2, 1]]);
    await expect(fn.getam('BPMx', { bad: 1 })).rejects.toThrow(/getam: \{"bad":1\} is neither a device list/);
    await expect(fn.getam(3)).rejects.toThrow(/getam: the first argument is a family name .* \(got 3\)/);
    await acc.close();
  });

  it('online: every write refuses without --yes and writes nothing', async () => {
    const { acc, cs, fn } = await open('online', false);
    for (const call of [() => fn.setsp('HCM', 1), () => fn.stepsp('HCM', 1, [1, 1]), () => fn.steptune([0.01, 0]), async () => fn.setmachineconfig(await acc.snapshot())]) {
      await expect(call()).rejects.toThrow(/mode 'online' is an online control system and writes need --yes \(start mlayer shell with --yes to allow them\); nothing was written/);
    }
    expect(cs.writes).toEqual([]);
    await acc.close();
  });

  it('online with --yes: writes, reports before and after, refuses values outside the limits before writing', async () => {
    const { acc, cs, fn } = await open('online', true);
    const r = (await fn.setsp('HCM', [1, -1])) as WriteReport;
    expect(r).toBeInstanceOf(WriteReport);
    expect([r.before, r.after, r.units]).toEqual([[0, 0], [1, -1], 'A']);
    const s = (await fn.stepsp('HCM', 0.5, [2, 1])) as WriteReport;
    expect([s.names, s.before, s.after]).toEqual([['HCM2'], [-1], [-0.5]]);
    const n = cs.writes.length;
    await expect(fn.setsp('HCM', [1, 3])).rejects.toThrow(/HCM2.*3.*outside the limits \[-2, 2\]/);
    await expect(fn.setsp('HCM', [1, Number.NaN])).rejects.toThrow(/setsp: the value 2 is NaN, not a finite number; nothing was written/);
    await expect(fn.setsp('HCM', [1, 2, 3])).rejects.toThrow(/setsp: 3 values for 2 device\(s\)/);
    expect(cs.writes.length).toBe(n);
    expect([...((await fn.getsp('HCM')) as Reading)]).toEqual([1, -0.5]);
    await acc.close();
  });

  it('getmachineconfig / setmachineconfig give back every setpoint', async () => {
    const { acc, fn } = await open('sim', false);
    await fn.setsp('HCM', [0.5, 0.25]);
    const cfg = await fn.getmachineconfig();
    await fn.setsp('HCM', [3, -1]);
    const r = (await fn.setmachineconfig(cfg)) as RestoreReport;
    expect(r.changes.map((c) => [c.name, c.old, c.new])).toEqual([['HCM1', 3, 0.5], ['HCM2', -1, 0.25]]);
    expect([...((await fn.getsp('HCM')) as Reading)]).toEqual([0.5, 0.25]);
    await expect(fn.setmachineconfig(42)).rejects.toThrow(/setmachineconfig: give what getmachineconfig\(\) returned/);
    await acc.close();
  });
});
