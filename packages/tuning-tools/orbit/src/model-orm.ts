/**
 * The response matrix from the LatticeModel port, in physics units: the model's
 * m/rad scaled to the families' physics units (e.g. mm/mrad), and the RF column
 * from the dispersion and the momentum compaction.
 */
import { type Accelerator, type Family, type LatticeModel, lookupUnit } from '@mlayer/core';
import { OrbitError } from './errors.js';
import type { Matrix } from '@mlayer/tuning-common';
import { type OrbitFamiliesOptions, planesOf, resolveOrbitFamilies } from './orbit-families.js';
import type { CorrectorAxis, DeviceAxis, OrbitResponseMatrix, Plane, RfColumn } from './orm.js';

export interface ModelOrmOptions extends OrbitFamiliesOptions {
  /** The model (default: the accelerator's model). */
  readonly model?: LatticeModel;
  /** Corrector planes (default both); 'none': the RF column only. */
  readonly planes?: Plane | readonly Plane[] | 'both' | 'none';
  /** BPM planes (default both). */
  readonly observe?: Plane | readonly Plane[] | 'both';
  /** Add the RF column (orbit per RF unit from the dispersion and the momentum compaction). */
  readonly rf?: boolean;
}

/** Lattice element index of every device of a family (FamNames are matched in order of occurrence). */
/** The lattice element of each device of the selection (see Family.latticeElements). */
export function elementIndices(model: LatticeModel, family: Family): number[] {
  return family.latticeElements(model);
}

/** SI factor of a unit, checked against the expected dimension ('' counts as rad). */
function unitFactor(unit: string, expect: 'length' | 'angle' | 'frequency', where: string): number {
  const u = lookupUnit(unit);
  const dims: Record<typeof expect, readonly number[]> = { length: [1, 0, 0, 0, 0, 0, 0], angle: [0, 0, 0, 0, 0, 0, 0], frequency: [0, 0, -1, 0, 0, 0, 0] };
  if (!u || u.unitDimension.some((d, i) => d !== dims[expect][i])) {
    throw new OrbitError(`${where}: physics unit '${unit}' is not a known ${expect} unit; the model's ${expect === 'length' ? 'm' : expect === 'angle' ? 'rad' : 'Hz'} cannot be converted to it`);
  }
  return u.unitSI;
}

/** Rows of `m` in the order of `wanted`, given that `m`'s rows follow `have`. */
function reorder(m: readonly Float64Array[], have: readonly number[], wanted: readonly number[], cols: readonly number[] | undefined, haveCols: readonly number[] | undefined): Matrix {
  const rowPos = new Map(have.map((e, i) => [e, i]));
  const colPos = haveCols ? new Map(haveCols.map((e, i) => [e, i])) : undefined;
  return wanted.map((e) => {
    const row = m[rowPos.get(e)!];
    return cols && colPos ? Float64Array.from(cols, (c) => row[colPos.get(c)!]) : Float64Array.from(row);
  });
}

/** The orbit response matrix of the model, in the families' physics units. */
export async function modelOrm(acc: Accelerator, options: ModelOrmOptions = {}): Promise<OrbitResponseMatrix> {
  const model = options.model ?? acc.model;
  if (!model) throw new OrbitError(`${acc.name}: no lattice model (pass options.model, or build the accelerator with a model)`);
  const planes = options.planes === 'none' ? [] : planesOf(options.planes);
  const observe = planesOf(options.observe);
  const bpmFams = resolveOrbitFamilies(acc, options, observe, { bpms: true }).bpms;
  const fams = resolveOrbitFamilies(acc, options, planes, { correctors: true, rf: options.rf === true });
  const bpmEl: Partial<Record<Plane, number[]>> = {};
  const corEl: Partial<Record<Plane, number[]>> = {};
  for (const p of observe) bpmEl[p] = elementIndices(model, bpmFams[p]!);
  for (const p of planes) corEl[p] = elementIndices(model, fams.correctors[p]!);
  const allBpms = [...new Set(observe.flatMap((p) => bpmEl[p]!))];
  const allCors = [...new Set(planes.flatMap((p) => corEl[p]!))];
  const r = allCors.length > 0 ? model.orbitResponse(allBpms, allCors) : { bpms: allBpms, correctors: allCors, Rxx: [], Rxy: [], Ryx: [], Ryy: [] };
  const bpmScale: Partial<Record<Plane, number>> = {};
  const corScale: Partial<Record<Plane, number>> = {};
  for (const p of observe) bpmScale[p] = unitFactor(bpmFams[p]!.units().physics, 'length', `${bpmFams[p]!.name}`);
  for (const p of planes) corScale[p] = unitFactor(fams.correctors[p]!.units('setpoint').physics, 'angle', `${fams.correctors[p]!.name}`);
  const blocks: Partial<Record<string, Matrix>> = {};
  for (const op of observe) {
    for (const kp of planes) {
      const src = op === 'x' ? (kp === 'x' ? r.Rxx : r.Rxy) : kp === 'x' ? r.Ryx : r.Ryy;
      const scale = corScale[kp]! / bpmScale[op]!;
      blocks[`R${op}${kp}`] = reorder(src, r.bpms, bpmEl[op]!, corEl[kp]!, r.correctors).map((row) => row.map((v) => v * scale));
    }
  }
  let rf: RfColumn | undefined;
  if (fams.rf) {
    const rfFam = fams.rf;
    const rfUnit = rfFam.units('setpoint').physics;
    const rfSI = unitFactor(rfUnit, 'frequency', rfFam.name);
    const fPhys = rfFam.toPhysics(await rfFam.get({ field: 'setpoint' }))[0];
    const fHz = fPhys * rfSI;
    const alpha = model.momentumCompaction();
    const disp = model.dispersion(allBpms);
    const sorted = [...allBpms].sort((a, b) => a - b);
    const pos = new Map(sorted.map((e, i) => [e, i]));
    const col = (p: Plane): Float64Array | undefined =>
      bpmEl[p] && Float64Array.from(bpmEl[p]!, (e) => ((-disp[pos.get(e)!][p === 'x' ? 0 : 1] / (fHz * alpha)) * rfSI) / bpmScale[p]!);
    rf = { family: rfFam.name, device: rfFam.deviceList[0], name: rfFam.names[0], unit: rfUnit, step: 0, x: col('x'), y: col('y') };
  }
  const bpmAxis = (p: Plane): DeviceAxis | undefined => {
    const f = bpmFams[p];
    return f && { family: f.name, devices: f.deviceList, names: f.names, unit: f.units().physics };
  };
  const corAxis = (p: Plane): CorrectorAxis | undefined => {
    const f = fams.correctors[p];
    return f && { family: f.name, devices: f.deviceList, names: f.names, unit: f.units('setpoint').physics, kicks: new Float64Array(f.size) };
  };
  return {
    units: 'physics',
    source: 'model',
    bpms: { x: bpmAxis('x'), y: bpmAxis('y') },
    correctors: { x: corAxis('x'), y: corAxis('y') },
    Rxx: blocks.Rxx,
    Ryx: blocks.Ryx,
    Rxy: blocks.Rxy,
    Ryy: blocks.Ryy,
    rf,
  };
}
