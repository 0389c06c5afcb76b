import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlSystemRegistry, createAccelerator, loadFacility, UnitConversionRegistry } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';
import { PACKAGE_DIR, relErr } from '../helpers.js';

/**
 * The committed facility drives the digital twin as pyAT drives the lattice:
 * kicks set in physics units through the imported conversions land on the right
 * elements and the BPMs read the pyAT closed orbit (shared/lattices README:
 * KickAngle [10 µrad, 10 µrad] on the first 3 correctors).
 */
describe('facilities/diamond-i04 on the twin', () => {
  it('reproduces the pyAT tunes and the 3-kick closed orbit at BPM 0', async () => {
    const facility = loadFacility(join(PACKAGE_DIR, 'facility.yaml'));
    const controlSystems = new ControlSystemRegistry();
    registerTwin(controlSystems);
    const conversions = new UnitConversionRegistry();
    registerCalibration(conversions);
    const acc = await createAccelerator({ facility, mode: 'twin', controlSystems, conversions });

    const tune = await acc.family('TUNE').get({ units: 'physics' });
    expect(Math.abs(tune[0] - 0.18876806205040708)).toBeLessThan(1e-10);
    expect(Math.abs(tune[1] - 0.2770347946581939)).toBeLessThan(1e-10);

    // the first quadrupole (index 4, Q1D, K = -0.70080023 m^-2) reads its K through pchip / Bρ
    const q1d = acc.family('Q1D');
    const k = await q1d.get({ units: 'physics', field: 'readback' });
    expect(relErr(k[0], -0.70080023)).toBeLessThan(1e-12);

    const kicked = [7, 15, 27];
    for (const fam of ['HSTR', 'VSTR']) {
      const f = acc.family(fam);
      const names = facility.config.families[fam].devices.filter((d) => kicked.includes(d.element as number)).map((d) => d.name);
      expect(names.length).toBe(3);
      await f.byName(...names).set(10e-6, { units: 'physics' });
    }
    const x = await acc.family('BPMx').get({ units: 'physics' });
    const y = await acc.family('BPMy').get({ units: 'physics' });
    expect(relErr(x[0], 0.00010630518576924837)).toBeLessThan(1e-9);
    expect(relErr(y[0], 0.00019853435407515287)).toBeLessThan(1e-9);
    const maxAbs = (a: Float64Array) => Math.max(...Array.from(a, Math.abs));
    expect(relErr(maxAbs(x), 0.0001280578482313521)).toBeLessThan(1e-9);
    expect(relErr(maxAbs(y), 0.0003626186415306791)).toBeLessThan(1e-9);
  });
});
