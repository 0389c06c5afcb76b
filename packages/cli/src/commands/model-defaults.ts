/**
 * The model commands without --lattice: the facility's lattice (tools.model.lattice, else
 * lattice.file) and its BPMs and correctors (the elements of the devices of the
 * families tools.model.bpms / tools.model.correctors, else of every BPM family and of
 * the HCM/VCM corrector families).
 */
import { MlayerError, facilityTools, type FacilityConfig, type LatticeModel, type LoadedFacility } from '@mlayer/core';
import { facilityFile } from '../demo-facility.js';
import { loadFacilityCached } from '../facility-cache.js';

export interface ModelDefaults {
  readonly facility: LoadedFacility;
  /** Absolute path of the lattice file. */
  readonly lattice: string;
  readonly bpmFamilies: readonly string[];
  readonly correctorFamilies: readonly string[];
}

const isIn = (f: FacilityConfig['families'][string], cls: string): boolean => f.elementClass.toLowerCase() === cls || f.memberOf.some((g) => g.toLowerCase() === cls);

/** The facility (--facility, else the demo) and what the model commands take from it. */
export function modelDefaults(facilitySpec: string | undefined): ModelDefaults {
  const { facility } = loadFacilityCached(facilityFile(facilitySpec));
  const tools = facilityTools(facility);
  if (!tools.modelLattice) throw new MlayerError(`${facility.file}: the facility names no lattice (lattice.file or tools.model.lattice); give --lattice FILE`);
  const fams = facility.config.families;
  // Families of point readings only (a turn-by-turn array family reads the same BPMs).
  const bpmFamilies = tools.modelBpms ?? Object.keys(fams).filter((n) => isIn(fams[n], 'bpm') && (fams[n].fields.monitor ?? fams[n].fields.readback)?.dataType !== 'array');
  const cors = Object.keys(fams).filter((n) => isIn(fams[n], 'corrector') && fams[n].fields.setpoint);
  const orbitCors = cors.filter((n) => isIn(fams[n], 'hcm') || isIn(fams[n], 'vcm'));
  const correctorFamilies = tools.modelCorrectors ?? (orbitCors.length > 0 ? orbitCors : cors);
  return { facility, lattice: tools.modelLattice, bpmFamilies, correctorFamilies };
}

/**
 * Lattice elements of the devices of some families, sorted, each once: an element given
 * as an index is that index; as a FamName, the k-th device naming it is its k-th
 * occurrence in the lattice (as the twin binds them).
 */
export function familyElements(config: FacilityConfig, families: readonly string[], model: LatticeModel): number[] {
  const out = new Set<number>();
  for (const name of families) {
    const fam = config.families[name];
    if (!fam) throw new MlayerError(`unknown family '${name}'`);
    const next = new Map<string, number>();
    for (const d of fam.devices) {
      const e = d.element;
      if (e === undefined) continue;
      if (typeof e === 'number') {
        if (e >= model.length) throw new MlayerError(`${name} ${d.name}: element ${e} is outside the lattice (0..${model.length - 1})`);
        out.add(e);
        continue;
      }
      const found = model.find(`famname:^${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      if (found.length === 0) throw new MlayerError(`${name} ${d.name}: no lattice element named '${e}'`);
      const k = next.get(e) ?? 0;
      next.set(e, k + 1);
      out.add(found[Math.min(k, found.length - 1)]);
    }
  }
  if (out.size === 0) throw new MlayerError(`families ${families.join(', ')}: no device names a lattice element`);
  return [...out].sort((a, b) => a - b);
}
