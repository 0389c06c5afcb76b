import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';
import { registerEpics } from '@mlayer/adapters-epics';
import { CM_GAIN, THOMX, bpmElements, corElements } from './serve-fixture.js';

/** Debian's python3-pyepics, with the system interpreter. */
export const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

/** Runs Python with pyepics against an IOC (its client environment); the last line printed is JSON. */
export async function pyepics(env: Readonly<Record<string, string>>, code: string, timeout = 60_000): Promise<unknown> {
  const { stdout } = await run(PYTHON, ['-c', `import json, time, epics\n${code}`], { env: { ...process.env, ...env, PYTHONPATH: '' }, timeout });
  return JSON.parse(stdout.trim().split('\n').pop() ?? 'null') as unknown;
}

const devices = (idx: number[]) => idx.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `E${e}`, element: e }));

/** Corrector and quadrupole limits of the facility (A, m^-2). */
export const CM_LIMITS: [number, number] = [-5, 5];

/**
 * A ThomX facility with a twin and an `epics` control system (PV names such as
 * `TX:HCM01-2:SETI`, `TX:BPM02-1:SA:X`), the twin using its own names: every
 * other BPM, every third corrector (set point with limits, readback with a
 * tolerance), the quadrupoles. The EPICS client timeout is 5 s. With `tunes`, also a tune
 * monitor family TUNE (devices QX and QY, PVs `TX:TUNE:X`, `TX:TUNE:Y`; twin channels
 * `TUNE:X`, `TUNE:Y`) and that tune noise (rms) in the twin's settings.
 */
export function epicsFacilityFile(dir = mkdtempSync(join(tmpdir(), 'mlayer-serve-epics-test-')), options: { tunes?: { noise: number } } = {}): string {
  const lattice = JSON.parse(readFileSync(join(THOMX, 'thomx_4d.atjson.json'), 'utf8')) as { elements: { Class?: string }[] };
  const quads = lattice.elements.flatMap((e, i) => (e.Class === 'Quadrupole' ? [i] : []));
  const cm = (plane: 'H' | 'V', index: 0 | 1) => ({
    elementClass: 'Corrector',
    memberOf: ['COR', `${plane}CM`],
    plane: plane === 'H' ? 'x' : 'y',
    model: { field: 'KickAngle', index },
    fields: {
      setpoint: { channels: { twin: `${plane}CM:{sector}:{index}:SP`, epics: `TX:${plane}CM{sector:02}-{index}:SETI` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits: CM_LIMITS, precision: 4 },
      readback: { channels: { twin: `${plane}CM:{sector}:{index}:RB`, epics: `TX:${plane}CM{sector:02}-{index}:I` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', tolerance: 1e-9, precision: 4 },
    },
    devices: devices(corElements()),
  });
  const bpm = (plane: 'x' | 'y') => ({
    elementClass: 'BPM',
    memberOf: ['BPM'],
    plane,
    fields: { monitor: { channels: { twin: `BPM:{sector}:{index}:${plane.toUpperCase()}`, epics: `TX:BPM{sector:02}-{index}:SA:${plane.toUpperCase()}` }, units: { hardware: 'm', physics: 'm' } } },
    devices: devices(bpmElements()),
  });
  const tune = {
    elementClass: 'Tune',
    memberOf: ['TUNE'],
    fields: { monitor: { units: { hardware: '', physics: '' }, precision: 6 } },
    devices: (['x', 'y'] as const).map((plane, i) => ({ device: [i + 1, 1], name: `Q${plane.toUpperCase()}`, plane, channels: { monitor: { twin: `TUNE:${plane.toUpperCase()}`, epics: `TX:TUNE:${plane.toUpperCase()}` } } })),
  };
  const doc = {
    name: 'thomx-epics',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: {
      twin: { type: 'twin', settings: { updateRate: 20, ...(options.tunes ? { tuneNoise: options.tunes.noise } : {}) } },
      epics: { type: 'epics', description: 'the machine', settings: { addressList: ['10.255.255.255'], timeout: 5000 } },
    },
    unitConversions: { cm: { type: 'linear', gain: CM_GAIN, hardwareUnits: 'A', physicsUnits: 'rad' } },
    families: {
      BPMx: bpm('x'),
      BPMy: bpm('y'),
      HCM: cm('H', 0),
      VCM: cm('V', 1),
      QUAD: {
        elementClass: 'Quadrupole',
        memberOf: ['QUAD'],
        model: { field: 'PolynomB', index: 1 },
        fields: { setpoint: { channels: { twin: 'Q:{sector}:{index}:SP', epics: 'TX:Q{sector:02}-{index}:SETK' }, units: { hardware: 'm^-2', physics: 'm^-2' }, limits: [-30, 30] } },
        devices: devices(quads),
      },
      ...(options.tunes ? { TUNE: tune } : {}),
    },
  };
  const file = join(dir, 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** An accelerator on a facility file in one mode (twin or epics), writes allowed. */
export async function openEpicsMode(file: string, mode: string): Promise<Accelerator> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  registerEpics(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  return createAccelerator({ facility: loadFacility(file), mode, controlSystems, conversions, allowWrites: true });
}

/** Polls `check` every 50 ms until it returns true (then resolves) or the time is up (then throws `what()`). */
export async function eventually(check: () => Promise<boolean>, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
