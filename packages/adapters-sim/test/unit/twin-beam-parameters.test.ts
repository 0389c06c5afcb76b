import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MlayerError, loadFacility, type Accelerator } from '@mlayer/core';
import { loadLattice } from '@mlayer/engine/io';
import { createLatticeModel } from '@mlayer/engine/model';
import type { TwinControlSystem } from '../../src/index.js';
import { SHARED, THOMX, twinAccelerator, writeFacilityFile } from '../twin-fixture.js';

const DEMO = fileURLToPath(new URL('../../../../facilities/diamond-i04/facility.yaml', import.meta.url));
const DEMO_LATTICE = fileURLToPath(new URL('../../../../facilities/diamond-i04/I04_source.mat', import.meta.url));

const open: Accelerator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function twinOf(file: string): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  const t = await twinAccelerator(file);
  open.push(t.acc);
  return t;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
/** pyAT's 6D equilibrium of the demo lattice (ohmi_envelope, ring parameters). */
const pyat = () => JSON.parse(readFileSync(join(SHARED, 'facilities/diamond-i04/diamond_i04_6d_ref.json'), 'utf8')).summary_6d;

describe('twin beam-parameter families: the 6D equilibrium of the machine model through the control system', () => {
  it('diamond-i04: EMITx/EMITy (pinhole camera, nm / pm) and the hand-written beam families equal the engine and pyAT; a powered skew quadrupole raises εy, εx + εy stays', async () => {
    const { acc, twin } = await twinOf(DEMO);
    // With the facility's vacuum chamber, as the twin's model has it (its aperture frames round differently at 1e-12).
    const design = createLatticeModel(loadLattice(DEMO_LATTICE), { chamber: loadFacility(DEMO).config.chamber });
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
    // The hand-written families (beam-families.yaml), and pyAT's values (shared README tolerances).
    const ref6 = pyat();
    const [sd] = await acc.family('ENERGYSPREAD').get();
    const [bl] = await acc.family('BUNCHLENGTH').get();
    const [qs] = await acc.family('SYNCTUNE').get();
    const [u0] = await acc.family('ELOSS').get();
    expect([sd, bl, qs, u0]).toEqual([ref.energySpread, ref.bunchLength, ref.Qs, ref.U0]);
    expect(rel(ex0, ref6.emittances_m[0])).toBeLessThan(1e-5);
    expect(rel(sd, ref6.energy_spread)).toBeLessThan(1e-5);
    expect(rel(bl, ref6.bunch_length_m)).toBeLessThan(1e-5);
    expect(rel(qs, ref6.Qs)).toBeLessThan(1e-6);
    expect(rel(u0, ref6.U0_eV)).toBeLessThan(1e-6);
    // One computation for all these families and every read until the model changes.
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

  it('a lattice without a working RF cavity: reading names the family, the channel and the reason; monitors keep the last value for their period', async () => {
    const doc = {
      name: 'thomx-beam',
      energy: 50e6,
      lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
      controlSystems: { twin: { type: 'twin' } },
      families: {
        EMIT: { elementClass: 'Emittance', plane: 'y', fields: { monitor: { channels: { twin: 'EMIT:Y' }, units: { hardware: 'm', physics: 'm' }, updatePeriod: 60 } }, devices: [{ device: [1, 1], name: 'CAM' }] },
        SIGMAS: { elementClass: 'BunchLength', fields: { monitor: { channels: { twin: 'BUNCH:LENGTH' }, units: { hardware: 'm', physics: 'm' } } }, devices: [{ device: [1, 1], name: 'STREAK' }] },
        QS: { elementClass: 'Diagnostic', model: { field: 'SynchrotronTune' }, fields: { monitor: { channels: { twin: 'QS' }, units: { hardware: '', physics: '' } } }, devices: [{ device: [1, 1], name: 'QS' }] },
      },
    };
    const { acc, twin } = await twinOf(writeFacilityFile(doc, 'mlayer-beam-'));
    // With its cavity (300 kV) the ThomX ring has an equilibrium: the families read the engine's values.
    const ref = twin.designModel.ringEquilibrium();
    expect(await acc.controlSystem.read(['EMIT:Y', 'BUNCH:LENGTH', 'QS'])).toMatchObject([{ value: ref.emittances[1] }, { value: ref.bunchLength }, { value: ref.Qs }]);
    expect(twin.equilibrium.computations).toBe(1);
    const emitted: number[] = [];
    const sub = acc.controlSystem.monitor('EMIT:Y').subscribe((s) => emitted.push(s.value as number));
    // The cavity switched off (Voltage 0): no 6D equilibrium. The monitor emits the last value (within its 60 s period), computes nothing.
    twin.setModelParameter({ element: twin.designModel.find('class:RFCavity')[0], field: 'Voltage' }, 0);
    expect(emitted).toEqual([ref.emittances[1], ref.emittances[1]]);
    expect(twin.equilibrium.computations).toBe(1);
    sub.unsubscribe();
    const failure = acc.family('EMIT').get();
    await expect(failure).rejects.toBeInstanceOf(MlayerError);
    await expect(acc.family('EMIT').get()).rejects.toThrow(/twin: EMIT \(EMIT:Y\) is computed from the 6D equilibrium .*no RF cavity/);
    await expect(acc.controlSystem.read(['BUNCH:LENGTH'])).rejects.toThrow(/SIGMAS \(BUNCH:LENGTH\).*no RF cavity/);
    expect(twin.equilibrium.computations).toBe(2);
  });
});
