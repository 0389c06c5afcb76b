/**
 * The orbit a correction steers to (`orbit correct --target zero|golden|FILE`, the server's
 * orbit-correct runs) and the
 * BPM offsets it subtracts, from the facility's golden orbit and offset files (MML
 * getgolden, getoffset), placed in the rows of the response matrix and in its units.
 */
import { extname, resolve } from 'node:path';
import { MlayerError, facilityTools, readBpmReference, type Accelerator, type BpmReference } from '@mlayer/core';
import { ORBIT_DATA_TYPE } from './files.js';
import type { OrbitResponseMatrix, PerPlane } from './orm.js';
import { referenceRows } from './reference-rows.js';

/**
 * A measured orbit as a reference (`mlayer orbit show` writes one: orbit-<time>.h5): the mean
 * reading of each BPM, in the physics units of its family.
 */
export async function readOrbitReference(acc: Accelerator, path: string): Promise<BpmReference> {
  const file = resolve(path);
  const { readMeasurement } = await import('@mlayer/data');
  const m = await readMeasurement(file);
  if (m.dataType !== ORBIT_DATA_TYPE) throw new MlayerError(`${file}: an orbit reference in HDF5 is an orbit measurement (mlayer orbit show), this file holds '${m.dataType}'`);
  if (m.facility.name !== acc.facility.config.name) throw new MlayerError(`${file}: an orbit of facility '${m.facility.name}', not of '${acc.facility.config.name}'`);
  const families = new Map<string, Map<string, number>>();
  for (const p of ['x', 'y'] as const) {
    const rec = m.datasets.find((d) => d.path === `${p}/mean`);
    if (!rec) continue;
    const family = String(rec.attributes.family);
    const names = rec.axes[0]?.names ?? [];
    const values = Float64Array.from(rec.value as ArrayLike<number>);
    const fam = acc.family(family).byName(...names);
    const phys = m.attributes.units === 'physics' ? values : fam.toPhysics(values, fam.readField);
    families.set(family, new Map(names.map((n, i) => [n, phys[i]])));
  }
  return { file, unit: 'physics units of each family', families };
}

const referenceOf = (acc: Accelerator, file: string, what: string): Promise<BpmReference> | BpmReference =>
  extname(file).toLowerCase() === '.h5' ? readOrbitReference(acc, file) : readBpmReference(file, acc.facility.config, what);

export interface OrbitTarget {
  /** What the target is, for the report: 'zero', 'golden (FILE)', FILE. */
  readonly label: string;
  readonly golden?: PerPlane<Float64Array>;
  readonly offsets?: PerPlane<Float64Array>;
}

/**
 * The golden orbit and offsets of a correction. `target`: 'zero', 'golden' (the facility's
 * tools.orbit.golden; an error when it has none), a file in the golden orbit format, or an
 * orbit measurement file (.h5, `mlayer orbit show`: MML's "golden from the present orbit");
 * undefined: 'golden' when the facility has a golden orbit, else 'zero'. The facility's
 * BPM offsets are subtracted unless `offsets` is false.
 */
export async function orbitTarget(acc: Accelerator, orm: OrbitResponseMatrix, target: string | undefined, offsets: boolean): Promise<OrbitTarget> {
  const tools = facilityTools(acc.facility);
  const which = target ?? (tools.golden ? 'golden' : 'zero');
  let label = which;
  let golden: PerPlane<Float64Array> | undefined;
  if (which === 'golden') {
    if (!tools.golden) throw new MlayerError(`target golden: facility ${acc.name} (${acc.facility.file}) names no golden orbit (tools.orbit.golden)`);
    golden = referenceRows(acc, await referenceOf(acc, tools.golden, 'golden orbit'), orm);
    label = `golden (${tools.golden})`;
  } else if (which !== 'zero') {
    golden = referenceRows(acc, await referenceOf(acc, which, 'target orbit'), orm);
  }
  const off = offsets && tools.offsets ? referenceRows(acc, readBpmReference(tools.offsets, acc.facility.config, 'BPM offset'), orm) : undefined;
  return { label: off ? `${label}, BPM offsets ${tools.offsets}` : label, golden, offsets: off };
}
