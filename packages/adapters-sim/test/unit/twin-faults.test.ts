import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator, type Clock } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { injectFaultsFile, registerTwin, type TwinControlSystem, type TwinSettingsInput } from '../../src/index.js';
import { thomxFacilityFile, thomxRef } from '../twin-fixture.js';

/** Simulated time: the twin's clock moves only when the test says so. */
class SimClock implements Clock {
  t = 1_700_000_000_000;
  now(): number {
    return this.t;
  }
  /** Moves by `s` seconds. */
  step(s: number): void {
    this.t += s * 1000;
  }
}

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function simTwin(settings: TwinSettingsInput = {}): Promise<{ acc: Accelerator; twin: TwinControlSystem; clock: SimClock }> {
  const clock = new SimClock();
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(thomxFacilityFile(settings), { conversions }), controlSystems, conversions, clock, extras: { clock } });
  open.push(acc);
  return { acc, twin: acc.controlSystem as TwinControlSystem, clock };
}

const read = async (twin: TwinControlSystem, channel: string) => (await twin.read([channel]))[0].value as number;
const readMany = async (twin: TwinControlSystem, channels: readonly string[]) => (await twin.read(channels)).map((s) => s.value as number);
const BPMS = (thomxRef().optics_at_bpms.index as number[]).map((_, i) => `BPM:${Math.floor(i / 2) + 1}:${(i % 2) + 1}:X`);

describe('twin faults (simulated time)', () => {
  it('trip: the supply output goes to zero over the ramp, the orbit follows, setpoints are ignored until cleared', async () => {
    const { twin, clock } = await simTwin();
    await twin.write([{ channel: 'HCM:1:1:SP', value: 2 }]);
    const kicked = await readMany(twin, BPMS);
    twin.injectFaults([{ kind: 'trip', family: 'HCM', device: [1, 1], ramp: 1 }]);
    clock.step(0.5);
    expect(await read(twin, 'HCM:1:1:RB')).toBeCloseTo(1, 12);
    expect(await read(twin, 'HCM:1:1:SP')).toBe(2);
    clock.step(0.5);
    expect(await read(twin, 'HCM:1:1:RB')).toBe(0);
    const tripped = await readMany(twin, BPMS);
    await twin.write([{ channel: 'HCM:1:1:SP', value: 3 }]);
    expect(await read(twin, 'HCM:1:1:RB')).toBe(0);
    // The kick is gone: the orbit is the design one (no errors: zero).
    expect(Math.max(...tripped.map(Math.abs))).toBeLessThan(1e-15);
    expect(Math.max(...kicked.map(Math.abs))).toBeGreaterThan(1e-5);
    twin.clearFaults();
    expect(await read(twin, 'HCM:1:1:RB')).toBe(3);
    expect(twin.faults).toEqual([]);
  });

  it('stuck: output and readback keep their value whatever is set', async () => {
    const { twin, clock } = await simTwin();
    twin.injectFaults([{ kind: 'stuck', family: 'VCM', device: 'E' + (thomxRef().correctors.index as number[])[2], after: 1 }]);
    await twin.write([{ channel: 'VCM:2:1:SP', value: 1 }]);
    expect(await read(twin, 'VCM:2:1:RB')).toBe(1); // before the start
    clock.step(1);
    await twin.write([{ channel: 'VCM:2:1:SP', value: -1 }]);
    expect(await read(twin, 'VCM:2:1:SP')).toBe(-1);
    expect(await read(twin, 'VCM:2:1:RB')).toBe(1);
    const el = (thomxRef().correctors.index as number[])[2];
    expect(twin.machineModel.getParameter({ element: el, field: 'KickAngle', index: 1 })).toBeCloseTo(1e-4, 15);
  });

  it('gradient: a 1 % error of one quadrupole appears at its start; the tunes are those of the model with it', async () => {
    const { twin, clock } = await simTwin();
    const q0 = await readMany(twin, ['TUNE:X']);
    const quad = twin.designModel.find('class:Quadrupole')[3];
    const k = twin.designModel.getParameter({ element: quad, field: 'PolynomB', index: 1 });
    twin.injectFaults([{ kind: 'gradient', family: 'QUAD', device: [2, 2], relative: 0.01, after: 2 }]);
    clock.step(1.9);
    expect(await readMany(twin, ['TUNE:X'])).toEqual(q0);
    clock.step(0.1);
    const q1 = await read(twin, 'TUNE:X');
    const expected = twin.designModel.clone();
    expected.setParameter({ element: quad, field: 'PolynomB', index: 1 }, k * 1.01);
    const t = expected.tunes();
    expect(q1).toBeCloseTo(t.qx - Math.floor(t.qx), 12);
    expect(Math.abs(q1 - q0[0])).toBeGreaterThan(1e-4);
  });

  it('bpm: NaN, constant and noise x10', async () => {
    const { twin, clock } = await simTwin({ bpmNoise: 1e-5 });
    twin.injectFaults([
      { kind: 'bpm', family: 'BPMx', device: [1, 1], mode: 'nan' },
      { kind: 'bpm', family: 'BPMx', device: [1, 2], mode: 'constant' },
      { kind: 'bpm', family: 'BPMx', device: [2, 1], mode: 'noise' },
    ]);
    const rows: number[][] = [];
    for (let i = 0; i < 400; i++) {
      clock.step(0.1);
      rows.push(await readMany(twin, ['BPM:1:1:X', 'BPM:1:1:Y', 'BPM:1:2:X', 'BPM:2:1:X', 'BPM:2:2:X']));
    }
    expect(rows.every((r) => Number.isNaN(r[0]) && Number.isNaN(r[1]))).toBe(true);
    expect(new Set(rows.map((r) => r[2])).size).toBe(1);
    const std = (c: number) => Math.sqrt(rows.reduce((s, r) => s + r[c] ** 2, 0) / rows.length);
    // Noise x10 against a healthy BPM (the design orbit is zero: the readings are the noise).
    expect(std(3) / std(4)).toBeGreaterThan(8.5);
    expect(std(3) / std(4)).toBeLessThan(11.5);
  });

  it('rf-drift: the orbit after 2 s at 10 Hz/s is the one of the RF set 20 Hz higher; the RF readback does not show it', async () => {
    const { twin, clock } = await simTwin();
    const f0 = await read(twin, 'RF:FREQ:SP');
    twin.injectFaults([{ kind: 'rf-drift', rate: 10 }]);
    clock.step(2);
    const drifted = await readMany(twin, BPMS);
    expect(await read(twin, 'RF:FREQ:RB')).toBe(f0);
    twin.clearFaults();
    await twin.write([{ channel: 'RF:FREQ:SP', value: f0 + 20 }]);
    const set = await readMany(twin, BPMS);
    expect(Math.max(...set.map(Math.abs))).toBeGreaterThan(1e-6);
    drifted.forEach((v, i) => expect(v).toBeCloseTo(set[i], 12));
  });

  it('corrector noise: one seeded draw per update step, sigma as asked, the same on another twin with the seed', async () => {
    const draws = async () => {
      const { twin, clock } = await simTwin({ updateRate: 10 });
      twin.injectFaults([{ kind: 'corrector-noise', family: 'HCM', sigma: 0.05, seed: 7 }]);
      const out: number[] = [];
      for (let i = 0; i < 300; i++) {
        clock.step(0.1);
        const [a, b] = await readMany(twin, ['HCM:1:1:RB', 'HCM:1:1:RB']);
        expect(a).toBe(b); // one draw per step
        out.push(a, await read(twin, 'HCM:3:2:RB'));
      }
      return out;
    };
    const a = await draws();
    const b = await draws();
    expect(a).toEqual(b);
    const rms = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(rms).toBeGreaterThan(0.045);
    expect(rms).toBeLessThan(0.055);
  });

  it('beam loss: the current decays with the lifetime', async () => {
    const { twin, clock } = await simTwin();
    expect(await read(twin, 'DCCT')).toBeCloseTo(0.3, 12);
    twin.injectFaults([{ kind: 'beam-loss', lifetime: 10, after: 5 }]);
    clock.step(5);
    expect(await read(twin, 'DCCT')).toBeCloseTo(0.3, 12);
    clock.step(10);
    expect(await read(twin, 'DCCT')).toBeCloseTo(0.3 * Math.exp(-1), 12);
  });

  it('a bad fault is refused naming it, and nothing is added', async () => {
    const { twin } = await simTwin();
    expect(() => twin.injectFaults([{ kind: 'stuck', family: 'HCM', device: [1, 1] }, { kind: 'trip', family: 'HCM', device: [9, 9] }])).toThrow(/fault 2 \(trip\): family HCM has no device \[9, 9\]/);
    expect(() => twin.injectFaults([{ kind: 'melt', family: 'HCM' }])).toThrow(/fault 1: kind/);
    expect(() => twin.injectFaults([{ kind: 'gradient', family: 'Q', device: 'x', relative: 0.01 }])).toThrow(/no family 'Q'/);
    expect(twin.faults).toEqual([]);
  });

  it('a faults file (mlayer serve --faults): injected in order; a bad one names the file and the fault, nothing added', async () => {
    const { twin } = await simTwin();
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-faults-'));
    const good = join(dir, 'faults.yaml');
    writeFileSync(good, '- { kind: rf-drift, rate: 1 }\n- { kind: beam-loss, lifetime: 100, after: 10 }\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'faults:\n  - { kind: bpm, family: BPMx, device: [1, 1], mode: dead }\n');
    expect(() => injectFaultsFile(twin, bad)).toThrow(new RegExp(`^${bad}: fault 1: mode: `));
    expect(twin.faults).toEqual([]);
    expect(injectFaultsFile(twin, good)).toBe(2);
    expect(twin.faults.map((f) => f.kind)).toEqual(['rf-drift', 'beam-loss']);
    expect(twin.faults[1].start - twin.faults[0].start).toBe(10_000);
  });
});
