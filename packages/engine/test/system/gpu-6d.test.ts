/**
 * 6D tracking on WebGPU (RF cavities and classical radiation in the kernel) against the CPU
 * engine, on every shared lattice with RF (pyAT's enable_6d model, compile6d), on the software
 * renderer in CI. Few particles, few turns: the comparison is the point, not the run.
 *
 * Tolerances (absolute, stated from the kernels' arithmetic):
 * - float-float ('ff'): 1e-12 over 5 turns (the 100-turn 4D bound of gpu-tracking.test.ts is
 *   1e-10; measured 1.6e-13 at most over 10 turns, in ct, which is 0.06 m on hmba's synchronous orbit);
 * - float32 ('f32'): per coordinate 10 x turns x elements x 2^-24 x its largest value (the
 *   derived bound of gpu-tracking.test.ts).
 * Physics: the 6D closed orbit (the RF restores the radiated energy U0 each turn) tracked on the
 * GPU stays on itself within 1e-10 over 5 turns in 'ff' (measured 1e-11 at most over 10 turns, diamond_i04 ct).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLattice, particlesFromRows, track, type Lattice } from '../../src/index.js';
import { compile6d } from '../../src/physics/enable-6d.js';
import { findOrbit6 } from '../../src/physics/orbit6.js';
import { dynamicAperture } from '../../src/physics/acceptance.js';
import { dynamicApertureGpu, openWebGpu, WebGpuTracker, type WebGpuContext } from '../../src/gpu/index.js';
import { available, LATTICES, loadLattice, type RefLattice } from '../physics-fixtures.js';

const WITH_RF = LATTICES.filter((l) => l.name !== 'dba');
const HMBA = LATTICES.find((l) => l.name === 'hmba') as RefLattice;
const TURNS = 5;
/** Offsets from the closed orbit: on it, x, y, delta, ct, and all together. */
const OFFSETS = [
  [0, 0, 0, 0, 0, 0],
  [1e-4, 0, 0, 0, 0, 0],
  [0, 0, 1e-4, 0, 0, 0],
  [0, 0, 0, 0, 1e-3, 0],
  [0, 0, 0, 0, 0, 1e-3],
  [3e-4, 1e-5, 2e-4, -1e-5, -2e-3, 2e-3],
];

/** Largest |gpu - cpu| per coordinate over all recorded turns and the final coordinates, and the largest |cpu|. */
function compare(gpu: { record?: Float64Array[][]; coords: Float64Array }, cpu: { record?: Float64Array[][]; coords: Float64Array }, n: number): { err: number[]; amp: number[] } {
  const err = [0, 0, 0, 0, 0, 0];
  const amp = [0, 0, 0, 0, 0, 0];
  const arrays: [Float64Array, Float64Array][] = [[gpu.coords, cpu.coords], ...gpu.record!.map((row, t) => [row[0], cpu.record![t][0]] as [Float64Array, Float64Array])];
  for (const [g, c] of arrays)
    for (let k = 0; k < 6; k++)
      for (let i = 0; i < n; i++) {
        const d = Math.abs(g[k * n + i] - c[k * n + i]);
        err[k] = Math.max(err[k], Number.isNaN(d) ? Infinity : d);
        amp[k] = Math.max(amp[k], Math.abs(c[k * n + i]));
      }
  return { err, amp };
}

let ctx: WebGpuContext;
beforeAll(async () => {
  ctx = await openWebGpu({ require: 'any' });
  // llvmpipe compiles the kernel at its first dispatch (minutes on 2 loaded cores without Mesa's shader cache).
  const tiny = compileLattice({ elements: [{ FamName: 'D', Length: 1, PassMethod: 'DriftPass' }], properties: { energy: 1e9, periodicity: 1 } } as Lattice);
  for (const precision of ['ff', 'f32'] as const) await (await WebGpuTracker.create(ctx, tiny, { precision })).track(new Float64Array(6));
}, 900_000);
afterAll(() => ctx?.destroy());

describe.each(WITH_RF)('6D tracking on WebGPU vs the CPU engine: $name', (l) => {
  it.skipIf(!available(l))(`ff and f32: ${OFFSETS.length} particles around the 6D closed orbit, ${TURNS} turns`, async () => {
    const compiled = compile6d(loadLattice(l));
    expect(compiled.elements.some((e) => e.method.name === 'RFCavityPass')).toBe(true);
    expect(compiled.elements.some((e) => e.method.name.endsWith('RadPass'))).toBe(true);
    const orbit = findOrbit6(compiled);
    const rows = OFFSETS.map((d) => d.map((v, k) => v + orbit[k]));
    const cpu = track(compiled, particlesFromRows(rows), { turns: TURNS, refpts: [0] });
    for (const precision of ['ff', 'f32'] as const) {
      const tracker = await WebGpuTracker.create(ctx, compiled, { precision });
      const gpu = await tracker.track(particlesFromRows(rows), { turns: TURNS, refpts: [0] });
      tracker.destroy();
      const { err, amp } = compare(gpu, cpu, rows.length);
      const bound = precision === 'ff' ? amp.map(() => 1e-12) : amp.map((a) => 10 * TURNS * compiled.elements.length * 2 ** -24 * a);
      console.log(`${l.name} 6D ${precision}: |gpu - cpu| per coordinate ${err.map((e, k) => `${e.toExponential(1)}/${bound[k].toExponential(1)}`).join(', ')}`);
      err.forEach((e, k) => expect(e, `${precision} coordinate ${k}`).toBeLessThanOrEqual(bound[k]));
      expect(Array.from(gpu.lostTurn)).toEqual(Array.from(cpu.lostTurn));
      if (precision === 'ff') {
        // The synchronous particle: energy lost to radiation restored by the cavities, turn after turn.
        const drift = [0, 1, 2, 3, 4, 5].map((k) => Math.abs(gpu.coords[k * rows.length] - orbit[k]));
        console.log(`${l.name} 6D orbit after ${TURNS} turns on the GPU: ${drift.map((d) => d.toExponential(1)).join(', ')}`);
        drift.forEach((d, k) => expect(d, `orbit coordinate ${k}`).toBeLessThanOrEqual(1e-10));
      }
    }
  }, 900_000);
});

describe('6D dynamic aperture on WebGPU (hmba, 3 angles x 21 radii, 10 + 1 turns)', () => {
  it.skipIf(!available(HMBA))('same survivors as the CPU engine on the same grid', async () => {
    const lattice = loadLattice(HMBA);
    const o = { amplitudes: [0.015, 0.01] as [number, number], npoints: [21, 11] as [number, number], nturns: 10, sixD: true, thetaIndices: [0, 5, 10] };
    const gpu = await dynamicApertureGpu(lattice, o, { context: ctx });
    const cpu = dynamicAperture(compile6d(lattice), o);
    const lost = gpu.survived.filter((s) => !s).length;
    console.log(`hmba 6D DA on ${gpu.adapter}: ${gpu.survived.length - lost} of ${gpu.survived.length} survive; boundary ${JSON.stringify(gpu.boundary)}`);
    expect(lost).toBeGreaterThan(3);
    expect(gpu.survived).toEqual(cpu.survived);
    expect(gpu.boundary).toEqual(cpu.boundary);
  }, 900_000);
});
