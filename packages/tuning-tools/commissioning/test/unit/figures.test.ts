import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility } from '@mlayer/core';
import { sharedDataDir } from '@mlayer/core/testing';
import { registerCalibration } from '@mlayer/calibration';
import { applyErrorSetFile, registerTwin } from '@mlayer/adapters-sim';
import { figureElements, figureTargets, measureFigures } from '../../src/index.js';

const ROOT = resolve(__dirname, '../../../../..');
const FACILITY = join(ROOT, 'facilities/diamond-i04/facility.yaml');

async function demoTwin() {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const facility = loadFacility(FACILITY);
  return { facility, acc: await createAccelerator({ facility, controlSystems, conversions, allowWrites: true }) };
}

describe('figures of merit: emittances, coupling and dynamic aperture of the twin (demo facility)', () => {
  it('design: the 6D equilibrium emittance is pyAT ohmi_envelope\'s, no coupling; with the error set rolls give a vertical emittance; the dynamic aperture is the tracked boundary on the axes', async () => {
    const { facility, acc } = await demoTwin();
    const el = figureElements(acc);
    const targets = figureTargets(acc, {});
    const ref = JSON.parse(readFileSync(join(sharedDataDir(), 'facilities/diamond-i04/diamond_i04_6d_ref.json'), 'utf8')).envelope_parameters;
    const design = await measureFigures(acc, el, targets);
    // pyAT ring6.envelope_parameters() of the same lattice: 2.7047e-9 m.
    expect(Math.abs(design.emittance_x / ref.emittances[0] - 1)).toBeLessThan(1e-6);
    expect(design.coupling).toBeLessThan(1e-20);
    // The dynamic aperture only when asked.
    expect(design.dynamic_aperture_x).toBeNaN();
    applyErrorSetFile(acc, facility.config, join(ROOT, 'examples/commissioning/errors.yaml'), 1);
    const request = { amplitudes: [0.02, 0.008] as const, npoints: [12, 3] as const, nturns: 64 };
    const f = await measureFigures(acc, el, targets, { dynamicAperture: request });
    // Rolls of 100 urad rms couple the planes: a vertical emittance appears (the design has none).
    expect(f.emittance_y).toBeGreaterThan(1e-13);
    expect(f.coupling).toBeCloseTo(f.emittance_y / f.emittance_x, 15);
    const { boundary } = acc.twin.machineModel.dynamicAperture(request);
    expect(boundary).toHaveLength(3);
    expect(f.dynamic_aperture_x).toBe(Math.min(Math.abs(boundary[0][0]), Math.abs(boundary[2][0])));
    expect(f.dynamic_aperture_y).toBe(Math.abs(boundary[1][1]));
    // Inside the grid and more than its first radius.
    expect(f.dynamic_aperture_x).toBeGreaterThan(0.02 / 11);
    expect(f.dynamic_aperture_x).toBeLessThanOrEqual(0.02);
    expect(f.dynamic_aperture_y).toBeGreaterThan(0.008 / 11);
    await acc.close();
  }, 120000);
});
