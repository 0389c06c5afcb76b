/**
 * Golden orbit and BPM offset files (MML getgolden, getoffset): one value per BPM,
 * by family and device name, in a length unit the file names.
 *
 * ```yaml
 * unit: mm                # the unit of every value (m, mm, um, ...)
 * families:
 *   BPMx: { SR01C-DI-EBPM-01: 0.0, SR01C-DI-EBPM-02: 0.012 }
 *   BPMy: { SR01C-DI-EBPM-01: 0.0 }
 * ```
 *
 * A BPM the file does not list has the value 0. YAML or JSON (.yaml, .yml, .json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { lookupUnit } from '../units/unit-dimensions.js';
import { isFamilyOfClass } from './family-class.js';
import type { FacilityConfig } from './schema.js';
import { formatPath, parseSource } from './source-map.js';

export interface BpmReference {
  /** Absolute path of the file. */
  readonly file: string;
  /** The unit the file gives its values in. */
  readonly unit: string;
  /** Per BPM family: device name -> value in the PHYSICS units of the family's reading. */
  readonly families: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

const sameDimension = (a: readonly number[], b: readonly number[]): boolean => a.every((v, i) => v === b[i]);

/**
 * Reads a golden orbit or BPM offset file against the facility: every family must be a
 * BPM family of the facility, every name one of its devices, every value finite; a
 * problem is a ConfigError naming the file, line, column, field and value.
 */
export function readBpmReference(path: string, config: FacilityConfig, what = 'BPM reference'): BpmReference {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError(file, '', file, `${what} file not found`);
  const text = readFileSync(file, 'utf8');
  const { doc, errors } = parseSource(text);
  if (!doc) throw ConfigError.fromIssues(errors.map((e) => ({ file, path: '', value: undefined, expected: `invalid YAML: ${e.message}`, line: e.line, column: e.column })));
  const issues: ConfigIssue[] = [];
  const add = (p: PropertyKey[], value: unknown, expected: string, key = false): void => {
    const pos = doc.locate(p, key);
    issues.push({ file, path: formatPath(p), value, expected, line: pos?.line, column: pos?.column });
  };
  const data = doc.data;
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(data)) throw new ConfigError(file, '', data, `a ${what} file is a mapping: unit (m, mm, um), families (BPM family -> device name -> value)`, 1, 1);
  for (const k of Object.keys(data)) if (k !== 'unit' && k !== 'families' && k !== 'description') add([k], data[k], `unknown key '${k}'; allowed keys: unit, families, description`, true);
  const unit = data.unit;
  const spec = typeof unit === 'string' ? lookupUnit(unit) : undefined;
  if (typeof unit !== 'string') add(['unit'], unit, 'required: the unit of the values (a length unit: m, mm, um)');
  else if (!spec || !sameDimension(spec.unitDimension, [1, 0, 0, 0, 0, 0, 0])) add(['unit'], unit, 'expected a length unit (m, mm, um, nm)');
  const families = new Map<string, Map<string, number>>();
  const fams = data.families;
  if (fams !== undefined && !isMap(fams)) add(['families'], fams, 'expected a mapping: BPM family -> { device name: value }');
  for (const [famName, entries] of Object.entries(isMap(fams) ? fams : {})) {
    const fam = config.families[famName];
    if (!fam || !isFamilyOfClass(fam, 'bpm')) {
      const bpms = Object.keys(config.families).filter((n) => config.families[n].elementClass.toLowerCase() === 'bpm');
      add(['families', famName], famName, `${fam ? `family ${famName} is not a BPM family` : 'unknown family'}; BPM families: ${bpms.join(', ') || 'none'}`, true);
      continue;
    }
    if (!isMap(entries)) {
      add(['families', famName], entries, 'expected a mapping: device name -> value');
      continue;
    }
    const field = fam.fields.monitor ?? fam.fields.readback;
    const physics = field ? lookupUnit(field.units.physics) : undefined;
    if (spec && physics && !sameDimension(spec.unitDimension, physics.unitDimension)) {
      add(['unit'], unit, `the unit of family ${famName}'s readings is '${field!.units.physics}' (physics): the file needs a unit of the same kind`);
      continue;
    }
    const scale = spec && physics ? spec.unitSI / physics.unitSI : 1;
    const names = new Set(fam.devices.map((d) => d.name));
    const values = new Map<string, number>();
    for (const [name, v] of Object.entries(entries)) {
      if (!names.has(name)) add(['families', famName, name], name, `no device of ${famName} has this name`, true);
      else if (typeof v !== 'number' || !Number.isFinite(v)) add(['families', famName, name], v, `expected a finite number (${typeof unit === 'string' ? unit : 'the file unit'})`);
      else values.set(name, v * scale);
    }
    families.set(famName, values);
  }
  if (issues.length > 0) throw ConfigError.fromIssues(issues);
  return { file, unit: unit as string, families };
}
