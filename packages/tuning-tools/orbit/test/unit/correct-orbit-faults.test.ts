/**
 * An orbit correction on a twin with a faulty corrector supply (issue 24 fault injection): the
 * readback of the corrector does not follow its setpoint, the correction stops with a message
 * naming the device and both values, and every corrector is back at its start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Accelerator } from '@mlayer/core';
import { correctOrbit, modelOrm } from '../../src/index.js';
import { thomxTwin } from '../fixture.js';

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe('orbit correction with a faulty corrector', () => {
  for (const kind of ['trip', 'stuck'] as const) {
    it(`${kind}: stops naming the corrector (setpoint and readback) and restores every setpoint`, async () => {
      const { acc, twin } = await thomxTwin();
      open.push(acc);
      const hcm = acc.family('HCM');
      const vcm = acc.family('VCM');
      await hcm.devices([hcm.deviceList[5]]).set(0.5);
      await vcm.devices([vcm.deviceList[2]]).set(-0.4);
      const orm = await modelOrm(acc, { model: twin.designModel });
      const method = { type: 'svd' as const, singularValues: 8 };
      // The horizontal corrector the first step moves most: its supply fails.
      const dry = await correctOrbit(acc, { orm, dryRun: true, method });
      const w = dry.steps[0].writes.find((x) => x.family === 'HCM')!;
      const k = w.target.reduce((best, t, i) => (Math.abs(t - w.current[i]) > Math.abs(w.target[best] - w.current[best]) ? i : best), 0);
      const device = w.devices[k] as readonly [number, number];
      expect(Math.abs(w.target[k] - w.current[k])).toBeGreaterThan(0.05);
      const before = { h: Array.from(await hcm.get({ field: 'setpoint' })), v: Array.from(await vcm.get({ field: 'setpoint' })) };
      twin.injectFaults([{ kind, family: 'HCM', device: [...device], ramp: kind === 'trip' ? 0 : undefined }].map((f) => JSON.parse(JSON.stringify(f))));

      const run = correctOrbit(acc, { orm, method, settleTimeout: 300 });
      // Tripped: the readback is 0 (the orbit changed with it: the step's target is another); stuck: its value at the start.
      const held = kind === 'trip' ? 0 : w.current[k];
      const message = new RegExp(`HCM readback settle \\(${device.join(',')} setpoint (-?[0-9.e-]+) readback ${held}: outside the tolerance 0\\.01 of the setpoint\\) on 'HCM:${device.join(':')}:RB'`);
      const error = await run.then(() => undefined, (e: Error) => e);
      expect(error?.message).toMatch(message);
      expect(Math.abs(Number(message.exec(error!.message)![1]) - held)).toBeGreaterThan(0.01);
      expect(Array.from(await hcm.get({ field: 'setpoint' }))).toEqual(before.h);
      expect(Array.from(await vcm.get({ field: 'setpoint' }))).toEqual(before.v);
    });
  }
});
