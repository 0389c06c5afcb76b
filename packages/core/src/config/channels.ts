import type { DeviceConfig, FacilityConfig, FieldName } from './schema.js';

/**
 * Expands a channel-name template for one device: `{sector}`, `{index}`, `{name}`,
 * `{element}`, `{family}`, with optional zero padding (`{sector:02}`).
 */
export function expandTemplate(template: string, family: string, device: DeviceConfig): string {
  return template.replace(/\{(sector|index|name|element|family)(?::0(\d+))?\}/g, (_m, key: string, pad?: string) => {
    let v: string;
    switch (key) {
      case 'sector':
        v = String(device.device[0]);
        break;
      case 'index':
        v = String(device.device[1]);
        break;
      case 'name':
        v = device.name;
        break;
      case 'element':
        v = String(device.element ?? '');
        break;
      default:
        v = family;
    }
    return pad ? v.padStart(Number(pad), '0') : v;
  });
}

/** The control system whose channel names a control system uses (itself unless it borrows). */
export function namingSystem(config: FacilityConfig, csName: string): string {
  return config.controlSystems[csName]?.channelNames ?? csName;
}

const namedSystems = new WeakMap<FacilityConfig, Map<string, boolean>>();

/** True when no field of any family names channels for this (naming) control system. */
export function hasNoChannelNames(config: FacilityConfig, naming: string): boolean {
  let cache = namedSystems.get(config);
  if (!cache) {
    cache = new Map();
    namedSystems.set(config, cache);
  }
  let v = cache.get(naming);
  if (v === undefined) {
    v = scanNoChannelNames(config, naming);
    cache.set(naming, v);
  }
  return v;
}

function scanNoChannelNames(config: FacilityConfig, naming: string): boolean {
  for (const fam of Object.values(config.families)) {
    for (const f of Object.values(fam.fields)) if (f?.channels?.[naming]) return false;
    for (const d of fam.devices) for (const ch of Object.values(d.channels ?? {})) if (ch?.[naming]) return false;
  }
  return true;
}

/**
 * The channel of one device field in one control system: the device's explicit
 * name, else the family template; a control system without any channel names
 * in the facility (a pure simulation) gets synthetic names `FAMILY:field:sector:index`.
 */
export function channelName(config: FacilityConfig, family: string, deviceIndex: number, field: FieldName, csName: string): string | undefined {
  const fam = config.families[family];
  const device = fam.devices[deviceIndex];
  const naming = namingSystem(config, csName);
  const explicit = device.channels?.[field]?.[naming];
  if (explicit) return explicit;
  const template = fam.fields[field]?.channels?.[naming];
  if (template) return expandTemplate(template, family, device);
  if (fam.fields[field] && hasNoChannelNames(config, naming)) return `${family}:${field}:${device.device[0]}:${device.device[1]}`;
  return undefined;
}
