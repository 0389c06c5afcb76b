import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ControlSystemRegistry, OutOfLimitsError, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';

const FILE = fileURLToPath(new URL('../../facility.yaml', import.meta.url));

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
    const refused: string[] = [];
    for (const name of acc.familyNames()) {
      const fam = acc.family(name);
      for (const field of fam.fields) {
        // The twin serves the facility's own EPICS names.
        expect(fam.channels(field)).toEqual(fam.channels(field).map((_c, i) => acc.facility.channel(name, fam.indices[i], field, 'epics')));
        const spec = acc.facility.config.families[name].fields[field];
        if (spec?.dataType === 'array') {
          // Turn-by-turn buffers: one waveform of the declared length per device (get is for scalars).
          const samples = await fam.read({ field });
          expect(samples.length).toBe(fam.size);
          for (const s of samples) {
            expect(s.value, `${name}.${field} waveform`).toBeInstanceOf(Float64Array);
            expect((s.value as Float64Array).length).toBe(spec.length);
          }
          read++;
          continue;
        }
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
      const outside = fam.limits.some((l, i) => l !== undefined && (sp[i] < l[0] || sp[i] > l[1]));
      if (outside) {
        // The design lattice needs more than pytac's limits allow (the dipoles: 1422 A for a 1400 A limit):
        // the safety layer refuses to write it back, and says why.
        await expect(fam.set(sp)).rejects.toBeInstanceOf(OutOfLimitsError);
        refused.push(name);
        continue;
      }
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
    expect(refused).toEqual(['BB']);
    await acc.close();
  }, 120000);

  it('drives all 46 dipoles from their one power supply, BendingAngle = b0 x L', async () => {
    const acc = await twin();
    const bb = acc.family('BB');
    const elements = bb.elements as number[];
    const model = acc.twin.machineModel;
    const angle0 = elements.map((e) => model.getParameter({ element: e, field: 'BendingAngle' }));
    const b0 = await bb.get({ field: 'setpoint', units: 'physics' });
    elements.forEach((e, i) => expect(b0[i] * model.element(e).length).toBeCloseTo(angle0[i], 12));
    // One device written: the shared supply moves every dipole by the same relative amount.
    await acc.controlSystem.write([{ channel: bb.channels('setpoint')[0], value: 1390 }], { wait: true });
    const b1 = await bb.get({ field: 'setpoint', units: 'physics' });
    const angle1 = elements.map((e) => model.getParameter({ element: e, field: 'BendingAngle' }));
    angle1.forEach((a, i) => expect(a / angle0[i]).toBeCloseTo(b1[0] / b0[0], 12));
    expect(b1[0]).toBeLessThan(b0[0]);
    await acc.close();
  });

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
