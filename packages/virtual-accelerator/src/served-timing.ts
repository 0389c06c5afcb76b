import { MlayerError, type FieldName, type LoadedFacility } from '@mlayer/core';

/**
 * How the served twin behaves in time, as a real machine does (`mlayer serve`
 * options): BPMs published at a rate, each value the average of the twin's
 * orbit over the publication period; power supplies that ramp; set points that
 * reach the supply after a random latency; put-callbacks that complete late.
 */
export interface ServedTiming {
  /** BPM publication rate, Hz (default: the BPM field's updatePeriod or updateRate, else 10). */
  readonly bpmRate?: number;
  /** Twin readings averaged into each published BPM value, evenly spread over the period (default 5). */
  readonly bpmSamples?: number;
  /**
   * Power-supply ramp rates, hardware units per second: one number for every
   * set point except RF families, and/or per family (`{ HSTR: 2, RF: 100 }`).
   * The readback follows the set point at that rate and the twin's magnet follows
   * the readback. Absent: a set point takes effect at once.
   */
  readonly rampRate?: number;
  readonly familyRampRates?: Readonly<Record<string, number>>;
  /** Random extra delay, s, between a client's write and the supply taking it: [min, max], uniform (default none). */
  readonly latency?: readonly [number, number];
  /** Seconds a put-callback (EPICS) or a write (TANGO) takes to complete. */
  readonly putCallbackDelay?: number;
}

/** Parses `--latency 0.2-0.5` (or a single number of seconds). */
export function parseLatency(text: string, option = '--latency'): [number, number] {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(?:-\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?))?\s*$/i.exec(text);
  if (!m) throw new MlayerError(`${option}: '${text}' is not a number of seconds or a range MIN-MAX (e.g. 0.2-0.5)`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (!(lo >= 0) || !(hi >= lo) || !Number.isFinite(hi)) throw new MlayerError(`${option}: '${text}': need 0 <= MIN <= MAX seconds`);
  return [lo, hi];
}

/** Parses `--ramp-rate 2` or `--ramp-rate 2,RF=100,Q1D=5` (hardware units per second). */
export function parseRampRate(text: string, option = '--ramp-rate'): { rampRate?: number; familyRampRates: Record<string, number> } {
  let rampRate: number | undefined;
  const familyRampRates: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const [name, value] = part.includes('=') ? part.split('=', 2).map((s) => s.trim()) : [undefined, part];
    const v = Number(value);
    if (!(v > 0) || !Number.isFinite(v)) throw new MlayerError(`${option}: '${part}': a ramp rate must be a number > 0 (hardware units per second)`);
    if (name === undefined) rampRate = v;
    else if (!name) throw new MlayerError(`${option}: '${part}': give FAMILY=RATE`);
    else familyRampRates[name] = v;
  }
  if (rampRate === undefined && Object.keys(familyRampRates).length === 0) throw new MlayerError(`${option}: '${text}': give a rate (e.g. 2) and/or FAMILY=RATE pairs`);
  return { rampRate, familyRampRates };
}

/** Parses a positive number option. */
export function positiveNumber(text: string, option: string, { integer = false, zero = false } = {}): number {
  const v = Number(text);
  const ok = Number.isFinite(v) && (zero ? v >= 0 : v > 0) && (!integer || Number.isInteger(v));
  if (!ok) throw new MlayerError(`${option}: '${text}' is not ${integer ? 'an integer' : 'a number'} ${zero ? '>= 0' : '> 0'}`);
  return v;
}

/** Checks a timing given in code (the CLI parsers already did for options). */
export function checkTiming(t: ServedTiming, facility: LoadedFacility): void {
  if (t.bpmRate !== undefined && !(t.bpmRate > 0 && Number.isFinite(t.bpmRate))) throw new MlayerError(`bpmRate: must be a number of Hz > 0 (got ${t.bpmRate})`);
  if (t.bpmSamples !== undefined && !(Number.isInteger(t.bpmSamples) && t.bpmSamples >= 1)) throw new MlayerError(`bpmSamples: must be an integer >= 1 (got ${t.bpmSamples})`);
  if (t.rampRate !== undefined && !(t.rampRate > 0 && Number.isFinite(t.rampRate))) throw new MlayerError(`rampRate: must be a number > 0 (got ${t.rampRate})`);
  for (const [f, v] of Object.entries(t.familyRampRates ?? {})) {
    if (!facility.config.families[f]) throw new MlayerError(`--ramp-rate: no family '${f}' in ${facility.file}`);
    if (!facility.config.families[f].fields.setpoint) throw new MlayerError(`--ramp-rate: family '${f}' has no set point`);
    if (!(v > 0 && Number.isFinite(v))) throw new MlayerError(`--ramp-rate ${f}: must be a number > 0 (got ${v})`);
  }
  if (t.latency && !(t.latency[0] >= 0 && t.latency[1] >= t.latency[0] && Number.isFinite(t.latency[1]))) throw new MlayerError(`latency: need 0 <= min <= max seconds (got ${t.latency.join('-')})`);
  if (t.putCallbackDelay !== undefined && !(t.putCallbackDelay >= 0 && Number.isFinite(t.putCallbackDelay))) throw new MlayerError(`putCallbackDelay: must be a finite number of seconds >= 0 (got ${t.putCallbackDelay})`);
}

/** A family that the served twin publishes as BPM readings (averaged at the BPM rate). */
export function isBpmField(facility: LoadedFacility, family: string, field: FieldName): boolean {
  const fam = facility.config.families[family];
  return field === 'monitor' && fam.elementClass.toUpperCase() === 'BPM' && (fam.fields.monitor?.dataType ?? 'number') === 'number';
}

/** Ramp rate of a family's set point (undefined: it takes effect at once). */
export function rampRateOf(t: ServedTiming, facility: LoadedFacility, family: string): number | undefined {
  const own = t.familyRampRates?.[family];
  if (own !== undefined) return own;
  if (t.rampRate === undefined) return undefined;
  return facility.config.families[family].elementClass.toUpperCase() === 'RF' ? undefined : t.rampRate;
}

/** BPM publication rate of a family: the option, else the field's (updatePeriod or updateRate), else 10 Hz. */
export function bpmRateOf(t: ServedTiming, facility: LoadedFacility, family: string): number {
  const field = facility.config.families[family].fields.monitor;
  if (t.bpmRate !== undefined) return t.bpmRate;
  if (field?.updatePeriod !== undefined && field.updatePeriod > 0) return 1 / field.updatePeriod;
  return field?.updateRate ?? 10;
}

/** One line describing the timing, for the start-up log. */
export function describeTiming(t: ServedTiming, bpmRates: readonly number[]): string {
  const rates = [...new Set(bpmRates)];
  const parts = [`BPMs published at ${rates.length > 0 ? rates.join('/') : t.bpmRate ?? 10} Hz, each the average of ${t.bpmSamples ?? 5} twin readings over the period`];
  if (t.rampRate !== undefined || Object.keys(t.familyRampRates ?? {}).length > 0) {
    parts.push(`supplies ramp at ${[...(t.rampRate !== undefined ? [`${t.rampRate}/s (all but RF)`] : []), ...Object.entries(t.familyRampRates ?? {}).map(([f, v]) => `${f} ${v}/s`)].join(', ')}`);
  }
  if (t.latency && t.latency[1] > 0) parts.push(`set points reach the supply after ${t.latency[0]}-${t.latency[1]} s (random)`);
  return parts.join('; ');
}
