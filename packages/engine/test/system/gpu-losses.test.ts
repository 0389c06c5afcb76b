/**
 * WebGPU tracking against the CPU engine where the shared reference sets do not reach:
 * particle losses (amplitude limit, apertures: AperturePass, RApertures, EApertures) at
 * the same turn and element, a wiggler with a field, and several lattice configurations
 * in one dispatch.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { compileLattice, particlesFromRows, track, type AtElement, type Lattice } from '../../src/index.js';
import { openWebGpu, WebGpuTracker, GpuConfigurationMismatchError, type WebGpuContext } from '../../src/gpu/index.js';

const SHARED = sharedDataDir();

function load(rel: string): Lattice {
  const json = JSON.parse(readFileSync(resolve(SHARED, rel), 'utf8')) as Lattice;
  return { elements: json.elements.map((e) => ({ ...e })), properties: json.properties };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let j = 0; j < a.length; j++) {
    if (Number.isNaN(a[j]) !== Number.isNaN(b[j])) return Infinity;
    if (!Number.isNaN(a[j])) worst = Math.max(worst, Math.abs(a[j] - b[j]));
  }
  return worst;
}

/** Deterministic particles spread over a range of amplitudes. */
function spread(n: number, ax: number, ay: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const f = (i + 1) / n;
    return [ax * f * Math.cos(2.3 * i), ax * 0.05 * f * Math.sin(1.7 * i), ay * f * Math.sin(0.9 * i), 0, 0.004 * Math.sin(3.1 * i), 0];
  });
}

/** Compiles the kernels once (llvmpipe JIT-compiles on the first dispatch: about a minute for 'ff' on 2 cores without Mesa's shader cache). */
async function warmUp(context: WebGpuContext, precisions: readonly ('ff' | 'f32')[]): Promise<void> {
  const tiny = compileLattice({ elements: [{ FamName: 'D', Length: 1, PassMethod: 'DriftPass' }], properties: { energy: 1e9, periodicity: 1 } } as Lattice);
  for (const precision of precisions) await (await WebGpuTracker.create(context, tiny, { precision })).track(new Float64Array(6), { turns: 1 });
}

let ctx: WebGpuContext;
beforeAll(async () => {
  ctx = await openWebGpu({ require: 'any' });
  await warmUp(ctx, ['ff']);
}, 900_000);
afterAll(() => ctx?.destroy());

describe('losses on WebGPU (float-float) vs the CPU engine', () => {
  it('dba, large amplitudes: same particles lost at the same turn and element', async () => {
    const compiled = compileLattice(load('lattices/dba/dba_4d.atjson.json'));
    const rows = spread(64, 0.06, 0.02);
    const cpu = track(compiled, particlesFromRows(rows), { turns: 20 });
    const tracker = await WebGpuTracker.create(ctx, compiled, { precision: 'ff' });
    const gpu = await tracker.track(particlesFromRows(rows), { turns: 20 });
    const lost = Array.from(cpu.lostTurn).filter((t) => t !== 0).length;
    console.log(`dba: ${lost} of 64 lost in 20 turns`);
    expect(lost).toBeGreaterThan(5);
    expect(lost).toBeLessThan(64);
    expect(Array.from(gpu.lostTurn)).toEqual(Array.from(cpu.lostTurn));
    expect(Array.from(gpu.lostElement)).toEqual(Array.from(cpu.lostElement));
    // Survivors at amplitudes up to 0.06 m after 20 turns (strongly nonlinear motion).
    expect(maxAbsDiff(gpu.coords, cpu.coords)).toBeLessThanOrEqual(1e-10);
  }, 600_000);

  it('apertures (AperturePass, RApertures on drifts, EApertures on quadrupoles)', async () => {
    const lat = load('lattices/dba/dba_4d.atjson.json');
    lat.elements.forEach((e: AtElement, i) => {
      if (e.PassMethod === 'DriftPass' && i % 3 === 0) e.RApertures = [-0.004, 0.005, -0.003, 0.003];
      if (e.PassMethod === 'StrMPoleSymplectic4Pass' && i % 4 === 1) e.EApertures = [0.006, 0.004];
    });
    lat.elements.splice(10, 0, { FamName: 'AP', Length: 0, PassMethod: 'AperturePass', Limits: [-0.0045, 0.0045, -0.0035, 0.0035] });
    const compiled = compileLattice(lat);
    const rows = spread(64, 0.008, 0.006);
    const cpu = track(compiled, particlesFromRows(rows), { turns: 5 });
    const tracker = await WebGpuTracker.create(ctx, compiled, { precision: 'ff' });
    const gpu = await tracker.track(particlesFromRows(rows), { turns: 5 });
    const lost = Array.from(cpu.lostTurn).filter((t) => t !== 0).length;
    const where = new Set(Array.from(cpu.lostElement).filter((e) => e >= 0).map((e) => compiled.elements[e].method.name));
    console.log(`apertures: ${lost} of 64 lost, at ${[...where].join(', ')}`);
    expect(lost).toBeGreaterThan(10);
    expect(where.size).toBeGreaterThanOrEqual(2);
    expect(Array.from(gpu.lostTurn)).toEqual(Array.from(cpu.lostTurn));
    expect(Array.from(gpu.lostElement)).toEqual(Array.from(cpu.lostElement));
    expect(maxAbsDiff(gpu.coords, cpu.coords)).toBeLessThanOrEqual(1e-12);
  }, 600_000);
});

describe('other physics on WebGPU (float-float) vs the CPU engine', () => {
  it('a wiggler with a field (GWigSymplecticPass, horizontal and vertical harmonics)', async () => {
    const wig: AtElement = {
      FamName: 'W', Length: 0.2, PassMethod: 'GWigSymplecticPass', Lw: 0.05, Bmax: 1.2, Nstep: 2, Nmeth: 4,
      NHharm: 2, NVharm: 1,
      By: [[1, 3], [1, 0.1], [0, 0], [1, 3], [1, 3], [0, 0]],
      Bx: [[1], [0.3], [1, 0], [1], [1], [0]].map((r) => r.slice(0, 1)),
    };
    const lat: Lattice = {
      elements: [{ FamName: 'D', Length: 0.5, PassMethod: 'DriftPass' }, wig, { FamName: 'D', Length: 0.5, PassMethod: 'DriftPass' }],
      properties: { energy: 3e9, particle: { rest_energy: 510998.95 }, periodicity: 1 },
    } as Lattice;
    const compiled = compileLattice(lat);
    const rows = spread(16, 2e-3, 1e-3);
    const cpu = track(compiled, particlesFromRows(rows), { turns: 1 });
    const tracker = await WebGpuTracker.create(ctx, compiled, { precision: 'ff' });
    const gpu = await tracker.track(particlesFromRows(rows), { turns: 1 });
    const d = maxAbsDiff(gpu.coords, cpu.coords);
    const moved = maxAbsDiff(cpu.coords, particlesFromRows(rows).coords);
    console.log(`wiggler: max |gpu - cpu| ${d.toExponential(2)} (coordinates moved by ${moved.toExponential(2)})`);
    expect(d).toBeLessThanOrEqual(1e-13);
  }, 600_000);

  it('several configurations in one dispatch (corrector kicks per configuration)', async () => {
    const base = load('lattices/thomx/thomx_4d.atjson.json');
    const firstCorrector = base.elements.findIndex((e) => e.PassMethod === 'CorrectorPass');
    const configs = [0, 1, 2, 3].map((c) => {
      const lat = { elements: base.elements.map((e) => ({ ...e })), properties: base.properties };
      lat.elements[firstCorrector].KickAngle = [1e-4 * c, -5e-5 * c];
      return compileLattice(lat);
    });
    const rows = spread(8, 1e-3, 5e-4);
    const tracker = await WebGpuTracker.create(ctx, configs, { precision: 'ff' });
    const all = particlesFromRows([...rows, ...rows, ...rows, ...rows]);
    const gpu = await tracker.track(all, { turns: 3 });
    let worst = 0;
    for (let c = 0; c < 4; c++) {
      const cpu = track(configs[c], particlesFromRows(rows), { turns: 3 });
      for (let k = 0; k < 6; k++) for (let i = 0; i < 8; i++) worst = Math.max(worst, Math.abs(gpu.coords[k * 32 + c * 8 + i] - cpu.coords[k * 8 + i]));
    }
    expect(worst).toBeLessThanOrEqual(1e-13);
    // Different kicks give different results (the configurations are really used).
    expect(Math.abs(gpu.coords[0] - gpu.coords[8])).toBeGreaterThan(1e-6);
  }, 600_000);

  it('configurations of different structure are refused, naming the element', async () => {
    const a = load('lattices/thomx/thomx_4d.atjson.json');
    const b = load('lattices/thomx/thomx_4d.atjson.json');
    const q = b.elements.findIndex((e) => e.PassMethod === 'StrMPoleSymplectic4Pass');
    b.elements[q].NumIntSteps = 7;
    await expect(WebGpuTracker.create(ctx, [compileLattice(a), compileLattice(b)])).rejects.toThrow(GpuConfigurationMismatchError);
    await expect(WebGpuTracker.create(ctx, [compileLattice(a), compileLattice(b)])).rejects.toThrow(new RegExp(`element #${q} `));
  });
});
