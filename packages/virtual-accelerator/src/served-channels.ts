import { MlayerError, facilityChannels, type FieldName, type LoadedFacility, type Sample } from '@mlayer/core';
import type { HardwareChannel } from './served-hardware.js';
import { bpmRateOf, isBpmField, rampRateOf, type ServedTiming } from './served-timing.js';

/** One facility channel as the simulation (twin) knows it and as a served system names it. */
export interface ServedChannel {
  readonly family: string;
  readonly deviceIndex: number;
  /** Common name of the device in the facility. */
  readonly name: string;
  readonly field: FieldName;
  /** Channel of the twin control system. */
  readonly twin: string;
  /** Channel clients use on the served system. */
  readonly served: string;
}

/** The control system of a facility of the given type: by name, else the only one of that type. */
export function controlSystemOfType(facility: LoadedFacility, type: string, name?: string): string | undefined {
  const systems = facility.config.controlSystems;
  if (name !== undefined) return systems[name] ? name : undefined;
  const ofType = Object.entries(systems).filter(([, cs]) => cs.type === type).map(([n]) => n);
  return ofType[0];
}

/**
 * Pairs every channel of the twin control system with its served name: the name
 * `servedName` gives (declared in the facility, or derived by the protocol's rule).
 */
export function servedChannels(facility: LoadedFacility, twin: string, servedName: (family: string, deviceIndex: number, field: FieldName) => string): ServedChannel[] {
  return facilityChannels(facility, twin).map((c) => ({
    family: c.family,
    deviceIndex: c.deviceIndex,
    name: facility.config.families[c.family].devices[c.deviceIndex].name,
    field: c.field,
    twin: c.channel,
    served: servedName(c.family, c.deviceIndex, c.field),
  }));
}

/** The families to serve: `families` (checked against the facility), or every family. */
export function servedFamilies(facility: LoadedFacility, families?: readonly string[]): Set<string> {
  const all = Object.keys(facility.config.families);
  if (!families || families.length === 0) return new Set(all);
  const unknown = families.filter((f) => !facility.config.families[f]);
  if (unknown.length > 0) throw new MlayerError(`--families: no family ${unknown.map((f) => `'${f}'`).join(', ')} in ${facility.file} (families: ${all.join(', ')})`);
  return new Set(families);
}

/** How the served hardware treats each twin channel: BPM readings (published at their rate), ramping set points. */
export function hardwareChannels(facility: LoadedFacility, channels: readonly ServedChannel[], timing: ServedTiming): HardwareChannel[] {
  const out = new Map<string, HardwareChannel>();
  for (const c of channels) {
    if (out.has(c.twin)) continue;
    if (isBpmField(facility, c.family, c.field)) out.set(c.twin, { channel: c.twin, family: c.family, bpmRate: bpmRateOf(timing, facility, c.family) });
    else if (c.field === 'setpoint') out.set(c.twin, { channel: c.twin, family: c.family, setpoint: true, rampRate: rampRateOf(timing, facility, c.family) });
  }
  return [...out.values()];
}

/** The limits of a served set point (the device's, else the field's). */
export function setpointLimits(facility: LoadedFacility, c: Pick<ServedChannel, 'family' | 'deviceIndex'>): readonly [number, number] | undefined {
  const fam = facility.config.families[c.family];
  return fam.devices[c.deviceIndex].limits ?? fam.fields.setpoint?.limits;
}

/**
 * Set points whose present (design) value in the twin lies outside the facility's
 * limits, one line per family: such a device is served with its design value and without
 * server-side limits (a server enforcing them would refuse or clamp the value the
 * machine runs at); the twin still refuses writes outside the limits.
 */
export function outOfLimitDesignValues(facility: LoadedFacility, channels: readonly ServedChannel[], samples: readonly Sample[]): string[] {
  const byFamily = new Map<string, { names: string[]; values: number[]; limits: Set<string> }>();
  channels.forEach((c, i) => {
    if (c.field !== 'setpoint') return;
    const v = samples[i]?.value;
    const lim = setpointLimits(facility, c);
    if (!outsideLimits(v, lim)) return;
    const f = byFamily.get(c.family) ?? { names: [], values: [], limits: new Set<string>() };
    f.names.push(c.name);
    f.values.push(v as number);
    f.limits.add(`[${lim![0]}, ${lim![1]}]`);
    byFamily.set(c.family, f);
  });
  return [...byFamily].map(([family, f]) => {
    const unit = facility.config.families[family].fields.setpoint?.units.hardware ?? '';
    const lo = Math.min(...f.values);
    const hi = Math.max(...f.values);
    const values = lo === hi ? `${lo}` : `${lo} to ${hi}`;
    const names = f.names.length <= 3 ? f.names.join(', ') : `${f.names.slice(0, 3).join(', ')}, ...`;
    return `warning: ${family}: the design set point of ${f.names.length} device${f.names.length === 1 ? '' : 's'} (${names}), ${values} ${unit}, is outside the facility's limits ${[...f.limits].join(', ')} (${facility.file}); served with its design value, without server-side limits (the twin still refuses writes outside them)`;
  });
}

/** True when a set point's design value lies outside its limits (see outOfLimitDesignValues). */
export function outsideLimits(value: unknown, limits: readonly [number, number] | undefined): boolean {
  return typeof value === 'number' && limits !== undefined && (value < limits[0] || value > limits[1]);
}
