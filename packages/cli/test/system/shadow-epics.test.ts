/**
 * The digital shadow of a twin served over EPICS (issue 24 Done-when, BPM part): `mlayer serve
 * --protocol epics` (in process: a real softIoc on loopback) serves a ThomX twin with seeded
 * errors; the shadow is a twin of the same facility whose lattice carries the same errors,
 * fed from the served setpoints over Channel Access. Its model orbit matches the measured one
 * to the noise; a 1 % gradient error injected into one quadrupole of the served twin only
 * raises a BPM drift alarm within 10 updates. This facility has no tune monitor: the tune part
 * is tested in process (adapters-sim shadow-drift.test.ts).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadFacility, type Accelerator } from '@mlayer/core';
import { DriftDetector, Shadow, applyErrorSetFile, type DriftAlarm } from '@mlayer/adapters-sim';
import { serveEpics, type ServedEpics } from '@mlayer/virtual-accelerator';
import { BPM_NOISE, errorFile } from '../serve-fixture.js';
import { PYTHON, epicsFacilityFile, openEpicsMode } from '../serve-epics-fixture.js';

const SEED = 11;
const dir = mkdtempSync(join(tmpdir(), 'mlayer-shadow-epics-'));
const facilityFile = epicsFacilityFile(dir);
const errors = errorFile(dir);
let served: ServedEpics;
let live: Accelerator;
let model: Accelerator;

beforeAll(async () => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: install python3-pyepics (scripts/debian-packages.txt)`);
  served = await serveEpics({ facility: facilityFile, errors, seed: SEED, overlay: join(dir, 'facility.epics.yaml'), log: () => undefined });
  live = await openEpicsMode(served.overlay, 'epics');
  model = await openEpicsMode(served.overlay, 'twin');
  applyErrorSetFile(model, loadFacility(served.overlay).config, errors, SEED);
}, 600_000);

afterAll(async () => {
  await live?.close();
  await model?.close();
  await served?.stop();
});

it('follows the served setpoints, matches the measured orbit to the noise, and a 1 % gradient error raises a BPM drift alarm within 10 updates', async () => {
  const shadow = await new Shadow(live, model).start();
  const detector = new DriftDetector({ learn: 50, k: 6, alpha: 0.3 });
  const alarms: DriftAlarm[] = [];
  detector.alarms$.subscribe((a) => alarms.push(a));
  const tick = () => new Promise((r) => setTimeout(r, 100));
  let worst = 0;
  for (let i = 0; i < 50; i++) {
    const u = await shadow.update();
    worst = Math.max(worst, ...Array.from(u.residual, Math.abs));
    detector.push(u);
    await tick();
  }
  expect(shadow.followed.length).toBeGreaterThan(20);
  // The served BPM value is a mean of readings: within 5 sigma of one reading.
  expect(worst).toBeLessThan(5 * BPM_NOISE);
  expect(alarms).toEqual([]);
  served.twin.twin.injectFaults!([{ kind: 'gradient', family: 'QUAD', device: [2, 1], relative: 0.01 }]);
  let updates = 0;
  while (updates < 10 && !alarms.some((a) => a.kind === 'drift')) {
    await tick();
    detector.push(await shadow.update());
    updates++;
  }
  const drift = alarms.filter((a) => a.kind === 'drift');
  expect(drift.length).toBeGreaterThan(0);
  expect(drift[0].channel).toMatch(/^TX:BPM\d\d-\d:SA:[XY]$/);
  expect(updates).toBeLessThanOrEqual(10);
  console.log(`served over EPICS: worst residual ${(worst * 1e9).toFixed(1)} nm over 50 quiet updates; drift alarm after ${updates} updates on ${drift.map((a) => a.channel).slice(0, 3).join(', ')}`);
  shadow.close();
}, 120_000);
