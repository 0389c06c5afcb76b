/**
 * The synoptic strip of a lattice: dipoles, quadrupoles, sextupoles, correctors and BPMs as
 * shapes along s, read through core's LatticeModel port (element class, s, length), with
 * the BPMs and correctors of the facility's families where they are known.
 */
import { type Accelerator, type DeviceId, type LatticeModel, elementKind } from '@mlayer/core';

export type StripKind = 'dipole' | 'quadrupole' | 'sextupole' | 'corrector' | 'BPM';

export interface StripElement {
  readonly kind: StripKind;
  /** s at the entrance, m. */
  readonly s: number;
  readonly length: number;
  readonly name: string;
}

export interface LatticeStrip {
  readonly circumference: number;
  readonly elements: readonly StripElement[];
}

/** What an element is on the strip (core's elementKind; BPMs as the facility's families say, see latticeStrip). */
export function stripKind(className: string | undefined, passMethod: string): StripKind | undefined {
  const k = elementKind(className, passMethod);
  return k === 'bpm' ? 'BPM' : k === 'dipole' || k === 'quadrupole' || k === 'sextupole' || k === 'corrector' ? k : undefined;
}

/**
 * The strip of a model. `bpms` (element indices) are drawn as BPMs whatever the lattice calls
 * them; `correctors` get a corrector mark as well as their own shape (a steerer coil on a
 * sextupole is both).
 */
export function latticeStrip(model: LatticeModel, bpms: readonly number[] = [], correctors: readonly number[] = []): LatticeStrip {
  const elements: StripElement[] = [];
  const bpmSet = new Set(bpms);
  const corSet = new Set(correctors);
  for (let i = 0; i < model.length; i++) {
    const e = model.element(i);
    const kind = bpmSet.has(i) ? 'BPM' : stripKind(e.className, e.passMethod);
    if (kind) elements.push({ kind, s: e.s, length: e.length, name: e.famName });
    if (corSet.has(i) && kind !== 'corrector') elements.push({ kind: 'corrector', s: e.s, length: e.length, name: e.famName });
  }
  return { circumference: model.circumference, elements };
}

/** s (m) of each device of a family selection in the accelerator's model; undefined without a model or when a device names no element. */
export function deviceS(acc: Accelerator, family: string, devices: readonly DeviceId[]): { s: number[]; elements: number[] } | undefined {
  const model = acc.model;
  if (!model) return undefined;
  try {
    const elements = acc.family(family).devices(devices as DeviceId[]).latticeElements(model);
    return { s: elements.map((i) => model.element(i).s), elements };
  } catch {
    return undefined;
  }
}
