import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';
import { registerTango } from '@mlayer/adapters-tango';

export const SHARED = process.env.MLAYER_SHARED ?? join(__dirname, '../../../../shared');
export const THOMX = join(SHARED, 'lattices/thomx');
export const thomxRef = (): { optics_at_bpms: { index: number[] }; correctors: { index: number[] } } => JSON.parse(readFileSync(join(THOMX, 'thomx_ref.json'), 'utf8'));
export const thomxOrm = (): { Rxx: number[][]; Ryy: number[][]; bpm_index: number[]; corrector_index: number[] } => JSON.parse(readFileSync(join(THOMX, 'thomx_orm.json'), 'utf8'));

/** Corrector gain: 0.1 mrad per A. */
export const CM_GAIN = 1e-4;
/** Every other BPM and every third corrector of ThomX (a light but real orbit system). */
export const bpmElements = (): number[] => thomxRef().optics_at_bpms.index.filter((_e, i) => i % 2 === 0);
export const corElements = (): number[] => thomxRef().correctors.index.filter((_e, i) => i % 3 === 0);

const devices = (idx: number[], prefix = 'E') => idx.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `${prefix}${e}`, element: e }));

/**
 * A ThomX facility with only a twin control system: BPMx/BPMy, HCM/VCM (set point,
 * readback with a tolerance), QUAD (set points). mlayer serve derives its TANGO names.
 */
export function servedFacilityFile(dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-test-'))): string {
  const lattice = JSON.parse(readFileSync(join(THOMX, 'thomx_4d.atjson.json'), 'utf8')) as { elements: { Class?: string }[] };
  const quads = lattice.elements.flatMap((e, i) => (e.Class === 'Quadrupole' ? [i] : []));
  const cm = (plane: 'H' | 'V', index: 0 | 1) => ({
    elementClass: 'Corrector',
    memberOf: ['COR', `${plane}CM`],
    plane: plane === 'H' ? 'x' : 'y',
    model: { field: 'KickAngle', index },
    fields: {
      setpoint: { channels: { twin: `${plane}CM:{sector}:{index}:SP` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits: [-5, 5] },
      readback: { channels: { twin: `${plane}CM:{sector}:{index}:RB` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', tolerance: 1e-9 },
    },
    devices: devices(corElements()),
  });
  const doc = {
    name: 'thomx-served',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 20 } } },
    unitConversions: { cm: { type: 'linear', gain: CM_GAIN, hardwareUnits: 'A', physicsUnits: 'rad' } },
    families: {
      BPMx: { elementClass: 'BPM', memberOf: ['BPM'], plane: 'x', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:X' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpmElements()) },
      BPMy: { elementClass: 'BPM', memberOf: ['BPM'], plane: 'y', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:Y' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpmElements()) },
      HCM: cm('H', 0),
      VCM: cm('V', 1),
      QUAD: { elementClass: 'Quadrupole', memberOf: ['QUAD'], model: { field: 'PolynomB', index: 1 }, fields: { setpoint: { channels: { twin: 'Q:{sector}:{index}:SP' }, units: { hardware: 'm^-2', physics: 'm^-2' } } }, devices: devices(quads) },
    },
  };
  const file = join(dir, 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/**
 * A two-BPM, two-corrector ThomX facility that declares its TANGO names
 * (`test/cbpm/<sector>-<index>/X`, `test/chcm/<sector>-<index>/Current`).
 */
export function declaredTangoFacilityFile(dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-test-'))): string {
  const bpm = bpmElements().slice(0, 2);
  const cor = corElements().slice(0, 2);
  const doc = {
    name: 'thomx-declared',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 20 } }, machine: { type: 'tango', settings: { tangoHost: 'tango.example.org:10000' } } },
    unitConversions: { cm: { type: 'linear', gain: CM_GAIN, hardwareUnits: 'A', physicsUnits: 'rad' } },
    families: {
      CBPMx: { elementClass: 'BPM', plane: 'x', fields: { monitor: { channels: { twin: 'C:BPM:{sector}:{index}:X', machine: 'test/cbpm/{sector}-{index}/X' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpm) },
      CHCM: {
        elementClass: 'Corrector',
        plane: 'x',
        model: { field: 'KickAngle', index: 0 },
        fields: {
          setpoint: { channels: { twin: 'C:HCM:{sector}:{index}:SP', machine: 'test/chcm/{sector}-{index}/Current' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits: [-2, 2] },
          readback: { channels: { twin: 'C:HCM:{sector}:{index}:RB', machine: 'test/chcm/{sector}-{index}/CurrentRB' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm' },
        },
        devices: devices(cor),
      },
    },
  };
  const file = join(dir, 'declared.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** The error set of the tests: quadrupole misalignments, BPM offsets, gains and noise. */
export function errorFile(dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-test-'))): string {
  const file = join(dir, 'errors.yaml');
  writeFileSync(
    file,
    stringify({
      magnets: { QUAD: { dx: { sigma: 20e-6, truncation: 2 }, dy: { sigma: 20e-6, truncation: 2 } } },
      bpms: { BPMx: { offset: { sigma: 30e-6, truncation: 2 }, gain: 0.01, noise: BPM_NOISE }, BPMy: { offset: { sigma: 30e-6, truncation: 2 }, gain: 0.01, noise: BPM_NOISE } },
    }),
  );
  return file;
}
/** BPM reading noise of the error set, m rms. */
export const BPM_NOISE = 2e-7;

/** An accelerator on a facility file in one mode (twin or tango), writes allowed. */
export async function openMode(file: string, mode: string): Promise<Accelerator> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  registerTango(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  return createAccelerator({ facility: loadFacility(file), mode, controlSystems, conversions, allowWrites: true });
}
