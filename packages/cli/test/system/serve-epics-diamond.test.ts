import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import { correctOrbit } from '@mlayer/orbit';
import { expandErrorGroups } from '@mlayer/adapters-sim';
import { serveEpics, type ServedEpics } from '@mlayer/virtual-accelerator';
import { SHARED } from '../serve-fixture.js';
import { PYTHON, eventually, openEpicsMode, pyepics } from '../serve-epics-fixture.js';

// Smoke test on the demo facility: Diamond I04 with its real EPICS PV names (about
// 3900 PVs in one softIoc), the twin without errors; pyepics reads PVs by their
// Diamond names, and a steerer kicked through `--mode epics` moves the orbit as
// pyAT's response matrix says (shared/facilities/diamond-i04/diamond_i04_orm.json).

const FACILITY = join(__dirname, '../../../../facilities/diamond-i04/facility.yaml');
const ERRORS = join(__dirname, '../../../../examples/demo-errors.yaml');
const dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-epics-diamond-'));
let served: ServedEpics;
let live: Accelerator;
let tServe = 0;
const log: string[] = [];

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: install python3-pyepics (scripts/debian-packages.txt)`);
  const t0 = Date.now();
  served = await serveEpics({ facility: FACILITY, overlay: join(dir, 'diamond.epics.yaml'), log: (l) => log.push(l) });
  tServe = Date.now() - t0;
  live = await openEpicsMode(served.overlay, 'epics');
}, 600_000);

afterAll(async () => {
  await live?.close();
  await served?.stop();
});

describe('mlayer serve --protocol epics on Diamond I04', () => {
  it('serves every Diamond PV once; pyepics reads them by their real names', async () => {
    // 4317 facility channels (3966 from pytac, 4 hand-written beam monitors, 1 injection trigger and 346 turn-by-turn BPM buffers); the 50 dipoles share one supply (SR-PC-DIPOL-01:SETI and :I), so do a few other families.
    const total = served.channels.length + Number(/\((\d+) facility channels share a PV\)/.exec(log.join('\n'))![1]);
    expect(total).toBe(4317);
    expect(new Set(served.channels.map((c) => c.served)).size).toBe(served.channels.length);
    const r = (await pyepics(
      served.clientEnv,
      `
x = epics.caget('SR01C-DI-EBPM-01:SA:X', timeout=10)
print(json.dumps([x, epics.caget('SR01C-DI-EBPM-01:SA:X.EGU', timeout=10), epics.caget('SR-PC-DIPOL-01:SETI.RTYP', timeout=10), epics.caget('SR01A-PC-Q1D-01:SETI.DRVH', timeout=10)]))`,
    )) as [number, string, string, number];
    const [x] = await served.twin.family('BPMx').get();
    expect(r[0]).toBe(x);
    expect(r[1]).toBe('mm');
    expect(r[2]).toBe('ao');
    console.log(`Diamond I04 served: ${served.channels.length} PVs, start-up ${tServe} ms (twin, IOC, bridge connected and copied); Q1D DRVH ${r[3]}`);
  });

  it('a steerer kicked through --mode epics moves the orbit as the pyAT response matrix says', async () => {
    const ref = JSON.parse(readFileSync(join(SHARED, 'facilities/diamond-i04/diamond_i04_orm.json'), 'utf8')) as { bpm_index: number[]; corrector_index: number[]; 'Rxx_h1e-7': number[][] };
    const hstr = live.family('HSTR');
    const k = 10;
    const steerer = hstr.devices([hstr.deviceList[k]]);
    const element = hstr.elements[k] as number;
    const bpmElements = live.family('BPMx').elements as number[];
    const before = await live.family('BPMx').get({ units: 'physics' });
    const kick = 2e-5;
    const t0 = Date.now();
    await steerer.set(kick, { units: 'physics', wait: true });
    const rb = (await steerer.get({ field: 'setpoint' }))[0];
    // The twin follows, and the IOC's readback follows the twin.
    await eventually(async () => (await steerer.get({ field: 'readback' }))[0] === rb, () => 'the readback did not follow');
    let after = before;
    await eventually(
      async () => {
        after = await live.family('BPMx').get({ units: 'physics' });
        return after.some((v, i) => v !== before[i]);
      },
      () => 'the orbit did not move',
    );
    const tResponse = Date.now() - t0;
    // BPMs publish 10 Hz averages: the first one that moved may still hold readings from before the kick.
    await new Promise((r) => setTimeout(r, 250));
    after = await live.family('BPMx').get({ units: 'physics' });
    const j = ref.corrector_index.indexOf(element);
    const column = bpmElements.map((b) => ref['Rxx_h1e-7'][ref.bpm_index.indexOf(b)][j] * kick);
    const scale = Math.max(...column.map(Math.abs));
    const worst = Math.max(...column.map((c, i) => Math.abs(after[i] - before[i] - c)));
    console.log(`Diamond HSTR ${hstr.deviceList[k].join('-')} kick ${kick} rad over EPICS: orbit change vs pyAT worst ${worst.toExponential(2)} m of ${scale.toExponential(2)} m; set -> orbit on the IOC ${tResponse} ms`);
    expect(worst).toBeLessThan(0.01 * scale);
    await steerer.set(0, { units: 'physics', wait: true });
    await eventually(async () => (await served.twin.family('HSTR').get({ field: 'setpoint' }))[k] === (await steerer.get({ field: 'setpoint' }))[0], () => 'the twin did not follow the restore');
  });

  it('with the demo error set, orbit correction in --mode epics ends where --mode twin ends (same seed)', async () => {
    const spec = parse(readFileSync(ERRORS, 'utf8')) as Record<string, unknown>;
    served.twin.twin.applyErrors(expandErrorGroups(served.twin.facility.config, spec), 1);
    // The IOC shows the distorted orbit once the bridge has published it.
    let gap = Number.NaN;
    await eventually(
      async () => {
        const [ioc, truth] = await Promise.all([live.family('BPMx').get({ units: 'physics' }), served.twin.family('BPMx').get({ units: 'physics' })]);
        gap = Math.max(...ioc.map((v, i) => Math.abs(v - truth[i])));
        return gap < 1e-5;
      },
      () => `the IOC's orbit is ${gap} m from the twin's`,
    );
    const twin = await openEpicsMode(FACILITY, 'twin');
    try {
      twin.twin.applyErrors(expandErrorGroups(twin.facility.config, spec), 1);
      // The EPICS accelerator of the test has no lattice model: the model ORM comes from the reference's design model.
      const options = { orm: 'model' as const, model: twin.model, iterations: 4, method: { type: 'svd' as const, threshold: 1e-3 } };
      const a = await correctOrbit(twin, options);
      const t0 = Date.now();
      const b = await correctOrbit(live, options);
      const tEpics = Date.now() - t0;
      for (const p of ['x', 'y'] as const) {
        const fa = a.final[p]!.values;
        const fb = b.final[p]!.values;
        const diff = Math.max(...fa.map((v, i) => Math.abs(v - fb[i])));
        console.log(`Diamond plane ${p}: rms ${b.rmsInitial[p]!.toExponential(2)} -> epics ${b.rmsFinal[p]!.toExponential(2)} (${b.steps.length} steps, ${tEpics} ms), twin ${a.rmsFinal[p]!.toExponential(2)} (${a.steps.length} steps) ${a.units === 'physics' ? 'm' : ''}; largest BPM difference ${diff.toExponential(2)}`);
        expect(b.rmsInitial[p]).toBeCloseTo(a.rmsInitial[p]!, 5);
        expect(b.rmsFinal[p]!).toBeLessThan(b.rmsInitial[p]! / 10);
        // BPM noise 1e-6 m of the demo error set, amplified by the correction.
        expect(Math.abs(b.rmsFinal[p]! - a.rmsFinal[p]!)).toBeLessThan(2e-6);
      }
    } finally {
      await twin.close();
    }
  });
});
