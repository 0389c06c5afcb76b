/**
 * The twin's lazy initial setpoints (TwinOptions.lazySetpoints, extras.lazySetpoints: the
 * CLI's warm start): no design value is converted at construction, each actuator's is
 * converted when the actuator is first read or written, and every setpoint, readback and
 * BPM reading is the same as with the eager start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator, type ConversionBuildContext, type UnitConversion } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '../../src/index.js';
import { thomxFacilityFile } from '../twin-fixture.js';

/** Core's registry counting the toHardware calls of the conversions it builds. */
class CountingRegistry extends UnitConversionRegistry {
  toHardware = 0;
  override create(raw: unknown, context: ConversionBuildContext, path?: string): UnitConversion {
    const c = super.create(raw, context, path);
    return {
      hardwareUnits: c.hardwareUnits,
      physicsUnits: c.physicsUnits,
      toPhysics: (v, ctx) => c.toPhysics(v, ctx),
      toHardware: (v, ctx) => (this.toHardware++, c.toHardware(v, ctx)),
    };
  }
}

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function twin(file: string, lazySetpoints: boolean): Promise<{ acc: Accelerator; conversions: CountingRegistry }> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new CountingRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(file), controlSystems, conversions, extras: { lazySetpoints } });
  open.push(acc);
  return { acc, conversions };
}

describe('the twin with lazy initial setpoints', () => {
  it('converts no design value at construction, one per actuator on first use, and reads as the eager twin', async () => {
    const file = thomxFacilityFile({ readbackNoise: 0, bpmNoise: 0 });
    const eager = await twin(file, false);
    const lazy = await twin(file, true);
    // The eager twin converted every corrector's design kick (HCM and VCM: the only conversions).
    const correctors = eager.acc.family('HCM').deviceList.length + eager.acc.family('VCM').deviceList.length;
    expect(eager.conversions.toHardware).toBe(correctors);
    expect(lazy.conversions.toHardware).toBe(0);
    // A BPM read needs no setpoint.
    expect(Array.from(await lazy.acc.family('BPMx').get())).toEqual(Array.from(await eager.acc.family('BPMx').get()));
    expect(lazy.conversions.toHardware).toBe(0);
    // One corrector read: its design value converted, once.
    const one = (acc: Accelerator) => acc.family('HCM').devices([acc.family('HCM').deviceList[2]]);
    expect(Array.from(await one(lazy.acc).get({ field: 'setpoint' }))).toEqual(Array.from(await one(eager.acc).get({ field: 'setpoint' })));
    expect(lazy.conversions.toHardware).toBe(1);
    await one(lazy.acc).get({ field: 'readback' });
    expect(lazy.conversions.toHardware).toBe(1);
    // A write before any read of another corrector: the same orbit after it as the eager twin's.
    for (const t of [eager, lazy]) await t.acc.family('VCM').devices([t.acc.family('VCM').deviceList[5]]).set(2e-5, { units: 'physics', wait: true });
    expect(Array.from(await lazy.acc.family('BPMy').get())).toEqual(Array.from(await eager.acc.family('BPMy').get()));
    // Every setpoint and readback the same.
    expect(await lazy.acc.snapshot().then((s) => s.families)).toEqual(await eager.acc.snapshot().then((s) => s.families));
    for (const fam of ['HCM', 'VCM', 'RF']) {
      expect(Array.from(await lazy.acc.family(fam).get({ field: 'readback' })), fam).toEqual(Array.from(await eager.acc.family(fam).get({ field: 'readback' })));
    }
  });
});
