/**
 * Settling a facility may leave out: the settle time after a set, the readback
 * tolerance, and the update period of the readings, by element class. A family
 * that relies on one of them is named in a warning at the start of a measurement
 * (Measurement.warnings), so that the facility file can state its own values.
 */
import type { FamilyConfig, FieldConfig, FieldName } from './schema.js';

export interface SettlingDefault {
  /** Seconds to wait after a set completed. */
  readonly settleTime: number;
  /** Readback tolerance as a fraction of the widest setpoint limit span (no default without limits). */
  readonly toleranceFraction?: number;
  /** Seconds between two updates of the readings (monitor or readback). */
  readonly updatePeriod: number;
}

/**
 * The defaults, by element class (matched without regard to case; any other class
 * takes `other`). The reasoning:
 *
 * | class        | settle s | tolerance × span | update s | why |
 * |--------------|----------|------------------|----------|-----|
 * | BPM          | 0        | –                | 0.1      | BPM systems publish 10 Hz averages (the slow-acquisition stream of Libera-type electronics, Diamond's SA PVs); a BPM is not set |
 * | Corrector    | 0.1      | 1e-3             | 0.1      | steerer supplies step in 10–30 ms, chamber eddy currents decay within about 10 ms: 0.1 s covers both; readbacks of 16-bit supplies scatter by ~1e-4 of the range |
 * | SkewQuad     | 0.2      | 1e-3             | 0.1      | corrector-class supplies on larger coils (often sextupole windings) |
 * | Quadrupole   | 0.5      | 1e-4             | 0.1      | large inductance: the put completes at the end of the ramp, the current then settles for a few time constants; ppm-class supplies |
 * | Sextupole    | 0.5      | 1e-4             | 0.1      | as quadrupoles |
 * | Bend         | 2        | 1e-4             | 0.1      | the largest inductance and the slowest field (eddy currents in the yoke) |
 * | RF           | 0.1      | –                | 0.1      | the synthesiser steps at once; the beam energy follows within the synchrotron damping time (ms) |
 * | Tune         | 0        | –                | 1        | a tune measurement (swept or FFT) updates about once a second |
 * | DCCT         | 0        | –                | 0.1      | a 10 Hz current average |
 * | other        | 0.5      | 1e-3             | 1        | unknown hardware: slow, cautious values |
 *
 * A tolerance has the units of the supply, so it is given as a fraction of the
 * widest setpoint limit span of the family, and none is assumed without limits.
 */
export const SETTLING_DEFAULTS: Readonly<Record<string, SettlingDefault>> = {
  bpm: { settleTime: 0, updatePeriod: 0.1 },
  corrector: { settleTime: 0.1, toleranceFraction: 1e-3, updatePeriod: 0.1 },
  skewquad: { settleTime: 0.2, toleranceFraction: 1e-3, updatePeriod: 0.1 },
  quadrupole: { settleTime: 0.5, toleranceFraction: 1e-4, updatePeriod: 0.1 },
  sextupole: { settleTime: 0.5, toleranceFraction: 1e-4, updatePeriod: 0.1 },
  bend: { settleTime: 2, toleranceFraction: 1e-4, updatePeriod: 0.1 },
  rf: { settleTime: 0.1, updatePeriod: 0.1 },
  tune: { settleTime: 0, updatePeriod: 1 },
  dcct: { settleTime: 0, updatePeriod: 0.1 },
  other: { settleTime: 0.5, toleranceFraction: 1e-3, updatePeriod: 1 },
};

/** The default settling of an element class. */
export function settlingDefault(elementClass: string): SettlingDefault {
  return SETTLING_DEFAULTS[elementClass.toLowerCase()] ?? SETTLING_DEFAULTS.other;
}

export type SettlingQuantity = 'settleTime' | 'tolerance' | 'updatePeriod';

/** The settling a family uses, and which of it comes from the defaults. */
export interface FamilySettling {
  /** Seconds after a set (0 when the family has no setpoint). */
  readonly settleTime: number;
  /** Readback tolerance, hardware units (undefined: the readback is not checked). */
  readonly tolerance?: number;
  /** Seconds between updates of the default read field (undefined when it is the setpoint). */
  readonly updatePeriod?: number;
  /** The quantities taken from the defaults (empty when the facility states them all). */
  readonly defaulted: readonly SettlingQuantity[];
}

/** The field a family is read through by default: monitor, else readback, else setpoint. */
export function defaultReadField(config: FamilyConfig): FieldName {
  if (config.fields.monitor) return 'monitor';
  if (config.fields.readback) return 'readback';
  return 'setpoint';
}

/** Widest span of the setpoint limits (field and per-device), undefined without limits. */
function widestSpan(config: FamilyConfig): number | undefined {
  const spans = [config.fields.setpoint?.limits, ...config.devices.map((d) => d.limits)].flatMap((l) => (l ? [l[1] - l[0]] : []));
  return spans.length > 0 ? Math.max(...spans) : undefined;
}

/** Update period a field states (updatePeriod, else 1 / updateRate), undefined when it states none. */
export function statedUpdatePeriod(field: FieldConfig | undefined): number | undefined {
  if (!field) return undefined;
  if (field.updatePeriod !== undefined) return field.updatePeriod;
  return field.updateRate !== undefined ? 1 / field.updateRate : undefined;
}

/** The settling of a family: what the facility states, the class defaults for the rest. */
export function resolveSettling(config: FamilyConfig): FamilySettling {
  const d = settlingDefault(config.elementClass);
  const defaulted: SettlingQuantity[] = [];
  const sp = config.fields.setpoint;
  let settleTime = 0;
  let tolerance: number | undefined;
  if (sp) {
    if (sp.settleTime !== undefined) settleTime = sp.settleTime;
    else {
      settleTime = d.settleTime;
      defaulted.push('settleTime');
    }
    tolerance = sp.tolerance ?? config.fields.readback?.tolerance;
    if (tolerance === undefined && config.fields.readback && d.toleranceFraction !== undefined) {
      const span = widestSpan(config);
      if (span !== undefined && span > 0) {
        tolerance = d.toleranceFraction * span;
        defaulted.push('tolerance');
      }
    }
  }
  const read = defaultReadField(config);
  let updatePeriod: number | undefined;
  if (read !== 'setpoint') {
    updatePeriod = statedUpdatePeriod(config.fields[read]);
    if (updatePeriod === undefined) {
      updatePeriod = d.updatePeriod;
      defaulted.push('updatePeriod');
    }
  }
  return { settleTime, tolerance, updatePeriod, defaulted };
}

/** 'HCM (settle time 0.1 s, tolerance 0.01), BPMx (update period 0.1 s)': what a warning says. */
export function describeDefaultedSettling(name: string, s: FamilySettling, only: readonly SettlingQuantity[] = s.defaulted): string {
  const parts = s.defaulted.filter((q) => only.includes(q)).map((q) =>
    q === 'settleTime' ? `settle time ${s.settleTime} s` : q === 'tolerance' ? `readback tolerance ${s.tolerance}` : `update period ${s.updatePeriod} s`,
  );
  return `${name} (${parts.join(', ')})`;
}
