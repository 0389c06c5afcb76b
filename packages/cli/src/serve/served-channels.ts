import { facilityChannels, type FieldName, type LoadedFacility } from '@mlayer/core';

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
