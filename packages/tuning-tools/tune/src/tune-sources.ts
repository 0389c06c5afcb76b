/**
 * Where the tunes come from in a facility: tune monitors (families of element
 * class Tune, one device per plane), or turn-by-turn BPM families (element class
 * BPM with an array monitor) excited by kickers (element class Kicker/Pinger).
 */
import type { Accelerator, Family, FamilyConfig } from '@mlayer/core';
import { TuneError } from './errors.js';

export type PlaneName = 'x' | 'y';
export const PLANES: readonly PlaneName[] = ['x', 'y'];

function configOf(acc: Accelerator, family: string): FamilyConfig {
  const c = acc.facility.config.families[family];
  if (!c) throw new TuneError(`${acc.facility.file}: no family '${family}'`);
  return c;
}

/** Plane of each selected device of a family: the device's own plane, else the family's. */
export function devicePlanes(acc: Accelerator, fam: Family): (PlaneName | undefined)[] {
  const cfg = configOf(acc, fam.name);
  return fam.deviceList.map(([s, i]) => {
    const d = cfg.devices.find((x) => x.device[0] === s && x.device[1] === i);
    return d?.plane ?? cfg.plane;
  });
}

const isClass = (fam: Family, ...classes: string[]) => classes.includes(fam.elementClass.toLowerCase());

/** The tune-monitor device of each plane (a family of class Tune, one device per plane). */
export function tuneMonitors(acc: Accelerator): Partial<Record<PlaneName, Family>> {
  const out: Partial<Record<PlaneName, Family>> = {};
  for (const name of acc.familyNames()) {
    const fam = acc.family(name);
    if (!isClass(fam, 'tune')) continue;
    const planes = devicePlanes(acc, fam);
    planes.forEach((p, k) => {
      const dev = fam.deviceList[k];
      if (p === undefined) {
        throw new TuneError(`${acc.facility.file}: families.${name}: tune monitor ${fam.names[k]} has no plane (give 'plane: x' or 'plane: y' on the device or the family)`);
      }
      if (out[p]) throw new TuneError(`${acc.facility.file}: two tune monitors for plane ${p}: ${out[p]!.name} ${out[p]!.names[0]} and ${name} ${fam.names[k]}`);
      out[p] = fam.devices([dev]);
    });
  }
  return out;
}

/** Turn-by-turn BPM families (array monitors) of each plane. */
export function turnByTurnFamilies(acc: Accelerator): Partial<Record<PlaneName, Family[]>> {
  const out: Partial<Record<PlaneName, Family[]>> = {};
  for (const name of acc.familyNames()) {
    const fam = acc.family(name);
    if (!isClass(fam, 'bpm', 'monitor')) continue;
    const cfg = configOf(acc, name);
    if (cfg.fields.monitor?.dataType !== 'array') continue;
    const planes = devicePlanes(acc, fam);
    for (const p of PLANES) {
      const idx = fam.deviceList.filter((_d, k) => planes[k] === p);
      if (idx.length > 0) (out[p] ??= []).push(fam.devices(idx).enabled());
    }
  }
  return out;
}

/** Kicker (pinger) families of each plane. */
export function kickers(acc: Accelerator): Partial<Record<PlaneName, Family>> {
  const out: Partial<Record<PlaneName, Family>> = {};
  for (const name of acc.familyNames()) {
    const fam = acc.family(name);
    if (!isClass(fam, 'kicker', 'pinger')) continue;
    const planes = devicePlanes(acc, fam);
    for (const p of PLANES) {
      const idx = fam.deviceList.filter((_d, k) => planes[k] === p);
      if (idx.length === 0) continue;
      if (out[p]) throw new TuneError(`${acc.facility.file}: two kicker families for plane ${p} (${out[p]!.name}, ${name}); choose one with options.kickers`);
      out[p] = fam.devices(idx);
    }
  }
  return out;
}
