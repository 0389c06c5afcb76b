/**
 * A twin accelerator over the ThomX lattice for the optics correction: BPMs on
 * every Monitor, the quadrupoles in two families QF (K > 0) and QD (K < 0),
 * driven in A through a linear conversion (0.01 m⁻² per A) with limits.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Accelerator, type ChannelWrite, ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin, type TwinControlSystem } from '@mlayer/adapters-sim';
import { SHARED } from './fixture.js';

export const THOMX_4D = join(SHARED, 'lattices/thomx/thomx_4d.atjson.json');
/** m⁻² per A. */
export const QUAD_GAIN = 0.01;

export interface QuadTwin {
  readonly acc: Accelerator;
  readonly twin: TwinControlSystem;
  readonly writes: ChannelWrite[];
  readonly quads: { readonly QF: number[]; readonly QD: number[] };
}

/** The ThomX quadrupoles, split by the sign of K. */
export function thomxQuads(): { QF: number[]; QD: number[] } {
  const lattice = JSON.parse(readFileSync(THOMX_4D, 'utf8')) as { elements: { Class?: string; PolynomB?: number[] }[] };
  const quads = { QF: [] as number[], QD: [] as number[] };
  lattice.elements.forEach((e, i) => {
    if (e.Class === 'Quadrupole') (e.PolynomB![1] > 0 ? quads.QF : quads.QD).push(i);
  });
  return quads;
}

/** The facility file (twin mode); `limit`: |current| limit in A of every quadrupole. */
export function quadFacilityFile(limit: number): string {
  const quads = thomxQuads();
  const devices = (idx: number[]) => idx.map((e, i) => ({ device: [1, i + 1], name: `E${e}`, element: e }));
  const family = (name: string) => ({
    elementClass: 'Quadrupole',
    memberOf: ['QUAD'],
    model: { field: 'PolynomB', index: 1 },
    fields: {
      setpoint: { channels: { twin: `${name}:{index}:SP` }, units: { hardware: 'A', physics: 'm^-2' }, conversion: 'q', limits: [-limit, limit] },
      readback: { channels: { twin: `${name}:{index}:RB` }, units: { hardware: 'A', physics: 'm^-2' }, conversion: 'q' },
    },
    devices: devices(quads[name as 'QF' | 'QD']),
  });
  const doc = {
    name: 'thomx-loco-test',
    energy: 50e6,
    lattice: { file: THOMX_4D },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 10 } } },
    unitConversions: { q: { type: 'linear', gain: QUAD_GAIN, hardwareUnits: 'A', physicsUnits: 'm^-2' } },
    families: { QF: family('QF'), QD: family('QD') },
  };
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-loco-'));
  const file = join(dir, 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** `limit`: |current| limit in A of every quadrupole. */
export async function quadTwin(limit: number): Promise<QuadTwin> {
  const quads = thomxQuads();
  const file = quadFacilityFile(limit);
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(file), controlSystems, conversions, allowWrites: true });
  const twin = acc.controlSystem as TwinControlSystem;
  const writes: ChannelWrite[] = [];
  const write = twin.write.bind(twin);
  twin.write = async (w, o) => {
    writes.push(...w);
    return write(w, o);
  };
  return { acc, twin, writes, quads };
}
