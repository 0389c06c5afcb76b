import type { LoadedFacility } from '../config/loaded-facility.js';
import { formatPath } from '../config/source-map.js';
import { FIELD_NAMES, type FieldName } from '../config/schema.js';
import { ConfigError, MlayerError, type ConfigIssue } from '../errors.js';
import type { UnitConversionRegistry } from '../units/unit-conversion-registry.js';
import { identityConversion, type UnitConversion } from '../units/unit-conversion.js';
import type { DeviceData, FamilyData } from './family-data.js';

/**
 * Resolves every family of a facility for one control system: channels, limits,
 * and one conversion instance per device (stateful conversions such as hysteresis
 * keep per-magnet state; setpoint and readback of a device share the instance).
 * Unit mismatches between a field and its conversion are configuration errors.
 */
export function buildFamilyData(facility: LoadedFacility, mode: string, registry: UnitConversionRegistry, options: { lazy?: boolean } = {}): Map<string, FamilyData> {
  const { config } = facility;
  const out = new Map<string, FamilyData>();
  if (options.lazy) {
    // Each family's devices when first asked for (a facility that built without an error before: see AcceleratorOptions.lazyFamilies).
    for (const [name, fam] of Object.entries(config.families)) {
      let devices: readonly DeviceData[] | undefined;
      out.set(name, {
        name,
        config: fam,
        get devices(): readonly DeviceData[] {
          if (!devices) {
            const issues: ConfigIssue[] = [];
            const built = familyDevices(facility, mode, registry, name, issues);
            if (issues.length > 0) throw ConfigError.fromIssues(issues);
            devices = built;
          }
          return devices;
        },
        field: (f) => fam.fields[f],
      });
    }
    return out;
  }
  const issues: ConfigIssue[] = [];
  for (const [name, fam] of Object.entries(config.families)) {
    out.set(name, { name, config: fam, devices: familyDevices(facility, mode, registry, name, issues), field: (f) => fam.fields[f] });
  }
  if (issues.length > 0) throw ConfigError.fromIssues(issues);
  return out;
}

/** The devices of one family, its problems added to `issues`. */
function familyDevices(facility: LoadedFacility, mode: string, registry: UnitConversionRegistry, name: string, issues: ConfigIssue[]): DeviceData[] {
  const { config } = facility;
  const fam = config.families[name];
  return fam.devices.map((d, di) => {
    const instances = new Map<string, UnitConversion>();
    const conversions: Partial<Record<FieldName, UnitConversion>> = {};
    const channels: Partial<Record<FieldName, string>> = {};
    for (const field of FIELD_NAMES) {
      const f = fam.fields[field];
      if (!f) continue;
      const ch = facility.channel(name, di, field, mode);
      if (ch !== undefined) channels[field] = ch;
      const id = d.conversion ?? f.conversion;
      const path = d.conversion ? ['families', name, 'devices', di, 'conversion'] : ['families', name, 'fields', field, 'conversion'];
      if (id === undefined) {
        conversions[field] = identityConversion(f.units.hardware);
        if (f.units.hardware !== f.units.physics) {
          issue(issues, facility, ['families', name, 'fields', field, 'units'], f.units, `${name} ${d.name}: hardware units '${f.units.hardware}' differ from physics units '${f.units.physics}' but no conversion is given`);
        }
        continue;
      }
      let conv = instances.get(id);
      if (!conv) {
        try {
          conv = registry.create(config.unitConversions[id], { file: facility.file, resolvePath: facility.resolvePath, id });
        } catch (e) {
          if (e instanceof ConfigError) {
            for (const i of e.issues) issue(issues, facility, i.path.split('.'), i.value, `${name} ${d.name}: ${i.expected}`);
            continue;
          }
          throw new MlayerError(`${facility.file}: unit conversion '${id}' of ${name} ${d.name}: ${(e as Error).message}`, { cause: e });
        }
        instances.set(id, conv);
      }
      if (!sameUnits(conv.hardwareUnits, f.units.hardware) || !sameUnits(conv.physicsUnits, f.units.physics)) {
        issue(issues, facility, path, id, `${name} ${d.name}: conversion '${id}' converts ${conv.hardwareUnits || '(no units)'} -> ${conv.physicsUnits || '(no units)'} but the ${field} field is in ${f.units.hardware} -> ${f.units.physics}`);
      }
      conversions[field] = conv;
    }
    const limits = d.limits ?? fam.fields.setpoint?.limits;
    return { device: d.device, name: d.name, element: d.element, enabled: d.enabled, channels, conversions, limits };
  });
}

function issue(issues: ConfigIssue[], facility: LoadedFacility, path: PropertyKey[], value: unknown, expected: string): void {
  const pos = facility.locate(path);
  if (issues.some((i) => i.expected === expected)) return;
  issues.push({ file: facility.file, path: formatPath(path), value, expected, line: pos?.line, column: pos?.column });
}

/** Unit strings are equal when they match after removing spaces and normalising '·', '*', '^'. */
export function sameUnits(a: string, b: string): boolean {
  return a === b || normalUnits(a) === normalUnits(b);
}

/** Normal forms of the unit strings seen (a facility names a few, thousands of times). */
const normalForms = new Map<string, string>();

function normalUnits(s: string): string {
  let n = normalForms.get(s);
  if (n === undefined) {
    n = s.replace(/\s+/g, '').replace(/[·*]/g, '.').replace(/\^/g, '');
    if (normalForms.size < 10_000) normalForms.set(s, n);
  }
  return n;
}
