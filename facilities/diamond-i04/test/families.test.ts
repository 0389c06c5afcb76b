import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';

const FILE = fileURLToPath(new URL('../facility.yaml', import.meta.url));

async function twin(): Promise<Accelerator> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  return createAccelerator({ facility: loadFacility(FILE, { conversions }), mode: 'twin', controlSystems, conversions });
}

describe('facilities/diamond-i04: every family through the twin, with its own EPICS names', () => {
  it('reads every family in hardware and physics units, and sets every family with a setpoint', async () => {
    const acc = await twin();
    const cs = acc.facility.config.controlSystems.twin;
    expect(cs.channelNames).toBe('epics');
    let read = 0;
    let set = 0;
    for (const name of acc.familyNames()) {
      const fam = acc.family(name);
      for (const field of fam.fields) {
        // The twin serves the facility's own EPICS names.
        expect(fam.channels(field)).toEqual(fam.channels(field).map((_c, i) => acc.facility.channel(name, fam.indices[i], field, 'epics')));
        const hw = await fam.get({ field });
        expect(hw.length).toBe(fam.size);
        expect(hw.every(Number.isFinite), `${name}.${field} hardware`).toBe(true);
        const phys = await fam.get({ field, units: 'physics' });
        expect(phys.every(Number.isFinite), `${name}.${field} physics`).toBe(true);
        read++;
      }
      if (!fam.fields.includes('setpoint')) continue;
      // Write the present setpoints back, in hardware and in physics units: the twin takes them, nothing moves.
      const sp = await fam.get({ field: 'setpoint' });
      await fam.set(sp, { wait: true });
      const sp2 = await fam.get({ field: 'setpoint' });
      sp2.forEach((v, i) => expect(v).toBe(sp[i]));
      const phys = await fam.get({ field: 'setpoint', units: 'physics' });
      await fam.set(phys, { units: 'physics', wait: true });
      const sp3 = await fam.get({ field: 'setpoint' });
      sp3.forEach((v, i) => expect(Math.abs(v - sp[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(sp[i]))));
      set++;
    }
    expect(read).toBeGreaterThan(50);
    expect(set).toBeGreaterThan(30);
    await acc.close();
  }, 120000);

  it('a corrector set in physics units moves the orbit read by the BPMs of the other plane only through coupling', async () => {
    const acc = await twin();
    const hstr = acc.family('HSTR');
    const x0 = await acc.family('BPMx').get({ units: 'physics' });
    await hstr.devices([hstr.deviceList[10]]).set(20e-6, { units: 'physics', wait: true });
    const x1 = await acc.family('BPMx').get({ units: 'physics' });
    const y1 = await acc.family('BPMy').get({ units: 'physics' });
    const dx = x1.map((v, i) => v - x0[i]);
    expect(Math.max(...dx.map(Math.abs))).toBeGreaterThan(1e-5);
    expect(Math.max(...y1.map(Math.abs))).toBeLessThan(1e-12);
    await acc.close();
  });
});
