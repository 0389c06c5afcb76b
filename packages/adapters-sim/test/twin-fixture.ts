import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { sharedDataDir } from '@mlayer/core/testing';
import { registerTwin, type TwinControlSystem, type TwinSettingsInput } from '../src/index.js';

export const SHARED = sharedDataDir();
export const THOMX = join(SHARED, 'lattices/thomx');
export const thomxRef = () => JSON.parse(readFileSync(join(THOMX, 'thomx_ref.json'), 'utf8'));
export const thomxOrm = () => JSON.parse(readFileSync(join(THOMX, 'thomx_orm.json'), 'utf8'));

/** Corrector gain of the test facility: 0.1 mrad per A. */
export const CM_GAIN = 1e-4;

/**
 * A facility over the ThomX lattice: BPMx/BPMy on every Monitor, HCM/VCM on every
 * Corrector (KickAngle through a linear A -> rad conversion), RF frequency.
 */
export function thomxFacilityFile(settings: TwinSettingsInput = {}): string {
  const ref = thomxRef();
  const bpms: number[] = ref.optics_at_bpms.index;
  const cors: number[] = ref.correctors.index;
  const lattice = JSON.parse(readFileSync(join(THOMX, 'thomx_4d.atjson.json'), 'utf8'));
  const rfIndex = lattice.elements.findIndex((e: { Class?: string }) => e.Class === 'RFCavity');
  const quads: number[] = lattice.elements.flatMap((e: { Class?: string }, i: number) => (e.Class === 'Quadrupole' ? [i] : []));
  const devices = (idx: number[]) => idx.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `E${e}`, element: e }));
  const doc = {
    name: 'thomx-test',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 50, ...settings } } },
    unitConversions: { cm: { type: 'linear', gain: CM_GAIN, hardwareUnits: 'A', physicsUnits: 'rad' } },
    families: {
      BPMx: { elementClass: 'BPM', plane: 'x', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:X' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpms) },
      BPMy: { elementClass: 'BPM', plane: 'y', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:Y' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpms) },
      HCM: {
        elementClass: 'Corrector',
        memberOf: ['COR', 'HCM'],
        plane: 'x',
        model: { field: 'KickAngle', index: 0 },
        fields: {
          setpoint: { channels: { twin: 'HCM:{sector}:{index}:SP' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits: [-5, 5] },
          readback: { channels: { twin: 'HCM:{sector}:{index}:RB' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm' },
        },
        devices: devices(cors),
      },
      VCM: {
        elementClass: 'Corrector',
        memberOf: ['COR', 'VCM'],
        plane: 'y',
        model: { field: 'KickAngle', index: 1 },
        fields: {
          setpoint: { channels: { twin: 'VCM:{sector}:{index}:SP' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits: [-5, 5] },
          readback: { channels: { twin: 'VCM:{sector}:{index}:RB' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm' },
        },
        devices: devices(cors),
      },
      QUAD: {
        elementClass: 'Quadrupole',
        memberOf: ['QUAD'],
        model: { field: 'PolynomB', index: 1 },
        fields: { setpoint: { channels: { twin: 'Q:{sector}:{index}:SP' }, units: { hardware: 'm^-2', physics: 'm^-2' } } },
        devices: devices(quads),
      },
      RF: {
        elementClass: 'RF',
        model: { field: 'Frequency' },
        fields: { setpoint: { channels: { twin: 'RF:FREQ:SP' }, units: { hardware: 'Hz', physics: 'Hz' } }, readback: { channels: { twin: 'RF:FREQ:RB' }, units: { hardware: 'Hz', physics: 'Hz' } } },
        devices: [{ device: [1, 1], name: 'RF', element: rfIndex }],
      },
      TUNE: { elementClass: 'Tune', plane: 'x', fields: { monitor: { channels: { twin: 'TUNE:X' }, units: { hardware: '', physics: '' } } }, devices: [{ device: [1, 1], name: 'QX' }] },
      DCCT: { elementClass: 'DCCT', fields: { monitor: { channels: { twin: 'DCCT' }, units: { hardware: 'A', physics: 'A' } } }, devices: [{ device: [1, 1], name: 'DCCT' }] },
    },
  };
  return writeFacilityFile(doc);
}

export function thomxTwin(settings: TwinSettingsInput = {}): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  return twinAccelerator(thomxFacilityFile(settings));
}

/** Writes a facility document to `facility.yaml` in a new temporary folder; returns its path. */
export function writeFacilityFile(doc: unknown, prefix = 'mlayer-twin-'): string {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** An accelerator on the twin (calibration's conversions) for a facility file, in its default mode. */
export async function twinAccelerator(file: string): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(file, { conversions }), controlSystems, conversions });
  return { acc, twin: acc.controlSystem as TwinControlSystem };
}
