/**
 * Test facilities on the twin over the shared lattices: quadrupole and sextupole
 * families split by FamName, RF, a tune monitor with an x and a y device, and
 * optionally turn-by-turn BPM families with a kicker per plane. Also the demo
 * facility diamond-i04.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, parseFacility, type Accelerator, type LoadedFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { sharedDataDir } from '@mlayer/core/testing';
import { registerTwin, type TwinControlSystem, type TwinSettingsInput } from '@mlayer/adapters-sim';

export const SHARED = sharedDataDir();
export const REPO = join(__dirname, '../../../..');

export interface TwinFacilitySpec {
  /** Lattice folder name under shared/lattices (thomx, dba, ...). */
  readonly lattice: string;
  readonly energy: number;
  /** Element class of the BPM elements (Monitor; dba has none: its quadrupoles). */
  readonly bpmClass?: string;
  readonly tuneMonitor?: boolean;
  /** Turn-by-turn BPM families of this many turns, and kickers at element 0. */
  readonly turnByTurn?: number;
  /** Setpoint limits as a fraction of the design strength either side (default 0.5). */
  readonly limits?: number;
  readonly settings?: TwinSettingsInput;
}

interface AtElementJson {
  FamName: string;
  Class?: string;
  PolynomB?: number[];
}

export function twinFacilityFile(spec: TwinFacilitySpec): string {
  const latticeFile = join(SHARED, 'lattices', spec.lattice, `${spec.lattice}_4d.atjson.json`);
  const lattice = JSON.parse(readFileSync(latticeFile, 'utf8')) as { elements: AtElementJson[] };
  const els = lattice.elements;
  const indices = (pred: (e: AtElementJson) => boolean) => els.flatMap((e, i) => (pred(e) ? [i] : []));
  const devices = (idx: number[]) => idx.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `E${e}`, element: e }));
  const rel = spec.limits ?? 0.5;
  const families: Record<string, unknown> = {};
  for (const [cls, order, prefix, unit] of [['Quadrupole', 1, 'Q', 'm^-2'], ['Sextupole', 2, 'S', 'm^-3']] as const) {
    const names = [...new Set(els.filter((e) => e.Class === cls).map((e) => e.FamName))];
    for (const fam of names) {
      const idx = indices((e) => e.Class === cls && e.FamName === fam);
      const k = els[idx[0]].PolynomB?.[order] ?? 0;
      const lim = [k - rel * Math.abs(k), k + rel * Math.abs(k)];
      families[`${prefix}_${fam}`] = {
        elementClass: cls,
        memberOf: [cls === 'Quadrupole' ? 'QUAD' : 'SEXT'],
        model: { field: 'PolynomB', index: order },
        // Hardware in A through a unit-gain conversion (the data module's unit table has no m^-3).
        fields: { setpoint: { channels: { twin: `${fam}:{sector}:{index}:SP` }, units: { hardware: 'A', physics: unit }, conversion: cls === 'Quadrupole' ? 'q' : 's', limits: lim } },
        devices: devices(idx),
      };
    }
  }
  const rf = indices((e) => e.Class === 'RFCavity');
  if (rf.length > 0) {
    families.RF = {
      elementClass: 'RF',
      model: { field: 'Frequency' },
      fields: { setpoint: { channels: { twin: 'RF:FREQ:SP' }, units: { hardware: 'Hz', physics: 'Hz' } }, readback: { channels: { twin: 'RF:FREQ:RB' }, units: { hardware: 'Hz', physics: 'Hz' } } },
      devices: [{ device: [1, 1], name: 'RF', element: rf[0] }],
    };
  }
  if (spec.tuneMonitor) {
    families.TUNE = {
      elementClass: 'Tune',
      fields: { monitor: { units: { hardware: '', physics: '' } } },
      devices: [
        { device: [1, 1], name: 'TUNEX', plane: 'x', channels: { monitor: { twin: 'TUNE:X' } } },
        { device: [1, 2], name: 'TUNEY', plane: 'y', channels: { monitor: { twin: 'TUNE:Y' } } },
      ],
    };
  }
  if (spec.turnByTurn) {
    const bpms = indices((e) => e.Class === (spec.bpmClass ?? 'Monitor'));
    for (const p of ['x', 'y'] as const) {
      families[`TBT${p}`] = {
        elementClass: 'BPM',
        plane: p,
        fields: { monitor: { channels: { twin: `TBT:{sector}:{index}:${p.toUpperCase()}` }, units: { hardware: 'm', physics: 'm' }, dataType: 'array', length: spec.turnByTurn } },
        devices: devices(bpms),
      };
      families[`KICK${p}`] = {
        elementClass: 'Kicker',
        plane: p,
        fields: { setpoint: { channels: { twin: `KICK:${p.toUpperCase()}` }, units: { hardware: 'rad', physics: 'rad' }, limits: [-2e-3, 2e-3] } },
        devices: [{ device: [1, 1], name: `KICK${p.toUpperCase()}`, element: 0 }],
      };
    }
  }
  const doc = {
    name: `${spec.lattice}-test`,
    energy: spec.energy,
    lattice: { file: latticeFile },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 20, ...spec.settings } } },
    unitConversions: {
      q: { type: 'linear', gain: 1, hardwareUnits: 'A', physicsUnits: 'm^-2' },
      s: { type: 'linear', gain: 1, hardwareUnits: 'A', physicsUnits: 'm^-3' },
    },
    families,
  };
  const file = join(mkdtempSync(join(tmpdir(), 'mlayer-tune-')), 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

async function open(facility: LoadedFacility): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility, controlSystems, conversions });
  return { acc, twin: acc.controlSystem as TwinControlSystem };
}

export function twinAccelerator(spec: TwinFacilitySpec): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  return open(loadFacility(twinFacilityFile(spec)));
}

/**
 * The demo facility diamond-i04 on its twin, with extra twin settings (noise, seed).
 */
export function diamondTwin(settings: TwinSettingsInput = {}): Promise<{ acc: Accelerator; twin: TwinControlSystem }> {
  const file = join(REPO, 'facilities/diamond-i04/facility.yaml');
  const doc = parse(readFileSync(file, 'utf8'));
  doc.controlSystems.twin.settings = { ...doc.controlSystems.twin.settings, ...settings };
  return open(parseFacility(stringify(doc), file));
}
