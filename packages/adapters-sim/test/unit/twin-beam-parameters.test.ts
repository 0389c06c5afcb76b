import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlSystemRegistry, MlayerError, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { loadLattice } from '@mlayer/engine/io';
import { createLatticeModel } from '@mlayer/engine/model';
import { registerTwin, type TwinControlSystem } from '../../src/index.js';
import { THOMX } from '../twin-fixture.js';

const DEMO = fileURLToPath(new URL('../../../../facilities/diamond-i04/facility.yaml', import.meta.url));
const DEMO_LATTICE = fileURLToPath(new URL('../../../../facilities/diamond-i04/I04_source.mat', import.meta.url));

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function twinOf(file: string): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(file, { conversions }), mode: 'twin', controlSystems, conversions });
  open.push(acc);
  return { acc, twin: acc.controlSystem as TwinControlSystem };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('twin beam-parameter families: the 6D equilibrium of the machine model through the control system', () => {
  it('diamond-i04: EMITx/EMITy (pinhole camera, nm / pm) equal the engine; a powered skew quadrupole raises εy, εx + εy stays', async () => {
    const { acc, twin } = await twinOf(DEMO);
    const design = createLatticeModel(loadLattice(DEMO_LATTICE));
    const ref = design.ringEquilibrium();
    const emitx = acc.family('EMITx');
    const emity = acc.family('EMITy');

    const [ex0] = await emitx.get({ units: 'physics' });
    const [ey0] = await emity.get({ units: 'physics' });
    expect(rel(ex0, ref.emittances[0])).toBeLessThan(1e-12);
    expect(ey0).toBe(ref.emittances[1]); // ~1e-71 m: no coupling in the design lattice
    // Hardware units as pytac gives them: nm (poly_2) and pm (poly_3).
    expect((await emitx.get())[0]).toBeCloseTo(ex0 * 1e9, 9);
    expect(ex0).toBeGreaterThan(2.6e-9);
    expect(ex0).toBeLessThan(2.8e-9);
    // One computation for both families and every read until the model changes.
    expect(twin.equilibrium.computations).toBe(1);

    // One skew quadrupole at 2 A (hardware units through its pytac curve).
    const squad = acc.family('SQUAD');
    const one = squad.devices([squad.deviceList[0]]);
    await one.set(2, { wait: true });
    const [k] = await one.get({ field: 'setpoint', units: 'physics' });
    expect(Math.abs(k)).toBeGreaterThan(1e-3);
    const [ex1] = await emitx.get({ units: 'physics' });
    const [ey1] = await emity.get({ units: 'physics' });
    expect(twin.equilibrium.computations).toBe(2);

    // The engine on the same skewed model (its own copy of the lattice, the skew quad's PolynomA[1] = k).
    const skewed = design.clone();
    const element = squad.latticeElements(design)[0];
    skewed.setParameter({ element, field: 'PolynomA', index: 1 }, k);
    const refSkew = skewed.ringEquilibrium();
    expect(rel(ex1, refSkew.emittances[0])).toBeLessThan(1e-9);
    expect(rel(ey1, refSkew.emittances[1])).toBeLessThan(1e-9);
    // Coupling moves emittance from x to y: εy rises by orders of magnitude, the sum stays within 1 % (+0.48 % at 2 A: 2.7047 -> 2.6822 nm + 35.4 pm).
    expect(ey1).toBeGreaterThan(1e-12);
    expect(ex1).toBeLessThan(ex0);
    expect(rel(ex1 + ey1, ex0)).toBeLessThan(0.01);
    // Read in pm through the control system as the camera would give it.
    expect((await emity.get())[0]).toBeCloseTo(ey1 * 1e12, 6);
  });

  it('a lattice without a working RF cavity: reading a beam-parameter family names the family, the channel and the reason', async () => {
    const doc = {
      name: 'thomx-beam',
      energy: 50e6,
      lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
      controlSystems: { twin: { type: 'twin' } },
      families: {
        EMIT: { elementClass: 'Emittance', plane: 'y', fields: { monitor: { channels: { twin: 'EMIT:Y' }, units: { hardware: 'm', physics: 'm' } } }, devices: [{ device: [1, 1], name: 'CAM' }] },
        SIGMAS: { elementClass: 'BunchLength', fields: { monitor: { channels: { twin: 'BUNCH:LENGTH' }, units: { hardware: 'm', physics: 'm' } } }, devices: [{ device: [1, 1], name: 'STREAK' }] },
        QS: { elementClass: 'Diagnostic', model: { field: 'SynchrotronTune' }, fields: { monitor: { channels: { twin: 'QS' }, units: { hardware: '', physics: '' } } }, devices: [{ device: [1, 1], name: 'QS' }] },
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-beam-'));
    writeFileSync(join(dir, 'facility.yaml'), stringify(doc));
    const { acc, twin } = await twinOf(join(dir, 'facility.yaml'));
    // With its cavity (300 kV) the ThomX ring has an equilibrium: the families read the engine's values.
    const ref = twin.designModel.ringEquilibrium();
    expect(await acc.controlSystem.read(['EMIT:Y', 'BUNCH:LENGTH', 'QS'])).toMatchObject([{ value: ref.emittances[1] }, { value: ref.bunchLength }, { value: ref.Qs }]);
    // The cavity switched off (Voltage 0): no 6D equilibrium.
    twin.setModelParameter({ element: twin.designModel.find('class:RFCavity')[0], field: 'Voltage' }, 0);
    const failure = acc.family('EMIT').get();
    await expect(failure).rejects.toBeInstanceOf(MlayerError);
    await expect(acc.family('EMIT').get()).rejects.toThrow(/twin: EMIT \(EMIT:Y\) is computed from the 6D equilibrium .*no RF cavity/);
    await expect(acc.controlSystem.read(['BUNCH:LENGTH'])).rejects.toThrow(/SIGMAS \(BUNCH:LENGTH\).*no RF cavity/);
  });
});
