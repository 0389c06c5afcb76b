/**
 * Reading the tunes from tune monitors, on core's in-memory control system: the
 * monitors give a known sequence of readings; the averaged tunes, their folding
 * to [0, 1) and their resolution (three standard errors) follow from it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ControlSystemRegistry, MlayerError, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { type MemoryControlSystem, registerMemory } from '@mlayer/core/testing';
import { readTuneMonitors } from '../../src/index.js';

class ToolError extends MlayerError {}

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** A facility with one tune monitor per plane; each read of a monitor gives the next value of its sequence. */
async function monitors(x: number[], y: number[]): Promise<{ acc: Accelerator; cs: MemoryControlSystem }> {
  const doc = {
    name: 'tune-monitor-test',
    energy: 1e9,
    controlSystems: { mem: { type: 'memory' } },
    families: {
      TUNE: {
        elementClass: 'Tune',
        fields: { monitor: { units: { hardware: '', physics: '' } } },
        devices: [
          { device: [1, 1], name: 'TUNEX', plane: 'x', channels: { monitor: { mem: 'TUNE:X' } } },
          { device: [1, 2], name: 'TUNEY', plane: 'y', channels: { monitor: { mem: 'TUNE:Y' } } },
        ],
      },
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-tune-monitors-'));
  writeFileSync(join(dir, 'facility.yaml'), stringify(doc));
  const controlSystems = new ControlSystemRegistry();
  const created = registerMemory(controlSystems);
  const acc = await createAccelerator({ facility: loadFacility(join(dir, 'facility.yaml')), controlSystems, conversions: new UnitConversionRegistry() });
  open.push(acc);
  const cs = created[0];
  const next = { 'TUNE:X': 0, 'TUNE:Y': 0 } as Record<string, number>;
  const sequences: Record<string, number[]> = { 'TUNE:X': x, 'TUNE:Y': y };
  const read = cs.read.bind(cs);
  cs.read = async (channels, options) => {
    for (const c of channels) if (c in sequences) cs.inject(c, sequences[c][next[c]++ % sequences[c].length]);
    return read(channels, options);
  };
  return { acc, cs };
}

describe('tune monitors (readTuneMonitors)', () => {
  it('averages the readings, folds the tunes to [0, 1), and gives three standard errors as the resolution', async () => {
    const x = [18.301, 18.305, 18.303, 18.299];
    const y = [6.41, 6.42, 6.4, 6.43];
    const { acc } = await monitors(x, y);
    const r = await readTuneMonitors(acc, [acc.family('TUNE').devices([[1, 1]]), acc.family('TUNE').devices([[1, 2]])], { samples: 4, error: ToolError });
    const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
    const sem3 = (v: number[]) => (3 * Math.sqrt(v.reduce((s, a) => s + (a - mean(v)) ** 2, 0) / (v.length - 1))) / Math.sqrt(v.length);
    expect(r.tunes[0]).toBeCloseTo(mean(x) - 18, 12);
    expect(r.tunes[1]).toBeCloseTo(mean(y) - 6, 12);
    expect(r.resolution[0]).toBeCloseTo(sem3(x), 12);
    expect(r.resolution[1]).toBeCloseTo(sem3(y), 12);
  });

  it('a monitor with no valid reading raises the calling tool error, naming the monitor and the number of readings', async () => {
    const { acc } = await monitors([Number.NaN], [0.3]);
    const run = readTuneMonitors(acc, [acc.family('TUNE').devices([[1, 1]]), acc.family('TUNE').devices([[1, 2]])], { samples: 3, error: ToolError });
    await expect(run).rejects.toBeInstanceOf(ToolError);
    await expect(run).rejects.toThrow('TUNE TUNEX: no valid reading in 3');
  });
});
