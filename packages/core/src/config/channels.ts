import { MlayerError } from '../errors.js';
import type { DeviceConfig, FacilityConfig, FieldName } from './schema.js';

/** Placeholders a channel-name template may hold. */
export const TEMPLATE_PLACEHOLDERS = ['sector', 'index', 'name', 'element', 'family'] as const;
type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

type TemplatePart = string | { readonly key: Placeholder; readonly pad?: number };

/** A template that cannot be read: what is wrong with it, in words. */
export class TemplateSyntaxError extends MlayerError {}

const PLACEHOLDER_HINT = `placeholders: ${TEMPLATE_PLACEHOLDERS.map((k) => `{${k}}`).join(', ')}, zero-padded as {sector:02}`;

/**
 * Splits a template into literal text and placeholders. Every '{' must open a
 * known placeholder (optionally `:0N` zero-padded) closed by '}', and a '}' may
 * not stand alone: a typo never stays in a channel name as literal text.
 */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (close >= 0 && (open < 0 || close < open)) throw new TemplateSyntaxError(`'}' at position ${close + 1} closes no placeholder; ${PLACEHOLDER_HINT}`);
    if (open < 0) {
      parts.push(template.slice(i));
      break;
    }
    if (open > i) parts.push(template.slice(i, open));
    const end = template.indexOf('}', open);
    const nextOpen = template.indexOf('{', open + 1);
    if (end < 0 || (nextOpen >= 0 && nextOpen < end)) {
      const unclosed = template.slice(open, nextOpen >= 0 && (end < 0 || nextOpen < end) ? nextOpen : undefined);
      throw new TemplateSyntaxError(`placeholder '${unclosed}' is not closed by '}'; ${PLACEHOLDER_HINT}`);
    }
    const body = template.slice(open + 1, end);
    const [key, format, ...extra] = body.split(':');
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(key)) throw new TemplateSyntaxError(`unknown placeholder '{${body}}'; ${PLACEHOLDER_HINT}`);
    if (extra.length > 0 || (format !== undefined && !/^0[1-9]\d*$/.test(format))) {
      throw new TemplateSyntaxError(`bad format in placeholder '{${body}}': write {${key}} or {${key}:0N} with N the zero-padded width (e.g. {${key}:02})`);
    }
    parts.push(format === undefined ? { key: key as Placeholder } : { key: key as Placeholder, pad: Number(format.slice(1)) });
    i = end + 1;
  }
  return parts;
}

/**
 * Expands a channel-name template for one device: `{sector}`, `{index}`, `{name}`,
 * `{element}`, `{family}`, with optional zero padding (`{sector:02}`). Throws
 * TemplateSyntaxError for a template that parseTemplate rejects and for `{element}`
 * on a device without an element.
 */
export function expandTemplate(template: string, family: string, device: DeviceConfig): string {
  return parseTemplate(template)
    .map((part) => {
      if (typeof part === 'string') return part;
      let v: string;
      switch (part.key) {
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
          if (device.element === undefined) throw new TemplateSyntaxError(`{element} used but device '${device.name}' names no element`);
          v = String(device.element);
          break;
        default:
          v = family;
      }
      return part.pad ? v.padStart(part.pad, '0') : v;
    })
    .join('');
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
