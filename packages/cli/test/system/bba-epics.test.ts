import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import { analyseBba, measureBba, planBba, type BbaPlan } from '@mlayer/bba';
import { bbaTruth, expandErrorGroups } from '@mlayer/adapters-sim';
import { serveEpics, type ServedEpics } from '@mlayer/virtual-accelerator';
import { PYTHON, epicsFacilityFile, openEpicsMode } from '../serve-epics-fixture.js';

// Issue 21: BBA runs unchanged through EPICS. The ThomX twin served by `mlayer serve --protocol epics` (a real
// softIoc, started and stopped by serveEpics) with the issue's error set (quadrupoles 50 um rms, BPM offsets 100 um rms,
// 1 um noise), BBA of 2 BPMs in x (3 corrector steps) in --mode epics, against the same measurement in --mode twin on
// the same error set and seed, and against the served twin's truth. Kept short: 2 BPMs, one plane.

const SEED = 3;
const dir = mkdtempSync(join(tmpdir(), 'mlayer-bba-epics-'));
const facilityFile = epicsFacilityFile(dir);
const errors = join(dir, 'errors.yaml');
writeFileSync(errors, stringify({ magnets: { QUAD: { dx: 50e-6, dy: 50e-6 } }, bpms: { BPMx: { offset: 100e-6, noise: 1e-6 }, BPMy: { offset: 100e-6, noise: 1e-6 } } }));
let served: ServedEpics;
let live: Accelerator;
let twin: Accelerator;

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: install python3-pyepics (scripts/debian-packages.txt)`);
  served = await serveEpics({ facility: facilityFile, errors, seed: SEED, overlay: join(dir, 'facility.epics.yaml'), log: () => undefined });
  live = await openEpicsMode(served.overlay, 'epics');
  twin = await openEpicsMode(facilityFile, 'twin');
  twin.twin.applyErrors(expandErrorGroups(twin.facility.config, parse(readFileSync(errors, 'utf8')) as Record<string, unknown>), SEED);
}, 120_000);

afterAll(async () => {
  await live?.close();
  await twin?.close();
  await served?.stop();
});

describe('BBA through EPICS (mlayer serve twin, --mode epics)', () => {
  it('finds the offsets of 2 BPMs (x) that --mode twin finds on the same errors, within the noise, and restores every setpoint', async () => {
    const bpms = live.family('BPMx').names.slice(0, 2);
    const plan: BbaPlan = planBba(live, { planes: ['x'], bpms, steps: 3, model: twin.model });
    const drives = [...new Set(plan.pairs.flatMap((p) => [p.quad.family, p.corrector.family]))];
    const before = await Promise.all(drives.map((f) => live.family(f).get({ field: 'setpoint' })));
    const t0 = Date.now();
    // The BPM PVs publish at the twin's 20 Hz: 250 ms after each change the orbit read is the changed one.
    const e = analyseBba(await measureBba(live, plan, { settle: 250 }));
    const tEpics = Date.now() - t0;
    const w = analyseBba(await measureBba(twin, plan));
    const after = await Promise.all(drives.map((f) => live.family(f).get({ field: 'setpoint' })));
    const truth = plan.pairs.map((p) => {
      const bpmIndex = served.twin.facility.config.families[p.bpm.family].devices.findIndex((d) => d.name === p.bpm.name);
      const corrector = served.twin.family(p.corrector.family).devices([p.corrector.device]).modelParameters(served.twin.twin.machineModel)[0].ref;
      return bbaTruth(served.twin.twin, { bpmFamily: p.bpm.family, bpmIndex, bpmElement: p.bpm.element, plane: p.plane, quadElement: p.quad.element, corrector });
    });
    const um = (v: number) => (v * 1e6).toFixed(2);
    console.log(`BBA over EPICS: ${plan.pairs.length} pairs in ${tEpics} ms; ${plan.pairs.map((p, i) => `${p.bpm.name}: epics ${um(e.pairs[i].offset)} ± ${um(e.pairs[i].sigma)} um, twin ${um(w.pairs[i].offset)} ± ${um(w.pairs[i].sigma)} um, truth ${um(truth[i])} um`).join('; ')}`);
    for (const [i, r] of e.pairs.entries()) {
      expect(Math.abs(r.offset - w.pairs[i].offset)).toBeLessThanOrEqual(3 * Math.hypot(r.sigma, w.pairs[i].sigma));
      expect(Math.abs(r.offset)).toBeGreaterThan(5e-6);
    }
    after.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(before[i])));
  }, 120_000);
});
