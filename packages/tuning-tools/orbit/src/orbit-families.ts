/**
 * Which families the orbit tool uses: BPMs and correctors per plane and the RF,
 * named by the caller or found from the facility (element class and plane).
 */
import type { Accelerator, Family } from '@mlayer/core';
import { OrbitError } from './errors.js';
import { type PerPlane, type Plane, PLANES } from './orm.js';

/** A family by name, or a selection of one (e.g. `acc.family('BPMx').devices([...])`). */
export type FamilyRef = Family | string;

export interface OrbitFamiliesOptions {
  /** BPM families per plane (default: the facility's BPM family of that plane). */
  readonly bpms?: PerPlane<FamilyRef>;
  /** Corrector families per plane (default: the facility's Corrector family of that plane). */
  readonly correctors?: PerPlane<FamilyRef>;
  /** The RF family (default: the facility's RF family, when one is needed). */
  readonly rfFamily?: FamilyRef;
}

export interface OrbitFamilies {
  readonly bpms: PerPlane<Family>;
  readonly correctors: PerPlane<Family>;
  readonly rf?: Family;
}

function planeOf(acc: Accelerator, family: string): Plane | undefined {
  return acc.facility.config.families[family]?.plane;
}

function candidates(acc: Accelerator, cls: string[], plane: Plane | undefined, needsSetpoint: boolean): string[] {
  return acc.familyNames().filter((name) => {
    const f = acc.family(name);
    const isCls = cls.includes(f.elementClass.toLowerCase()) || f.memberOf.some((g) => cls.includes(g.toLowerCase()));
    return isCls && (plane === undefined || planeOf(acc, name) === plane) && (!needsSetpoint || f.fields.includes('setpoint'));
  });
}

function pick(acc: Accelerator, what: string, ref: FamilyRef | undefined, cls: string[], plane: Plane | undefined, needsSetpoint: boolean): Family {
  if (ref !== undefined) return typeof ref === 'string' ? acc.family(ref) : ref;
  const found = candidates(acc, cls, plane, needsSetpoint);
  const where = plane ? ` of plane ${plane}` : '';
  if (found.length === 0) throw new OrbitError(`${acc.name}: no ${what} family${where} (element class ${cls[0]}${plane ? `, plane: ${plane}` : ''}); name it in the options`);
  if (found.length > 1) {
    // MML's convention: the orbit correctors are the members of group HCM (x) / VCM (y).
    const group = what === 'corrector' && plane ? (plane === 'x' ? 'hcm' : 'vcm') : undefined;
    const preferred = group ? found.filter((n) => acc.family(n).memberOf.some((g) => g.toLowerCase() === group)) : [];
    if (preferred.length === 1) return acc.family(preferred[0]);
    throw new OrbitError(`${acc.name}: several ${what} families${where} (${found.join(', ')}); name the one to use in the options`);
  }
  return acc.family(found[0]);
}

/** Resolves the families for the given planes; BPMs and correctors default to their enabled devices. */
export function resolveOrbitFamilies(acc: Accelerator, options: OrbitFamiliesOptions, planes: readonly Plane[], want: { bpms?: boolean; correctors?: boolean; rf?: boolean }): OrbitFamilies {
  const bpms: Partial<Record<Plane, Family>> = {};
  const correctors: Partial<Record<Plane, Family>> = {};
  for (const p of planes) {
    if (!PLANES.includes(p)) throw new OrbitError(`unknown plane '${String(p)}' (x or y)`);
    if (want.bpms) {
      const ref = options.bpms?.[p];
      const f = pick(acc, 'BPM', ref, ['bpm'], p, false);
      bpms[p] = typeof ref === 'object' ? f : f.enabled();
      if (bpms[p]!.size === 0) throw new OrbitError(`${f.name}: no enabled BPM in the selection`);
    }
    if (want.correctors) {
      const ref = options.correctors?.[p];
      const f = pick(acc, 'corrector', ref, ['corrector'], p, true);
      correctors[p] = typeof ref === 'object' ? f : f.enabled();
      if (correctors[p]!.size === 0) throw new OrbitError(`${f.name}: no enabled corrector in the selection`);
    }
  }
  const rf = want.rf ? pick(acc, 'RF', options.rfFamily, ['rf'], undefined, true) : undefined;
  if (rf && rf.size !== 1) throw new OrbitError(`${rf.name}: the RF family must select exactly one device (has ${rf.size})`);
  return { bpms, correctors, rf };
}

/** The planes asked for (default both); checked. */
export function planesOf(planes: Plane | readonly Plane[] | 'both' | undefined): Plane[] {
  if (planes === undefined || planes === 'both') return ['x', 'y'];
  const list = typeof planes === 'string' ? [planes] : [...planes];
  for (const p of list) if (!PLANES.includes(p)) throw new OrbitError(`unknown plane '${String(p)}' (x, y or both)`);
  if (list.length === 0) throw new OrbitError('no plane given');
  return [...new Set(list)];
}
