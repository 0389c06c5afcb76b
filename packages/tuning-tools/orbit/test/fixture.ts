/**
 * A twin accelerator over the ThomX lattice (pattern of adapters-sim's twin fixture):
 * BPMx/BPMy on every Monitor, HCM/VCM on every Corrector (KickAngle through a
 * linear A -> rad conversion of 0.1 mrad/A), QUAD, RF.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility, type Accelerator, type ChannelWrite } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { sharedDataDir } from '@mlayer/core/testing';
import { registerTwin, type TwinControlSystem, type TwinSettingsInput } from '@mlayer/adapters-sim';

export const SHARED = sharedDataDir();
export const THOMX = join(SHARED, 'lattices/thomx');
export const thomxRef = () => JSON.parse(readFileSync(join(THOMX, 'thomx_ref.json'), 'utf8'));
export const thomxOrm = () => JSON.parse(readFileSync(join(THOMX, 'thomx_orm.json'), 'utf8'));

/** Corrector gain of the test facility: 0.1 mrad per A. */
export const CM_GAIN = 1e-4;

export interface FixtureOptions {
  readonly settings?: TwinSettingsInput;
  /** Corrector limits in A (default [-5, 5]). */
  readonly limits?: readonly [number, number];
  /** Indices (0-based) of BPMs marked disabled in the facility. */
  readonly disabledBpms?: readonly number[];
}

export function thomxFacilityFile(options: FixtureOptions = {}): string {
  const ref = thomxRef();
  const bpms: number[] = ref.optics_at_bpms.index;
  const cors: number[] = ref.correctors.index;
  const lattice = JSON.parse(readFileSync(join(THOMX, 'thomx_4d.atjson.json'), 'utf8'));
  const rfIndex = lattice.elements.findIndex((e: { Class?: string }) => e.Class === 'RFCavity');
  const quads: number[] = lattice.elements.flatMap((e: { Class?: string }, i: number) => (e.Class === 'Quadrupole' ? [i] : []));
  const devices = (idx: number[], disabled: readonly number[] = []) =>
    idx.map((e, i) => ({ device: [Math.floor(i / 2) + 1, (i % 2) + 1], name: `E${e}`, element: e, ...(disabled.includes(i) ? { enabled: false } : {}) }));
  const limits = options.limits ?? [-5, 5];
  const doc = {
    name: 'thomx-orbit-test',
    energy: 50e6,
    lattice: { file: join(THOMX, 'thomx_4d.atjson.json') },
    controlSystems: { twin: { type: 'twin', settings: { updateRate: 10, ...options.settings } } },
    unitConversions: { cm: { type: 'linear', gain: CM_GAIN, hardwareUnits: 'A', physicsUnits: 'rad' } },
    families: {
      BPMx: { elementClass: 'BPM', plane: 'x', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:X' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpms, options.disabledBpms) },
      BPMy: { elementClass: 'BPM', plane: 'y', fields: { monitor: { channels: { twin: 'BPM:{sector}:{index}:Y' }, units: { hardware: 'm', physics: 'm' } } }, devices: devices(bpms, options.disabledBpms) },
      HCM: {
        elementClass: 'Corrector',
        memberOf: ['COR', 'HCM'],
        plane: 'x',
        model: { field: 'KickAngle', index: 0 },
        fields: {
          setpoint: { channels: { twin: 'HCM:{sector}:{index}:SP' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits },
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
          setpoint: { channels: { twin: 'VCM:{sector}:{index}:SP' }, units: { hardware: 'A', physics: 'rad' }, conversion: 'cm', limits },
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
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'mlayer-orbit-'));
  const file = join(dir, 'facility.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

export interface TwinFixture {
  readonly acc: Accelerator;
  readonly twin: TwinControlSystem;
  /** Every channel write the tools made, in order. */
  readonly writes: ChannelWrite[];
}

/** A ThomX twin accelerator; writes to the control system are recorded (and passed on unchanged). */
export async function thomxTwin(options: FixtureOptions = {}): Promise<TwinFixture> {
  return twinOf(thomxFacilityFile(options));
}

/** The twin accelerator of a facility file, its writes recorded (and passed on unchanged). */
export async function twinOf(facilityFile: string): Promise<TwinFixture> {
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(facilityFile), controlSystems, conversions, allowWrites: true });
  const twin = acc.controlSystem as TwinControlSystem;
  const writes: ChannelWrite[] = [];
  const write = twin.write.bind(twin);
  twin.write = async (w, o) => {
    writes.push(...w);
    return write(w, o);
  };
  return { acc, twin, writes };
}

export const maxAbs = (a: ArrayLike<number>): number => Math.max(...Array.from(a, (v) => Math.abs(v)));
export const rmsOf = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0) / a.length);

/** An abort from outside the tool, as Ctrl-C: see `abortTimerAt`. */
export interface AbortTimer {
  /** Give to the tool. */
  readonly signal: AbortSignal;
  /** Give to the tool: records each step and arms the timer at step `at`. */
  readonly onProgress: (p: { readonly step: number }) => void;
  /** Last step the tool reported. */
  readonly last: number;
  /** Last step reported when the timer fired (-1 until it fires). */
  readonly atAbort: number;
  /** performance.now() when the timer fired. */
  readonly firedAt: number;
}

/**
 * A timer armed when the tool reports step `at`, firing from the event loop (not
 * from the tool): the abort is seen only if the tool lets the event loop run.
 */
export function abortTimerAt(at: number): AbortTimer {
  const controller = new AbortController();
  const state = { last: 0, atAbort: -1, firedAt: 0 };
  return {
    signal: controller.signal,
    onProgress: (p) => {
      state.last = p.step;
      if (p.step === at)
        setTimeout(() => {
          state.atAbort = state.last;
          state.firedAt = performance.now();
          controller.abort();
        }, 0);
    },
    get last() {
      return state.last;
    },
    get atAbort() {
      return state.atAbort;
    },
    get firedAt() {
      return state.firedAt;
    },
  };
}
