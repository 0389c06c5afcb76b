/**
 * The ThomX twin of fixture.ts with what threading needs (issue 22): an injection family
 * (INJ), turn-by-turn BPM buffers (BPMxTBT/BPMyTBT), a current monitor (DCCT), the
 * injection point at element 0 with the ring's own optics there, and a vacuum chamber;
 * or, with `openLine`, the ring cut open at element 0 as a transfer line whose initial
 * Twiss is the ring's periodic optics there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { type FixtureOptions, type TwinFixture, thomxFacilityFile, thomxRef, twinOf } from './fixture.js';

export interface ThreadingFixtureOptions extends FixtureOptions {
  /** Elliptical chamber half-sizes in m (default [0.004, 0.004]). */
  readonly chamber?: readonly [number, number];
  /** The ring cut open at element 0: a transfer line (no injection, BPMs read the line trajectory). */
  readonly openLine?: boolean;
  /** Turns of the turn-by-turn buffers and of the twin's injection tracking (default 8). */
  readonly turns?: number;
}

export function threadingFacilityFile(options: ThreadingFixtureOptions = {}): string {
  const file = thomxFacilityFile({ ...options, settings: { ...options.settings, injection: { particles: 16, turns: options.turns ?? 8, storeFraction: 0.5 }, ...(options.openLine ? {} : { beam: 'none' }) } });
  const doc = parse(readFileSync(file, 'utf8'));
  const o = thomxRef().optics_all_refpts;
  const twiss = { beta: o.beta[0], alpha: o.alpha[0], dispersion: o.dispersion[0] };
  const bpmDevices = doc.families.BPMx.devices;
  const tbt = (plane: 'x' | 'y') => ({
    elementClass: 'TurnByTurnBPM',
    plane,
    model: { field: 'Orbit', index: plane === 'x' ? 0 : 1 },
    fields: { monitor: { channels: { twin: `TBT:{sector}:{index}:${plane.toUpperCase()}` }, units: { hardware: 'm', physics: 'm' }, dataType: 'array', length: options.turns ?? 8 } },
    devices: bpmDevices,
  });
  doc.families.BPMxTBT = tbt('x');
  doc.families.BPMyTBT = tbt('y');
  doc.families.DCCT = { elementClass: 'DCCT', fields: { monitor: { channels: { twin: 'DCCT' }, units: { hardware: 'A', physics: 'A' } } }, devices: [{ device: [1, 1], name: 'DCCT' }] };
  if (options.openLine) doc.openLine = { twiss };
  else {
    doc.families.INJ = { elementClass: 'Injection', fields: { setpoint: { channels: { twin: 'INJ:SHOT' }, units: { hardware: '', physics: '' } } }, devices: [{ device: [1, 1], name: 'INJ' }] };
    doc.injection = { element: 0, family: 'INJ', twiss, emittance: [1e-8, 1e-9], energySpread: 5e-4, charge: 1e-9 };
  }
  doc.chamber = { default: { shape: 'elliptical', halfSizes: options.chamber ?? [0.004, 0.004] } };
  writeFileSync(file, stringify(doc));
  return file;
}

/** The threading twin accelerator (writes recorded, as thomxTwin). */
export async function threadingTwin(options: ThreadingFixtureOptions = {}): Promise<TwinFixture> {
  return twinOf(threadingFacilityFile(options));
}
