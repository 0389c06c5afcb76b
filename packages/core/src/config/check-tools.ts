/**
 * Checks of the facility's `tools` section beyond its schema: every family it names
 * exists and can do what the tool asks of it, every file it references exists.
 */
import { existsSync } from 'node:fs';
import { isFamilyOfClass } from './family-class.js';
import type { FacilityConfig } from './schema.js';

type Add = (path: PropertyKey[], value: unknown, expected: string, key?: boolean) => void;

export function checkToolsReferences(config: FacilityConfig, add: Add, resolvePath: (rel: string) => string): void {
  const tools = config.tools;
  if (!tools) return;
  const names = Object.keys(config.families);
  const list = (l: string[]) => (l.length > 12 ? `${l.slice(0, 12).join(', ')}, ...` : l.join(', '));
  const settable = names.filter((n) => config.families[n].fields.setpoint);
  const isClass = (n: string, cls: string) => isFamilyOfClass(config.families[n], cls);
  const family = (path: PropertyKey[], name: string, need: { setpoint?: boolean; cls?: string; what: string }, key = false): void => {
    const fam = config.families[name];
    if (!fam) {
      add(path, name, `unknown family; ${need.what} families of this facility: ${list(names.filter((n) => (!need.setpoint || config.families[n].fields.setpoint) && (!need.cls || isClass(n, need.cls)))) || 'none'}`, key);
      return;
    }
    if (need.setpoint && !fam.fields.setpoint) add(path, name, `family ${name} has no setpoint (families with one: ${list(settable)})`, key);
    else if (need.cls && !isClass(name, need.cls)) add(path, name, `family ${name} is of element class ${fam.elementClass}, not ${need.cls}`, key);
  };
  for (const k of Object.keys(tools.orbit?.ormStep ?? {})) family(['tools', 'orbit', 'ormStep', k], k, { setpoint: true, cls: 'corrector', what: 'corrector' }, true);
  for (const k of ['golden', 'offsets', 'responseMatrix'] as const) {
    const f = tools.orbit?.[k];
    if (f !== undefined && !existsSync(resolvePath(f))) add(['tools', 'orbit', k], f, `file not found (looked at ${resolvePath(f)})`);
  }
  tools.tune?.families.forEach((n, i) => family(['tools', 'tune', 'families', i], n, { setpoint: true, what: 'quadrupole' }));
  tools.chromaticity?.families.forEach((n, i) => family(['tools', 'chromaticity', 'families', i], n, { setpoint: true, what: 'sextupole' }));
  tools.model?.bpms?.forEach((n, i) => family(['tools', 'model', 'bpms', i], n, { cls: 'bpm', what: 'BPM' }));
  tools.model?.correctors?.forEach((n, i) => family(['tools', 'model', 'correctors', i], n, { cls: 'corrector', what: 'corrector' }));
  const lattice = tools.model?.lattice;
  if (lattice !== undefined && !existsSync(resolvePath(lattice))) add(['tools', 'model', 'lattice'], lattice, `lattice file not found (looked at ${resolvePath(lattice)})`);
}
