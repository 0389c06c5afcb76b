/**
 * The demo facility's twin (diamond-i04) with the error set: every
 * quadrupole family misaligned 50 µm rms, BPM offsets 100 µm rms, BPM noise.
 */
import { resolve } from 'node:path';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin, type TwinControlSystem } from '@mlayer/adapters-sim';
import type { BbaTwin } from './twin-fixture.js';

export const DIAMOND = resolve(__dirname, '../../../../facilities/diamond-i04/facility.yaml');

export async function diamondTwin(seed: number, noise: number): Promise<BbaTwin> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(DIAMOND), controlSystems, conversions, allowWrites: true });
  const twin = acc.controlSystem as TwinControlSystem;
  const quads = acc.familyNames().filter((n) => acc.family(n).memberOf.includes('QUAD'));
  const bpm = { offset: 100e-6, ...(noise > 0 ? { noise } : {}) };
  twin.applyErrors({ magnets: Object.fromEntries(quads.map((q) => [q, { dx: 50e-6, dy: 50e-6 }])), bpms: { BPMx: bpm, BPMy: bpm } }, seed);
  return { acc, twin };
}
