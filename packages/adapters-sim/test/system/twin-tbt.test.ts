import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlSystemRegistry, UnitConversionRegistry, WriteRejectedError, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { Random, checkBunch, registerTwin, trackKick, type TwinControlSystem, type TwinSettingsInput } from '../../src/index.js';
import { type EngineLatticeModel } from '@mlayer/engine';
import { THOMX, thomxRef } from '../twin-fixture.js';

const TURNS = 256;

/**
 * ThomX with turn-by-turn BPM families (array monitors of TURNS turns) on every
 * Monitor, and two kickers (x, y) at element 0, in mrad.
 */
function facilityFile(settings: TwinSettingsInput = {}): string {
  const ref = thomxRef();
  const bpms: number[] = ref.optics_at_bpms.index;
  const devices = (idx: number[]) => idx.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `E${e}`, element: e }));
  const tbt = (plane: 'x' | 'y') => ({
    elementClass: 'BPM',
    plane,
    fields: { monitor: { channels: { twin: `TBT:{sector}:{index}:${plane.toUpperCase()}` }, units: { hardware: 'mm', physics: 'm' }, conversion: 'mm', dataType: 'array', length: TURNS } },
    devices: devices(bpms),
  });
  const kicker = (plane: 'x' | 'y') => ({
    elementClass: 'Kicker',
    plane,
    fields: { setpoint: { channels: { twin: `KICK:${plane.toUpperCase()}` }, units: { hardware: 'mrad', physics: 'rad' }, conversion: 'mrad', limits: [-2, 2] } },
    devices: [{ device: [1, 1], name: `KICK${plane.toUpperCase()}`, element: 0 }],
  });
  const doc = {
    name: 'thomx-tbt',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: { twin: { type: 'twin', settings } },
    unitConversions: {
      mm: { type: 'linear', gain: 1e-3, hardwareUnits: 'mm', physicsUnits: 'm' },
      mrad: { type: 'linear', gain: 1e-3, hardwareUnits: 'mrad', physicsUnits: 'rad' },
    },
    families: {
      BPMx: { elementClass: 'BPM', plane: 'x', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:X' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpms) },
      TBTx: tbt('x'),
      TBTy: tbt('y'),
      KICKx: kicker('x'),
      KICKy: kicker('y'),
    },
  };
  const file = join(mkdtempSync(join(tmpdir(), 'mlayer-tbt-')), 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function twin(settings: TwinSettingsInput = {}) {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(facilityFile(settings)), controlSystems, conversions });
  open.push(acc);
  return { acc, tw: acc.controlSystem as TwinControlSystem };
}

async function buffers(acc: Accelerator, family: string): Promise<Float64Array[]> {
  const samples = await acc.family(family).read();
  return samples.map((s) => {
    expect(s.value).toBeInstanceOf(Float64Array);
    return s.value as Float64Array;
  });
}

describe('twin turn-by-turn BPM buffers after a kick', () => {
  it("gives the same buffers with the twin's WebGPU backend (software renderer here, float-float) as with the CPU engine", async () => {
    const bunch = { particles: 4, energySpread: 2e-4 };
    const cpu = await twin({ backend: 'cpu', seed: 3 });
    const gpu = await twin({ backend: 'webgpu', seed: 3 });
    const results: Float64Array[][] = [];
    for (const { acc, tw } of [cpu, gpu]) {
      tw.configureTurnByTurn(bunch);
      await acc.family('KICKx').set(0.05); // 50 µrad
      results.push(await buffers(acc, 'TBTx'));
    }
    expect(gpu.tw.trackerDescription).toMatch(/^WebGPU/);
    const [a, b] = results;
    let worst = 0;
    let scale = 0;
    a.forEach((buf, i) => buf.forEach((v, n) => ((worst = Math.max(worst, Math.abs(v - b[i][n]))), (scale = Math.max(scale, Math.abs(v))))));
    expect(scale).toBeGreaterThan(1e-3); // mm: the kick shows
    expect(worst).toBeLessThan(1e-9 * scale);
  }, 600_000);

  it('follows linear betatron motion with the pyAT optics: x_n = θ·sqrt(β_k β_i)·sin(μ_i + 2πQ·n) (one particle, no energy spread)', async () => {
    const { acc, tw } = await twin();
    tw.configureTurnByTurn({ particles: 1, energySpread: 0 });
    const ref = thomxRef();
    const opt = ref.optics_all_refpts;
    const bpmIdx: number[] = ref.optics_at_bpms.index;
    const [qx, qy] = ref.tunes.ring_tunes_with_integer as number[];
    const theta = 2e-6; // rad, linear regime
    for (const [plane, family, kick, q] of [[0, 'TBTx', 'KICKx', qx], [1, 'TBTy', 'KICKy', qy]] as const) {
      await acc.family(kick).set(theta * 1e3); // mrad
      expect(tw.lastKick?.kick[plane]).toBeCloseTo(theta, 18);
      const data = await buffers(acc, family);
      const bk = opt.beta[0][plane];
      let worst = 0;
      data.forEach((buf, i) => {
        const e = bpmIdx[i];
        const amp = theta * Math.sqrt(bk * opt.beta[e][plane]);
        const mu = opt.mu[e][plane] - opt.mu[0][plane];
        for (const n of [0, 1, 2, 50, 255]) {
          const expected = amp * Math.sin(mu + 2 * Math.PI * q * n);
          worst = Math.max(worst, Math.abs(buf[n] * 1e-3 - expected) / amp);
        }
      });
      // Relative to the amplitude; the sextupoles make the motion slightly nonlinear.
      expect(worst).toBeLessThan(2e-3);
      await acc.family(kick).set(0);
    }
  });

  it('decoheres with the chromaticity: the centroid envelope is exp(-(2π ξ σδ n)²/2) (4D, Gaussian energy spread)', async () => {
    const { tw } = await twin();
    const sigma = 5e-4;
    const xi = thomxRef().chromaticity['get_chrom_default_DPStep_3e-6'][1] as number;
    const e = thomxRef().optics_at_bpms.index[0] as number;
    const shot = trackKick(tw.machineModel as EngineLatticeModel, {
      element: 0,
      kick: [0, 2e-6],
      dp: 0,
      bpms: [e],
      turns: 64,
      bunch: checkBunch({ particles: 1500, energySpread: sigma }),
      rng: new Random(5),
    });
    const y = shot.centroids.get(e)!.y;
    // The envelope: the largest |y| over a window of about one betatron period (Qy = 1.64: period ~ 1.6 turns).
    const amp0 = Math.max(...Array.from(y.subarray(0, 4), Math.abs));
    for (const n of [20, 35, 50]) {
      const env = Math.max(...Array.from(y.subarray(n - 2, n + 2), Math.abs)) / amp0;
      const expected = Math.exp(-((2 * Math.PI * xi * sigma * n) ** 2) / 2);
      expect(Math.abs(env - expected)).toBeLessThan(0.07);
    }
    expect(shot.lost).toBe(0);
  });

  it('reads the closed orbit before any kick, applies BPM offsets and noise, and checks the kicker limits', async () => {
    const { acc, tw } = await twin({ bpmNoise: 5e-6, seed: 3 });
    const before = await buffers(acc, 'TBTx');
    expect(before[0]).toHaveLength(TURNS);
    const rms = Math.sqrt(before.flatMap((b) => Array.from(b)).reduce((s, v) => s + (v * 1e-3) ** 2, 0) / (before.length * TURNS));
    expect(Math.abs(rms / 5e-6 - 1)).toBeLessThan(0.05);
    tw.applyErrors({ bpms: { TBTx: { offset: 1e-4 } } }, 4);
    tw.configureTurnByTurn({ particles: 1, energySpread: 0 });
    await acc.family('KICKx').set(0.01);
    const after = await buffers(acc, 'TBTx');
    const off = tw.appliedErrors!.bpms.TBTx.offset;
    const mean = after.map((b) => b.reduce((s, v) => s + v, 0) / b.length / 1e3);
    // The betatron motion averages out over 256 turns; what stays is -offset.
    mean.forEach((m, i) => expect(Math.abs(m + off[i])).toBeLessThan(3e-6));
    await expect(acc.family('KICKx').set(3)).rejects.toThrow(/limits/);
    await expect(acc.controlSystem.write([{ channel: 'KICK:X', value: 2.5 }])).rejects.toBeInstanceOf(WriteRejectedError);
  });
});

