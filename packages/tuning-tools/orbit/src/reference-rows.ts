/**
 * A BPM reference (a golden orbit, BPM offsets: MML getgolden, getoffset) placed in the rows
 * of a response matrix and in its units, as the correction takes it (`golden`, `offsets`).
 */
import type { Accelerator, BpmReference, DeviceId } from '@mlayer/core';
import type { OrbitResponseMatrix, PerPlane } from './orm.js';

/** Values of a reference in the rows of the matrix (0 for a BPM the reference does not list), in the matrix's units. */
export function referenceRows(acc: Accelerator, ref: BpmReference, orm: OrbitResponseMatrix): PerPlane<Float64Array> {
  const out: { x?: Float64Array; y?: Float64Array } = {};
  for (const p of ['x', 'y'] as const) {
    const axis = orm.bpms[p];
    if (!axis) continue;
    const values = ref.families.get(axis.family);
    const phys = Float64Array.from(axis.names, (n) => values?.get(n) ?? 0);
    if (orm.units === 'physics') out[p] = phys;
    else {
      const fam = acc.family(axis.family).devices(axis.devices as DeviceId[]);
      out[p] = fam.toHardware(phys, fam.readField);
    }
  }
  return out;
}
