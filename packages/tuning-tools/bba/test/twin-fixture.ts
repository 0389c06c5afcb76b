/**
 * The BBA test facility: a twin over the ThomX ring (24 BPMs, 24 quadrupoles each
 * on its own supply, 24 correctors per plane; the demo facility's twin is too slow
 * for the many orbits a full BBA reads in a test) with the error set:
 * quadrupole misalignments 50 µm rms, BPM offsets 100 µm rms, BPM noise per reading.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Accelerator, ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { sharedDataDir } from '@mlayer/core/testing';
import { bbaTruth, registerTwin, type TwinControlSystem } from '@mlayer/adapters-sim';
import type { BbaPair } from '@mlayer/bba';
import { lstsq } from '@mlayer/tuning-common';

const THOMX = join(sharedDataDir(), 'lattices/thomx');
/** Corrector gain: 0.1 mrad per A. */
export const CM_GAIN = 1e-4;

/** `twin`: extra settings of the twin (an error file, its seed). */
export function bbaFacilityFile(twin: Record<string, unknown> = {}): string {
  const ref = JSON.parse(readFileSync(join(THOMX, 'thomx_ref.json'), 'utf8'));
  const bpms: number[] = ref.optics_at_bpms.index;
  const cors: number[] = ref.correctors.index;
  const lattice = JSON.parse(readFileSync(join(THOMX, 'thomx_4d.atjson.json'), 'utf8'));
  const quads: number[] = lattice.elements.flatMap((e: { Class?: string }, i: number) => (e.Class === 'Quadrupole' ? [i] : []));
  const devices = (idx: number[]) => idx.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `E${e}`, element: e }));
  const cm = (plane: 'x' | 'y', name: string, index: number) => ({
    elementClass: 'Corrector',
    memberOf: ['COR', name],
    plane,
    model: { field: 'KickAngle', index },
    fields: {
      setpoint: { channels: { twin: `${name}:{sector}:{index}:SP` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits: [-20, 20] },
      readback: { channels: { twin: `${name}:{sector}:{index}:RB` }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm' },
    },
    devices: devices(cors),
  });
  const bpm = (plane: 'x' | 'y') => ({
    elementClass: 'BPM',
    plane,
    fields: { monitor: { channels: { twin: `BPM:{sector}:{index}:${plane.toUpperCase()}` }, units: { hardware: 'm', physics: 'm' } } },
    devices: devices(bpms),
  });
  const doc = {
    name: 'thomx-bba-test',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 10, ...twin } } },
    unitConversions: { cm: { type: 'linear', gain: CM_GAIN, hardwareUnits: 'A', physicsUnits: 'rad' } },
    families: {
      BPMx: bpm('x'),
      BPMy: bpm('y'),
      HCM: cm('x', 'HCM', 0),
      VCM: cm('y', 'VCM', 1),
      QUAD: {
        elementClass: 'Quadrupole',
        memberOf: ['QUAD'],
        model: { field: 'PolynomB', index: 1 },
        fields: { setpoint: { channels: { twin: 'Q:{sector}:{index}:SP' }, units: { hardware: 'm^-2', physics: 'm^-2' } } },
        devices: devices(quads),
      },
    },
  };
  const file = join(mkdtempSync(join(tmpdir(), 'mlayer-bba-')), 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

export interface BbaTwin {
  readonly acc: Accelerator;
  readonly twin: TwinControlSystem;
}

/** The error set; `noise` in m rms per reading. */
export function errorSpec(noise: number) {
  return {
    magnets: { QUAD: { dx: 50e-6, dy: 50e-6 } },
    bpms: { BPMx: { offset: 100e-6, ...(noise > 0 ? { noise } : {}) }, BPMy: { offset: 100e-6, ...(noise > 0 ? { noise } : {}) } },
  };
}

export async function bbaTwin(seed: number, noise: number): Promise<BbaTwin> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(bbaFacilityFile()), controlSystems, conversions, allowWrites: true });
  const twin = acc.controlSystem as TwinControlSystem;
  twin.applyErrors(errorSpec(noise), seed);
  return { acc, twin };
}

/** The twin's truth for a pair: the BPM reading (m) with the beam through the quadrupole's centre, moved by the pair's corrector. */
export function truthOf(t: BbaTwin, p: BbaPair): number {
  const bpmIndex = t.acc.facility.config.families[p.bpm.family].devices.findIndex((d) => d.name === p.bpm.name);
  const corrector = t.acc.family(p.corrector.family).devices([p.corrector.device]).modelParameters(t.twin.machineModel)[0].ref;
  return bbaTruth(t.twin, { bpmFamily: p.bpm.family, bpmIndex, bpmElement: p.bpm.element, plane: p.plane, quadElement: p.quad.element, corrector });
}

/** Every setpoint of the families, hardware. */
export async function setpoints(acc: Accelerator, families: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const f of families) out.push(...(await acc.family(f).get({ field: 'setpoint' })));
  return out;
}

/**
 * Steers the twin's orbit to zero BPM readings (or to `target`: family -> BPM name -> reading, m) (model ORM of the design, least
 * squares, a few iterations), as a machine is corrected before BBA. Returns the rms reading (m) per plane after.
 */
export async function correctOrbit(t: BbaTwin, iterations = 3, target?: ReadonlyMap<string, ReadonlyMap<string, number>>, rcond = 1e-2): Promise<{ x: number; y: number }> {
  const model = t.acc.model!;
  const out = { x: 0, y: 0 };
  for (const [plane, bpmName, corName] of [['x', 'BPMx', 'HCM'], ['y', 'BPMy', 'VCM']] as const) {
    const bpm = t.acc.family(bpmName);
    const cor = t.acc.family(corName);
    const r = model.orbitResponse(bpm.latticeElements(model), cor.latticeElements(model));
    const block = plane === 'x' ? r.Rxx : r.Ryy;
    for (let it = 0; it < iterations; it++) {
      const goal = bpm.names.map((n) => target?.get(bpmName)?.get(n) ?? 0);
      const reading = (await bpm.get({ units: 'physics' })).map((v, i) => v - goal[i]);
      const dk = lstsq(block, reading.map((v) => -v), rcond);
      const now = await cor.get({ units: 'physics', field: 'setpoint' });
      await cor.set(now.map((v, i) => v + dk[i]), { units: 'physics' });
    }
    const goal = bpm.names.map((n) => target?.get(bpmName)?.get(n) ?? 0);
    const reading = (await bpm.get({ units: 'physics' })).map((v, i) => v - goal[i]);
    out[plane] = Math.sqrt(reading.reduce((s, v) => s + v * v, 0) / reading.length);
  }
  return out;
}
