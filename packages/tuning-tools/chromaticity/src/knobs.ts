/**
 * Families as knobs of the lattice model: the model parameters a family drives
 * (its `model` binding and the lattice element of each device), and the model's
 * response of the chromaticities to a step of the family in physics units.
 * (The tool depends on @mlayer/core only: @mlayer/tune has the same helper.)
 */
import type { Accelerator, Family, LatticeModel, ParameterRef } from '@mlayer/core';
import { ChromaticityError } from './errors.js';

/** The model element of each device of a family (an index, or a FamName matched in order of occurrence). */
export function familyElements(acc: Accelerator, model: LatticeModel, fam: Family): number[] {
  const next = new Map<string, number>();
  // Devices naming the same FamName are matched in order over the whole family (as the twin binds them).
  const all = acc.family(fam.name);
  const byDevice = new Map<string, number>();
  all.elements.forEach((e, k) => {
    const key = all.deviceList[k].join(',');
    if (e === undefined) return;
    if (typeof e === 'number') {
      if (e < 0 || e >= model.length) throw new ChromaticityError(`${fam.name} ${all.names[k]}: element ${e} is outside the lattice (0..${model.length - 1})`);
      byDevice.set(key, e);
      return;
    }
    const found = model.find(`famname:^${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    if (found.length === 0) throw new ChromaticityError(`${fam.name} ${all.names[k]}: no lattice element named '${e}'`);
    const i = next.get(e) ?? 0;
    next.set(e, i + 1);
    byDevice.set(key, found[Math.min(i, found.length - 1)]);
  });
  return fam.deviceList.map((d, k) => {
    const e = byDevice.get(d.join(','));
    if (e === undefined) throw new ChromaticityError(`${fam.name} ${fam.names[k]}: the device names no lattice element; the model response needs it`);
    return e;
  });
}

/** How a unit step of the family (physics units, every device) changes each model parameter. */
export function familyParameters(acc: Accelerator, model: LatticeModel, fam: Family): { ref: ParameterRef; scale: number }[] {
  const cfg = acc.facility.config.families[fam.name];
  if (!cfg?.model) throw new ChromaticityError(`${acc.facility.file}: families.${fam.name} has no model binding (model: { field, index }); its response cannot come from the model`);
  const binding = cfg.model;
  return familyElements(acc, model, fam).map((element, k) => {
    let scale = 1;
    if (binding.integrated) {
      const L = model.element(element).length;
      if (!(L > 0)) throw new ChromaticityError(`${fam.name} ${fam.names[k]}: element ${element} has length ${L}; an integrated strength needs a positive length`);
      scale = 1 / L;
    }
    return { ref: { element, field: binding.field, index: binding.index }, scale };
  });
}

/**
 * A quantity's response to the families from a model: for each family, the
 * derivative of the pair (e.g. tunes) per unit physics step of every device.
 */
export function modelFamilyResponse(
  acc: Accelerator,
  model: LatticeModel,
  families: readonly Family[],
  compute: (groups: readonly (readonly ParameterRef[])[]) => Float64Array[],
): [Float64Array, Float64Array] {
  const rows: [Float64Array, Float64Array] = [new Float64Array(families.length), new Float64Array(families.length)];
  const groups: ParameterRef[][] = [];
  const owner: { family: number; scale: number }[] = [];
  families.forEach((fam, j) => {
    // Parameters with the same scale change together: one group each.
    const byScale = new Map<number, ParameterRef[]>();
    for (const p of familyParameters(acc, model, fam)) {
      const g = byScale.get(p.scale) ?? [];
      g.push(p.ref);
      byScale.set(p.scale, g);
    }
    for (const [scale, refs] of byScale) {
      groups.push(refs);
      owner.push({ family: j, scale });
    }
  });
  const r = compute(groups);
  r.forEach((d, g) => {
    rows[0][owner[g].family] += d[0] * owner[g].scale;
    rows[1][owner[g].family] += d[1] * owner[g].scale;
  });
  return rows;
}
