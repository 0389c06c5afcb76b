import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { FacilitySchema, FIELD_NAMES, type FacilityConfig, type FieldName } from './schema.js';
import { TemplateSyntaxError, channelName, hasNoChannelNames, namingSystem, parseTemplate } from './channels.js';
import { buildFamilyData } from '../accelerator/build-family-data.js';
import type { LoadedFacility } from './loaded-facility.js';
import type { UnitConversionRegistry } from '../units/unit-conversion-registry.js';
import { formatPath, parseSource, valueAt, type SourceDocument } from './source-map.js';
import { lookupUnit } from '../units/unit-dimensions.js';
import { checkToolsReferences } from './check-tools.js';
import { checkBeamReferences } from './check-beam.js';

export type { LoadedFacility } from './loaded-facility.js';

// js-yaml is required on first use (its CommonJS build): a command that takes its facility from a cache never loads it.
const require = createRequire(import.meta.url);
let jsyamlModule: typeof import('js-yaml') | undefined;
const jsyaml = (): typeof import('js-yaml') => (jsyamlModule ??= require('js-yaml') as typeof import('js-yaml'));

const FORMATS: Record<string, 'yaml' | 'json'> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

/** Reads, parses and validates a facility file (YAML or JSON). Throws ConfigError naming file, path and value. */
export interface LoadOptions {
  /**
   * When given, every device's unit conversion is built once at load time, so a
   * bad curve, a missing curve id or units that do not compose are reported now,
   * naming the magnet and the conversion.
   */
  readonly conversions?: UnitConversionRegistry;
}

export function loadFacility(path: string, options: LoadOptions = {}): LoadedFacility {
  const file = resolve(path);
  const format = FORMATS[extname(file).toLowerCase()];
  if (!format) throw new ConfigError(file, '', extname(file), `unsupported facility file type; expected one of ${Object.keys(FORMATS).join(', ')}`);
  if (!existsSync(file)) throw new ConfigError(file, '', file, 'facility file not found');
  const bytes = readFileSync(file);
  const facility = parseFacility(bytes.toString('utf8'), file, format, createHash('sha256').update(bytes).digest('hex'));
  if (options.conversions) buildFamilyData(facility, Object.keys(facility.config.controlSystems)[0], options.conversions);
  return facility;
}

/** Parses and validates facility text; `file` is used for messages and relative paths. */
export function parseFacility(text: string, file: string, format: 'yaml' | 'json' = 'yaml', sha256?: string): LoadedFacility {
  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const m = /position (\d+)/.exec(msg);
      const pos = m ? lineColumn(text, Number(m[1])) : undefined;
      throw new ConfigError(file, '', undefined, `invalid JSON: ${msg}`, pos?.line, pos?.column);
    }
  }
  // Fast path: js-yaml (JSON is YAML); the position-keeping parser runs only to report problems.
  let data: unknown;
  try {
    data = format === 'json' ? JSON.parse(text) : jsyaml().load(text, { filename: file });
  } catch {
    data = undefined;
  }
  let located: SourceDocument | undefined;
  const source = (): SourceDocument => {
    if (located) return located;
    let parsed: ReturnType<typeof parseSource>;
    try {
      parsed = parseSource(text);
    } catch (e) {
      // The parser's own limits (an alias bomb: "Excessive alias count ...") name the file too.
      throw new ConfigError(file, '', undefined, `invalid ${format.toUpperCase()}: ${(e as Error).message}`);
    }
    const { doc, errors } = parsed;
    if (!doc) {
      throw ConfigError.fromIssues(errors.map((e) => ({ file, path: '', value: undefined, expected: `invalid ${format.toUpperCase()}: ${e.message}`, line: e.line, column: e.column })));
    }
    located = doc;
    return doc;
  };
  if (data === undefined) data = source().data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, '', data, 'a facility file must contain a mapping (name, energy, controlSystems, families, ...)', 1, 1);
  }
  const parsed = FacilitySchema.safeParse(data);
  if (!parsed.success) throw ConfigError.fromIssues(zodIssues(parsed.error.issues, source(), file));
  const config = parsed.data;
  const dir = dirname(file);
  const resolvePath = (rel: string): string => (isAbsolute(rel) ? rel : resolve(dir, rel));

  const issues: ConfigIssue[] = [];
  const add = (path: PropertyKey[], value: unknown, expected: string, key = false): void => {
    const pos = source().locate(path, key);
    issues.push({ file, path: formatPath(path), value, expected, line: pos?.line, column: pos?.column });
  };
  checkReferences(config, add, resolvePath);
  checkToolsReferences(config, add, resolvePath);
  checkBeamReferences(config, add);

  const badTemplates = checkTemplates(config, add);

  // Resolve every channel once; a field without a channel in a named control system is an error.
  const table = new Map<string, string | undefined>();
  for (const [famName, fam] of Object.entries(config.families)) {
    // Per field and naming system: channel -> first device; a template giving two devices one channel is an error.
    const seen = new Map<string, { device: number; explicit: boolean }>();
    fam.devices.forEach((_d, di) => {
      for (const field of FIELD_NAMES) {
        if (!fam.fields[field]) continue;
        for (const cs of Object.keys(config.controlSystems)) {
          const naming = namingSystem(config, cs);
          let ch: string | undefined;
          try {
            ch = channelName(config, famName, di, field, cs);
          } catch (e) {
            if (!(e instanceof TemplateSyntaxError)) throw e;
            if (!badTemplates.has(`${famName}.${field}.${naming}`)) add(['families', famName, 'fields', field, 'channels', naming], fam.fields[field]?.channels?.[naming], e.message);
            badTemplates.add(`${famName}.${field}.${naming}`);
            continue;
          }
          table.set(`${famName}\u0000${di}\u0000${field}\u0000${cs}`, ch);
          if (ch === undefined && !hasNoChannelNames(config, naming)) {
            add(['families', famName, 'devices', di], fam.devices[di].name, `no ${field} channel for control system '${naming}': give families.${famName}.fields.${field}.channels.${naming} or devices[${di}].channels.${field}.${naming}`);
          }
          if (ch === undefined || (cs !== naming && config.controlSystems[naming])) continue;
          const explicit = fam.devices[di].channels?.[field]?.[naming] !== undefined;
          const key = `${field}\u0000${naming}\u0000${ch}`;
          const first = seen.get(key);
          if (!first) seen.set(key, { device: di, explicit });
          else if (!(first.explicit && explicit) && !badTemplates.has(`${famName}.${field}.${naming}`)) {
            badTemplates.add(`${famName}.${field}.${naming}`);
            const other = fam.devices[first.device];
            add(
              explicit ? ['families', famName, 'devices', di, 'channels', field, naming] : ['families', famName, 'fields', field, 'channels', naming],
              explicit ? ch : fam.fields[field]?.channels?.[naming],
              `devices[${di}] (${fam.devices[di].name}) and devices[${first.device}] (${other.name}) of ${famName} resolve to the same ${field} channel '${ch}'; ` +
                'each device needs its own channel, unless the devices share it (one power supply): then name the shared channel explicitly in the channels of every device that shares it',
            );
          }
        }
      }
    });
  }
  if (issues.length > 0) throw ConfigError.fromIssues(issues);

  return {
    config,
    file,
    sha256: sha256 ?? createHash('sha256').update(text).digest('hex'),
    resolvePath,
    channel: (family, deviceIndex, field, cs) => table.get(`${family}\u0000${deviceIndex}\u0000${field}\u0000${cs}`),
    locate: (path) => source().locate(path),
  };
}

/** Checks every family channel template; returns the keys `family.field.controlSystem` of the bad ones. */
function checkTemplates(config: FacilityConfig, add: (path: PropertyKey[], value: unknown, expected: string) => void): Set<string> {
  const bad = new Set<string>();
  for (const [famName, fam] of Object.entries(config.families)) {
    for (const field of FIELD_NAMES) {
      for (const [cs, template] of Object.entries(fam.fields[field]?.channels ?? {})) {
        try {
          parseTemplate(template);
        } catch (e) {
          if (!(e instanceof TemplateSyntaxError)) throw e;
          bad.add(`${famName}.${field}.${cs}`);
          add(['families', famName, 'fields', field, 'channels', cs], template, `channel template of family ${famName}: ${e.message}`);
        }
      }
    }
  }
  return bad;
}

function checkReferences(
  config: FacilityConfig,
  add: (path: PropertyKey[], value: unknown, expected: string, key?: boolean) => void,
  resolvePath: (rel: string) => string,
): void {
  const csNames = Object.keys(config.controlSystems);
  if (config.defaultMode !== undefined && !csNames.includes(config.defaultMode)) {
    add(['defaultMode'], config.defaultMode, `defaultMode must name a control system (${csNames.join(', ')})`);
  }
  for (const [name, cs] of Object.entries(config.controlSystems)) {
    if (cs.channelNames !== undefined && (cs.channelNames === name || !csNames.includes(cs.channelNames))) {
      add(['controlSystems', name, 'channelNames'], cs.channelNames, `channelNames must name another control system (${csNames.filter((n) => n !== name).join(', ') || 'none defined'})`);
    }
  }
  if (config.lattice && !existsSync(resolvePath(config.lattice.file))) {
    add(['lattice', 'file'], config.lattice.file, `lattice file not found (looked at ${resolvePath(config.lattice.file)})`);
  }
  const conversions = Object.keys(config.unitConversions);
  for (const [famName, fam] of Object.entries(config.families)) {
    for (const field of FIELD_NAMES) {
      const f = fam.fields[field];
      if (!f) continue;
      if (f.conversion !== undefined && !conversions.includes(f.conversion)) {
        add(['families', famName, 'fields', field, 'conversion'], f.conversion, `unknown unit conversion id; defined: ${conversions.join(', ') || 'none'}`);
      }
      // Units must be known (measurement files record unitSI and unitDimension), also when both are the same and no conversion checks them.
      for (const side of ['hardware', 'physics'] as const) {
        const unit = f.units[side];
        if (lookupUnit(unit) === undefined) add(['families', famName, 'fields', field, 'units', side], unit, 'unknown unit (measurement files could not record it); use a unit symbol such as A, mA, m, mm, rad, mrad, Hz, T, "" (dimensionless) or an SI expression such as T/m, T.m, m^-2');
      }
      for (const cs of Object.keys(f.channels ?? {})) {
        if (!csNames.includes(cs)) add(['families', famName, 'fields', field, 'channels', cs], cs, `unknown control system; defined: ${csNames.join(', ')}`, true);
      }
      if (f.dataType === 'array' && f.length === undefined) {
        add(['families', famName, 'fields', field, 'length'], undefined, 'an array field needs a length');
      }
    }
    const seenDevice = new Map<string, number>();
    const seenName = new Map<string, number>();
    fam.devices.forEach((d, i) => {
      const key = `${d.device[0]},${d.device[1]}`;
      if (seenDevice.has(key)) add(['families', famName, 'devices', i, 'device'], d.device, `duplicate device [${key}] (also devices[${seenDevice.get(key)}])`);
      else seenDevice.set(key, i);
      if (seenName.has(d.name)) add(['families', famName, 'devices', i, 'name'], d.name, `duplicate device name (also devices[${seenName.get(d.name)}])`);
      else seenName.set(d.name, i);
      if (d.conversion !== undefined && !conversions.includes(d.conversion)) {
        add(['families', famName, 'devices', i, 'conversion'], d.conversion, `unknown unit conversion id; defined: ${conversions.join(', ') || 'none'}`);
      }
      for (const [field, chans] of Object.entries(d.channels ?? {})) {
        if (!fam.fields[field as FieldName]) add(['families', famName, 'devices', i, 'channels', field], chans, `family ${famName} has no '${field}' field`, true);
        for (const cs of Object.keys(chans ?? {})) {
          if (!csNames.includes(cs)) add(['families', famName, 'devices', i, 'channels', field, cs], cs, `unknown control system; defined: ${csNames.join(', ')}`, true);
        }
      }
    });
  }
}

function zodIssues(zIssues: readonly z.core.$ZodIssue[], doc: SourceDocument, file: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of zIssues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const p = [...path, k];
        const pos = doc.locate(p, true);
        const allowed = allowedKeys(path);
        out.push({ file, path: formatPath(p), value: valueAt(doc.data, p), expected: `unknown key '${k}'${allowed ? `; allowed keys: ${allowed}` : ''}`, line: pos?.line, column: pos?.column });
      }
      continue;
    }
    if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors) && issue.errors.length > 0) {
      // Report the branch that got furthest.
      const best = [...issue.errors].sort((a, b) => b.length - a.length)[0];
      if (best && best.length > 0) {
        out.push(...zodIssues(best.map((i) => ({ ...i, path: [...path, ...i.path] })) as z.core.$ZodIssue[], doc, file));
        continue;
      }
    }
    const pos = doc.locate(path);
    const value = valueAt(doc.data, path);
    out.push({ file, path: formatPath(path), value, expected: describeIssue(issue, value), line: pos?.line, column: pos?.column });
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_key' && issue.issues.length > 0) return `invalid key: ${issue.issues[0].message}`;
  if (issue.code === 'invalid_type' && value === undefined) return `required field missing (expected ${issue.expected})`;
  return issue.message;
}

function allowedKeys(path: readonly PropertyKey[]): string | undefined {
  // Walk the schema shape along the path to list the keys that are allowed.
  let schema: unknown = FacilitySchema;
  for (const seg of path) {
    schema = unwrap(schema);
    const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; valueType?: unknown; element?: unknown } }).def;
    if (!def) return undefined;
    if (def.type === 'object' && def.shape) schema = def.shape[String(seg)];
    else if (def.type === 'record') schema = def.valueType;
    else if (def.type === 'array') schema = def.element;
    else return undefined;
  }
  schema = unwrap(schema);
  const shape = (schema as { def?: { shape?: Record<string, unknown> } }).def?.shape;
  return shape ? Object.keys(shape).join(', ') : undefined;
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown } } | undefined;
  for (let i = 0; i < 10 && s?.def; i++) {
    if (s.def.type === 'optional' || s.def.type === 'default' || s.def.type === 'nullable' || s.def.type === 'prefault') s = s.def.innerType as typeof s;
    else if (s.def.type === 'pipe') s = s.def.in as typeof s;
    else break;
  }
  return s;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
