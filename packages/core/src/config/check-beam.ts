/**
 * Checks of the facility's `injection`, `chamber` and `openLine` sections beyond their
 * schema: the injection family exists and has a setpoint; a facility is a ring with an
 * injection or an open line, not both. Elements named by FamName are resolved against the lattice by the twin.
 */
import { isFamilyOfClass } from './family-class.js';
import type { FacilityConfig } from './schema.js';

type Add = (path: PropertyKey[], value: unknown, expected: string, key?: boolean) => void;

/** The family that injects one shot: injection.family, else the only family of element class Injection. */
export function injectionFamily(config: FacilityConfig): string | undefined {
  if (config.injection?.family !== undefined) return config.injection.family;
  const found = Object.keys(config.families).filter((n) => isFamilyOfClass(config.families[n], 'injection'));
  return found.length === 1 ? found[0] : undefined;
}

export function checkBeamReferences(config: FacilityConfig, add: Add): void {
  const fam = config.injection?.family;
  if (fam !== undefined) {
    const f = config.families[fam];
    const injectors = Object.keys(config.families).filter((n) => isFamilyOfClass(config.families[n], 'injection'));
    if (!f) add(['injection', 'family'], fam, `unknown family; families of element class Injection: ${injectors.join(', ') || 'none'}`);
    else if (!f.fields.setpoint) add(['injection', 'family'], fam, `family ${fam} has no setpoint (a write of it injects one shot)`);
  }
  if (config.openLine && config.injection) add(['openLine'], 'openLine', 'an open line has no injection into a ring: give either injection or openLine');
}
