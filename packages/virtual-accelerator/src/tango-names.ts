import { MlayerError, hasNoChannelNames, namingSystem, type FieldName, type LoadedFacility } from '@mlayer/core';
import { controlSystemOfType, servedChannels, type ServedChannel } from './served-channels.js';

/** Domain of the derived TANGO device names. */
export const TANGO_DOMAIN = 'mlayer';
/** Suffix of the write-only attribute through which the bridge feeds a readback or monitor. */
export const BRIDGE_SUFFIX = '_bridge';

/**
 * The rule for facilities that declare no TANGO names: one TANGO device per facility
 * device, `mlayer/<family>/<sector>-<index>`, one attribute per field
 * (`setpoint`, `readback`, `monitor`), e.g. `mlayer/HCM/3-1/setpoint`.
 */
export function derivedTangoTemplate(family: string, field: FieldName): string {
  return `${TANGO_DOMAIN}/${family}/{sector}-{index}/${field}`;
}

export interface TangoNaming {
  /** The control system of type tango in the overlay (the facility's, or 'tango'). */
  readonly controlSystem: string;
  /** True when the facility declares the names; false when they follow derivedTangoTemplate. */
  readonly declared: boolean;
  readonly channels: readonly ServedChannel[];
  /** Family -> field -> template, for the overlay when the names are derived. */
  readonly templates?: ReadonlyMap<string, Partial<Record<FieldName, string>>>;
}

const DEVICE_PART = /^[A-Za-z0-9_.-]+$/;
const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Checks a served TANGO name: domain/family/member/attribute, no database prefix, attribute an identifier. */
export function checkTangoName(channel: string, where: string): { device: string; attribute: string } {
  if (/^tango:\/\//i.test(channel)) {
    throw new MlayerError(`${where}: TANGO channel '${channel}' names a database; mlayer serve registers the devices in its own database, so give domain/family/member/attribute`);
  }
  const parts = channel.split('/');
  if (parts.length !== 4 || !parts.slice(0, 3).every((p) => DEVICE_PART.test(p)) || !ATTRIBUTE.test(parts[3])) {
    throw new MlayerError(`${where}: '${channel}' is not a TANGO attribute name domain/family/member/attribute (device parts: letters, digits, _ . -; attribute: an identifier)`);
  }
  if (parts[3].toLowerCase().endsWith(BRIDGE_SUFFIX)) throw new MlayerError(`${where}: attribute names ending in '${BRIDGE_SUFFIX}' are reserved for the bridge (got '${channel}')`);
  return { device: parts.slice(0, 3).join('/'), attribute: parts[3] };
}

/**
 * The TANGO names of every twin channel: the facility's own when it has a `tango`
 * control system with channel names, else derived (derivedTangoTemplate). Names
 * are checked and must be unique (TANGO names ignore case).
 */
export function tangoNaming(facility: LoadedFacility, twin: string, requested?: string): TangoNaming {
  const existing = controlSystemOfType(facility, 'tango', requested);
  if (requested !== undefined && existing !== undefined && facility.config.controlSystems[existing].type !== 'tango') {
    throw new MlayerError(`${facility.file}: control system '${requested}' is of type '${facility.config.controlSystems[existing].type}', not tango`);
  }
  const name = existing ?? requested ?? 'tango';
  const declared = existing !== undefined && !hasNoChannelNames(facility.config, namingSystem(facility.config, existing));
  let channels: ServedChannel[];
  let templates: Map<string, Partial<Record<FieldName, string>>> | undefined;
  if (declared) {
    channels = servedChannels(facility, twin, (family, i, field) => {
      const ch = facility.channel(family, i, field, name);
      if (ch === undefined) throw new MlayerError(`${facility.file}: ${family} device ${i} has no ${field} channel for control system '${name}'`);
      return ch;
    });
  } else {
    templates = new Map();
    for (const [family, fam] of Object.entries(facility.config.families)) {
      const t: Partial<Record<FieldName, string>> = {};
      for (const field of ['setpoint', 'readback', 'monitor'] as const) if (fam.fields[field]) t[field] = derivedTangoTemplate(family, field);
      templates.set(family, t);
    }
    channels = servedChannels(facility, twin, (family, i, field) => {
      const d = facility.config.families[family].devices[i].device;
      return `${TANGO_DOMAIN}/${family}/${d[0]}-${d[1]}/${field}`;
    });
  }
  const seen = new Map<string, ServedChannel>();
  for (const c of channels) {
    const where = `${facility.file}: ${c.family} ${c.name} ${c.field}`;
    checkTangoName(c.served, where);
    const key = c.served.toLowerCase();
    const other = seen.get(key);
    if (other) {
      throw new MlayerError(`${where}: TANGO channel '${c.served}' is also ${other.family} ${other.name} ${other.field} (TANGO names ignore case; serve needs one attribute per device field)`);
    }
    seen.set(key, c);
  }
  return { controlSystem: name, declared, channels, templates };
}
