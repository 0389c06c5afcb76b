import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteRejectedError, rigidity } from '@mlayer/core';
import { THOMX, twinAccelerator, writeFacilityFile } from '../twin-fixture.js';

/** One ThomX quadrupole (QP2, index 8, L = 0.15 m) on a hysteretic supply: up and down branches of the integrated gradient. */
const UP = { type: 'table', hardware: [0, 10, 20], physics: [0, 0.19, 0.36], hardwareUnits: 'A', physicsUnits: 'T' };
const DOWN = { type: 'table', hardware: [0, 10, 20], physics: [0, 0.195, 0.36], hardwareUnits: 'A', physicsUnits: 'T' };

async function hysteresisTwin() {
  const doc = {
    name: 'thomx-hysteresis',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: { twin: { type: 'twin' } },
    unitConversions: {
      qp2: {
        type: 'rigidity',
        order: 1,
        field: 'integrated',
        strength: 'K',
        length: 0.15,
        curve: { type: 'hysteresis', up: UP, down: DOWN, standardisation: { min: 0, max: 20, cycles: 2, endAt: 'min', dwell: 0 }, threshold: 5, hardwareUnits: 'A', physicsUnits: 'T' },
      },
    },
    families: {
      QH: {
        elementClass: 'Quadrupole',
        model: { field: 'PolynomB', index: 1 },
        fields: { setpoint: { channels: { twin: 'QH:SP' }, units: { hardware: 'A', physics: 'm^-2' }, conversion: 'qp2', limits: [0, 20] } },
        devices: [{ device: [1, 1], name: 'QP2', element: 8 }],
      },
    },
  };
  return twinAccelerator(writeFacilityFile(doc, 'mlayer-hyst-'));
}

describe('hysteresis: the twin uses the same magnet model as the conversions', () => {
  it('gives the up- or down-branch strength for the same current, on the twin and in the tool', async () => {
    const { acc, twin } = await hysteresisTwin();
    const qh = acc.family('QH');
    const brhoL = rigidity({ energy: 50e6, particle: 'electron' }) * 0.15;
    const k = () => twin.machineModel.getParameter({ element: 8, field: 'PolynomB', index: 1 });
    // Not standardised: a large change is refused before anything is written.
    await expect(qh.set(20)).rejects.toBeInstanceOf(WriteRejectedError);
    await expect(qh.set(20)).rejects.toThrow(/not standardised.*standardise it first/);
    expect(await qh.standardise()).toBe(1);
    // From below (the cycle ended at min): up branch.
    await qh.set(10, { wait: true });
    const kUp = k();
    expect(kUp).toBeCloseTo(0.19 / brhoL, 10);
    expect((await qh.get({ field: 'setpoint', units: 'physics' }))[0]).toBeCloseTo(kUp, 10);
    const tunesUp = twin.machineModel.tunes();
    // Through the maximum and back down to the same current: down branch.
    await qh.set(20, { wait: true });
    await qh.set(10, { wait: true });
    const kDown = k();
    expect(kDown).toBeCloseTo(0.195 / brhoL, 10);
    expect((await qh.get({ field: 'setpoint', units: 'physics' }))[0]).toBeCloseTo(kDown, 10);
    expect(kDown / kUp).toBeCloseTo(0.195 / 0.19, 10);
    // The machine sees it: the tunes differ between the two states at the same current.
    const tunesDown = twin.machineModel.tunes();
    expect(Math.abs(tunesDown.qx - tunesUp.qx)).toBeGreaterThan(1e-3);
    await acc.close();
  });
});
