/**
 * An orbit-tool response matrix (its measurement file, with the RF column) as
 * LOCO input: BPM and corrector devices become lattice elements through their
 * families (the facility's `element` of each device), the matrix becomes the
 * orbit change in m per corrector step (the step in rad through the corrector's
 * conversion at the setpoint it was measured from), the standard errors of the
 * entries become the BPM noise, the RF column the dispersion per RF step.
 */
import { type Accelerator, type DeviceId, MlayerError } from '@mlayer/core';
import { type LocoOrm, parseOrm } from '@mlayer/loco';
import type { OrbitResponseMatrix } from '@mlayer/orbit';

/** Metres per unit of a BPM reading. */
const LENGTH: Record<string, number> = { m: 1, mm: 1e-3, um: 1e-6, 'µm': 1e-6, nm: 1e-9 };
/** Radians per unit of a physics corrector setpoint. */
const ANGLE: Record<string, number> = { rad: 1, mrad: 1e-3, urad: 1e-6, 'µrad': 1e-6 };
/** Hz per unit of an RF setpoint. */
const FREQUENCY: Record<string, number> = { Hz: 1, kHz: 1e3, MHz: 1e6, GHz: 1e9 };

function factor(table: Record<string, number>, unit: string, what: string, file: string): number {
  const f = table[unit];
  if (f === undefined) throw new MlayerError(`${file}: ${what} are in '${unit}'; LOCO needs one of ${Object.keys(table).join(', ')}`);
  return f;
}

/** The matrix of a measurement file as LOCO's ORM.json contents (checked by the same reader). */
export function locoOrmFromMeasurement(orm: OrbitResponseMatrix, acc: Accelerator, file: string): LocoOrm {
  const model = acc.model;
  if (!model) throw new MlayerError(`${acc.name}: no lattice model; the BPMs and correctors of ${file} cannot be placed in the lattice`);
  const bx = orm.bpms.x, by = orm.bpms.y;
  const axis = bx ?? by;
  if (!axis) throw new MlayerError(`${file}: no BPM axis`);
  const elementsOf = (family: string, devices: readonly DeviceId[]) => acc.family(family).devices(devices).latticeElements(model);
  const bpmElements = elementsOf(axis.family, axis.devices);
  if (bx && by) {
    const other = elementsOf(by.family, by.devices);
    if (other.length !== bpmElements.length || other.some((e, i) => e !== bpmElements[i])) {
      throw new MlayerError(`${file}: the x BPMs (${bx.family}) and y BPMs (${by.family}) are not the same elements in the same order; LOCO needs one BPM list for both planes`);
    }
  }
  const toM = factor(LENGTH, axis.unit, 'BPM readings', file);
  const setpoint = (family: string, name: string) => {
    const f = orm.setpoints?.families[family];
    const k = f ? f.names.indexOf(name) : -1;
    return k >= 0 ? f!.values[k] : 0;
  };
  const correctors = { x: [] as { name: string; element: number; kick: number }[], y: [] as { name: string; element: number; kick: number }[] };
  const stepUnit: Record<string, number> = {};
  for (const p of ['x', 'y'] as const) {
    const c = orm.correctors[p];
    if (!c) continue;
    const elements = elementsOf(c.family, c.devices);
    c.names.forEach((name, j) => {
      const k = c.kicks[j];
      if (!(k > 0)) throw new MlayerError(`${file}: corrector ${name} has step ${k} ${c.unit}; LOCO needs the measured step (a model matrix has none)`);
      let rad: number;
      if (orm.units === 'physics') rad = k * factor(ANGLE, c.unit, `${c.family} setpoints`, file);
      else {
        const fam = acc.family(c.family).devices([c.devices[j]]);
        const sp = setpoint(c.family, name);
        const angle = factor(ANGLE, fam.units('setpoint').physics, `${c.family} physics setpoints`, file);
        rad = ((fam.toPhysics([sp + k])[0] - fam.toPhysics([sp - k])[0]) / 2) * angle;
      }
      correctors[p].push({ name, element: elements[j], kick: rad });
      stepUnit[`${p}${j}`] = k;
    });
  }
  const blocks: Record<string, (number | null)[][]> = {};
  const noise: { x: number[]; y: number[] } = { x: [], y: [] };
  for (const a of ['x', 'y'] as const) {
    const sums = new Array(bpmElements.length).fill(0);
    const counts = new Array(bpmElements.length).fill(0);
    for (const b of ['x', 'y'] as const) {
      const name = `R${a}${b}` as 'Rxx' | 'Rxy' | 'Ryx' | 'Ryy';
      const m = orm[name];
      if (!m || !orm.correctors[b]) continue;
      const kicks = orm.correctors[b]!.kicks;
      blocks[`${a}${b}`] = m.map((row) => Array.from(row, (v, j) => (Number.isFinite(v) ? v * kicks[j] * toM : null)));
      const s = orm.std?.[name];
      if (s) s.forEach((row, i) => row.forEach((v, j) => {
        if (Number.isFinite(v)) {
          sums[i] += (v * kicks[j] * toM) ** 2;
          counts[i]++;
        }
      }));
    }
    for (let i = 0; i < bpmElements.length; i++) noise[a].push(counts[i] > 0 ? Math.sqrt(sums[i] / counts[i]) : Number.NaN);
  }
  const raw: Record<string, unknown> = {
    bpms: axis.names.map((name, i) => ({ name, element: bpmElements[i] })),
    correctors,
    orm: blocks,
  };
  // The noise only when every BPM has one (a matrix measured without averaging has no standard errors).
  if ([...noise.x, ...noise.y].every((v) => Number.isFinite(v) && v > 0)) raw.noise = noise;
  if (orm.rf && orm.rf.step > 0 && (orm.rf.x || orm.rf.y)) {
    const hz = factor(FREQUENCY, orm.rf.unit, 'RF setpoints', file);
    const col = (v: Float64Array | undefined) => (v ? Array.from(v, (x) => (Number.isFinite(x) ? x * orm.rf!.step * toM : null)) : bpmElements.map(() => null));
    raw.dispersion = { x: col(orm.rf.x), y: col(orm.rf.y), rfStep: orm.rf.step * hz };
  }
  return parseOrm(raw, file);
}
