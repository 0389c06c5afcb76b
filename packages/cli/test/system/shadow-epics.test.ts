/**
 * The digital shadow of a twin served over EPICS (issue 24 Done-when): `mlayer serve
 * --protocol epics` (in process: a real softIoc on loopback) serves a ThomX twin with seeded
 * errors and a tune monitor family (TX:TUNE:X, TX:TUNE:Y, tune noise 1e-4); the shadow is a
 * twin of the same facility whose lattice carries the same errors, fed from the served
 * setpoints over Channel Access. Its model orbit and tunes match the measured ones to the
 * noise; a 1 % gradient error injected into one quadrupole of the served twin only raises
 * drift alarms on a BPM and on both tunes within 10 updates.
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
/** Tune monitor noise of the served twin (rms, tune units). */
const TUNE_NOISE = 1e-4;
const BPM_PV = /^TX:BPM\d\d-\d:SA:[XY]$/;
const dir = mkdtempSync(join(tmpdir(), 'mlayer-shadow-epics-'));
const facilityFile = epicsFacilityFile(dir, { tunes: { noise: TUNE_NOISE } });
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

it('follows the served setpoints, matches the measured orbit and tunes to the noise, and a 1 % gradient error raises BPM and tune drift alarms within 10 updates', async () => {
  const shadow = await new Shadow(live, model).start();
  const detector = new DriftDetector({ learn: 50, k: 6, alpha: 0.3 });
  const alarms: DriftAlarm[] = [];
  detector.alarms$.subscribe((a) => alarms.push(a));
  const tick = () => new Promise((r) => setTimeout(r, 100));
  let worst = 0;
  const worstTune = { 'TX:TUNE:X': 0, 'TX:TUNE:Y': 0 };
  const measuredTune = { 'TX:TUNE:X': 0, 'TX:TUNE:Y': 0 };
  for (let i = 0; i < 50; i++) {
    const u = await shadow.update();
    u.channels.forEach((c, k) => {
      const r = Math.abs(u.residual[k]);
      if (u.kinds[k] === 'bpm') worst = Math.max(worst, r);
      else if (c === 'TX:TUNE:X' || c === 'TX:TUNE:Y') {
        worstTune[c] = Math.max(worstTune[c], r);
        measuredTune[c] = u.measured[k];
      }
    });
    detector.push(u);
    await tick();
  }
  expect(shadow.followed.length).toBeGreaterThan(20);
  // The served BPM value is a mean of readings: within 5 sigma of one reading.
  expect(worst).toBeLessThan(5 * BPM_NOISE);
  // Both tunes served and read (ThomX's fractional tunes are not 0), each within 5 sigma of the model's.
  for (const c of ['TX:TUNE:X', 'TX:TUNE:Y'] as const) {
    expect(measuredTune[c]).toBeGreaterThan(0.01);
    expect(worstTune[c]).toBeGreaterThan(0);
    expect(worstTune[c]).toBeLessThan(5 * TUNE_NOISE);
  }
  expect(alarms).toEqual([]);
  served.twin.twin.injectFaults!([{ kind: 'gradient', family: 'QUAD', device: [2, 1], relative: 0.01 }]);
  let updates = 0;
  const bpmDrift = () => alarms.some((a) => a.kind === 'drift' && BPM_PV.test(a.channel));
  const tuneDrift = () => ['TX:TUNE:X', 'TX:TUNE:Y'].every((c) => alarms.some((a) => a.kind === 'drift' && a.channel === c));
  while (updates < 10 && !(bpmDrift() && tuneDrift())) {
    await tick();
    detector.push(await shadow.update());
    updates++;
  }
  const drift = alarms.filter((a) => a.kind === 'drift');
  expect(drift.length).toBeGreaterThan(0);
  expect(drift[0].channel).toMatch(BPM_PV);
  expect(bpmDrift()).toBe(true);
  expect(tuneDrift()).toBe(true);
  expect(updates).toBeLessThanOrEqual(10);
  const tuneAlarms = drift.filter((a) => a.channel.startsWith('TX:TUNE:'));
  console.log(
    `served over EPICS: worst BPM residual ${(worst * 1e9).toFixed(1)} nm, worst tune residuals x ${worstTune['TX:TUNE:X'].toExponential(2)} y ${worstTune['TX:TUNE:Y'].toExponential(2)} over 50 quiet updates; ` +
      `drift alarms after ${updates} updates on ${drift.map((a) => a.channel).slice(0, 3).join(', ')}; tune: ${tuneAlarms.map((a) => `${a.channel} ${a.size.toFixed(1)} sigma`).join(', ')}`,
  );
  shadow.close();
}, 120_000);
