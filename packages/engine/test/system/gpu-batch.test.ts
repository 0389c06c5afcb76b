/**
 * Batched evaluation on WebGPU (float-float) against pyAT's references (ThomX): closed
 * orbits of several configurations in one batch (design, the 3-kick case), tunes from the
 * tracked one-turn matrix, and the full orbit response matrix (96 configurations).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDataDir } from '@mlayer/core/testing';
import { compileLattice, type Lattice } from '../../src/index.js';
import { closedOrbits4, createTracker, openWebGpu, orbitResponses, tunesFromOrbits, WebGpuTracker, type WebGpuContext } from '../../src/gpu/index.js';

const DIR = resolve(sharedDataDir(), 'lattices/thomx');
const json = JSON.parse(readFileSync(resolve(DIR, 'thomx_4d.atjson.json'), 'utf8')) as Lattice;
const lattice: Lattice = { elements: json.elements, properties: json.properties };
const ref = JSON.parse(readFileSync(resolve(DIR, 'thomx_ref.json'), 'utf8')) as {
  tunes: { ring_tunes_fractional: [number, number] };
  closed_orbit_3_kicks: { kicked_corrector_index: number[]; orbit_at_index0: number[] };
};
const orm = JSON.parse(readFileSync(resolve(DIR, 'thomx_orm.json'), 'utf8')) as {
  bpm_index: number[];
  corrector_index: number[];
  Rxx: number[][];
  Ryy: number[][];
};

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

function kicked(): Lattice {
  const elements = lattice.elements.map((e) => ({ ...e }));
  for (const i of ref.closed_orbit_3_kicks.kicked_corrector_index) elements[i].KickAngle = [10e-6, 10e-6];
  return { elements, properties: lattice.properties };
}

function maxRel(got: number[][], want: number[][]): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < want[i].length; j++) {
      scale = Math.max(scale, Math.abs(want[i][j]));
      worst = Math.max(worst, Math.abs(got[i][j] - want[i][j]));
    }
  }
  return worst / scale;
}

describe('batched evaluation on WebGPU', () => {
  it('closed orbits and tunes of two configurations in one batch', async () => {
    const tracker = await createTracker([lattice, kicked()], { backend: 'webgpu', context: ctx });
    const orbits = await closedOrbits4(tracker, 2);
    await tracker.close();
    const want = ref.closed_orbit_3_kicks.orbit_at_index0;
    const scale = Math.max(...want.map(Math.abs));
    const err = Math.max(...[0, 1, 2, 3].map((k) => Math.abs(orbits[1].orbit[k] - want[k])));
    expect(err / scale).toBeLessThanOrEqual(1e-6);
    expect(Math.max(...[0, 1, 2, 3].map((k) => Math.abs(orbits[0].orbit[k])))).toBeLessThanOrEqual(1e-15);
    const [qx, qy] = tunesFromOrbits(orbits)[0];
    console.log(`tunes ${qx} ${qy}; orbit error ${(err / scale).toExponential(2)} of the largest value`);
    expect(Math.abs(qx - ref.tunes.ring_tunes_fractional[0])).toBeLessThanOrEqual(1e-7);
    expect(Math.abs(qy - ref.tunes.ring_tunes_fractional[1])).toBeLessThanOrEqual(1e-7);
  }, 600_000);

  it('orbit response matrix: 24 correctors x 2 planes x +-h = 96 configurations (1e-6 of the largest entry)', async () => {
    const [r] = await orbitResponses([lattice], orm.bpm_index, orm.corrector_index, { tracker: { backend: 'webgpu', context: ctx } });
    const ex = maxRel(r.Rxx, orm.Rxx);
    const ey = maxRel(r.Ryy, orm.Ryy);
    console.log(`ORM vs pyAT: Rxx ${ex.toExponential(2)}, Ryy ${ey.toExponential(2)} of the largest entry`);
    expect(ex).toBeLessThanOrEqual(1e-6);
    expect(ey).toBeLessThanOrEqual(1e-6);
  }, 600_000);
});
