/**
 * The orbit a correction steers to (`orbit correct --target zero|golden|FILE`) and the
 * BPM offsets it subtracts, from the facility's golden orbit and offset files (MML
 * getgolden, getoffset), placed in the rows of the response matrix and in its units.
 */
import { MlayerError, facilityTools, readBpmReference, type Accelerator, type BpmReference, type DeviceId } from '@mlayer/core';
import type { OrbitResponseMatrix, PerPlane } from '@mlayer/orbit';

/** Values of a reference file in the rows of the matrix (0 for a BPM the file does not list), in the matrix's units. */
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

export interface OrbitTarget {
  /** What the target is, for the report: 'zero', 'golden (FILE)', FILE. */
  readonly label: string;
  readonly golden?: PerPlane<Float64Array>;
  readonly offsets?: PerPlane<Float64Array>;
}

/**
 * The golden orbit and offsets of a correction. `target`: 'zero', 'golden' (the facility's
 * tools.orbit.golden; an error when it has none), or a file in the golden orbit format;
 * undefined: 'golden' when the facility has a golden orbit, else 'zero'. The facility's
 * BPM offsets are subtracted unless `offsets` is false.
 */
export function orbitTarget(acc: Accelerator, orm: OrbitResponseMatrix, target: string | undefined, offsets: boolean): OrbitTarget {
  const tools = facilityTools(acc.facility);
  const which = target ?? (tools.golden ? 'golden' : 'zero');
  let label = which;
  let golden: PerPlane<Float64Array> | undefined;
  if (which === 'golden') {
    if (!tools.golden) throw new MlayerError(`--target golden: facility ${acc.name} (${acc.facility.file}) names no golden orbit (tools.orbit.golden)`);
    golden = referenceRows(acc, readBpmReference(tools.golden, acc.facility.config, 'golden orbit'), orm);
    label = `golden (${tools.golden})`;
  } else if (which !== 'zero') {
    golden = referenceRows(acc, readBpmReference(which, acc.facility.config, 'target orbit'), orm);
  }
  const off = offsets && tools.offsets ? referenceRows(acc, readBpmReference(tools.offsets, acc.facility.config, 'BPM offset'), orm) : undefined;
  return { label: off ? `${label}, BPM offsets ${tools.offsets}` : label, golden, offsets: off };
}
