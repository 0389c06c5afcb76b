/**
 * The orbit response matrix as the orbit tool holds it: four blocks
 * R<observed plane><kick plane> (rows BPMs, columns correctors) in one unit
 * system, the RF column, and the device axes they belong to.
 */
import type { CheckSummary, DeviceId, Snapshot, Units } from '@mlayer/core';
import { OrbitError } from './errors.js';
import type { Matrix } from '@mlayer/tuning-common';

export type Plane = 'x' | 'y';
export const PLANES: readonly Plane[] = ['x', 'y'];

/** Something per plane (orbit readings, weights, golden orbit, ...). */
export interface PerPlane<T> {
  readonly x?: T;
  readonly y?: T;
}

/** Devices of one family along an axis of the matrix. */
export interface DeviceAxis {
  readonly family: string;
  readonly devices: readonly DeviceId[];
  readonly names: readonly string[];
  /** Unit of the values along this axis (BPM reading unit, corrector setpoint unit). */
  readonly unit: string;
}

export interface CorrectorAxis extends DeviceAxis {
  /** Half-amplitude of the bipolar step used per corrector (axis unit); 0 for a model matrix. */
  readonly kicks: Float64Array;
}

export interface RfColumn {
  readonly family: string;
  readonly device: DeviceId;
  readonly name: string;
  /** Unit of the RF setpoint (Hz, kHz, ...). */
  readonly unit: string;
  /** Half-amplitude of the bipolar RF step (RF unit); 0 for a model column. */
  readonly step: number;
  /** Orbit change per RF unit, per BPM (rows of bpms.x / bpms.y). */
  readonly x?: Float64Array;
  readonly y?: Float64Array;
}

export interface OrbitResponseMatrix {
  /** Unit system of BPM readings and corrector setpoints the matrix relates. */
  readonly units: Units;
  readonly source: 'measured' | 'model';
  readonly bpms: PerPlane<DeviceAxis>;
  readonly correctors: PerPlane<CorrectorAxis>;
  /** x orbit per x kick (rows bpms.x, columns correctors.x). */
  readonly Rxx?: Matrix;
  /** y orbit per x kick. */
  readonly Ryx?: Matrix;
  /** x orbit per y kick. */
  readonly Rxy?: Matrix;
  readonly Ryy?: Matrix;
  readonly rf?: RfColumn;
  /** Standard errors of the measured entries (same layout), when measured with averaging. */
  readonly std?: { readonly Rxx?: Matrix; readonly Ryx?: Matrix; readonly Rxy?: Matrix; readonly Ryy?: Matrix; readonly rfx?: Float64Array; readonly rfy?: Float64Array };
  /** Setpoints of the machine before the measurement (hardware units). */
  readonly setpoints?: Snapshot;
  /** The sanity checks of every measured column (symmetry, model), retries and flags. */
  readonly checks?: CheckSummary;
  /** Warnings raised while measuring (settling defaults, checks skipped). */
  readonly warnings?: readonly string[];
}

export type BlockName = 'Rxx' | 'Ryx' | 'Rxy' | 'Ryy';

/** Name of the block relating the orbit in `obs` to kicks in `kick`. */
export function blockName(obs: Plane, kick: Plane): BlockName {
  return `R${obs}${kick}` as BlockName;
}

/** The block relating the orbit in `obs` to kicks in `kick`, or undefined when absent. */
export function block(orm: OrbitResponseMatrix, obs: Plane, kick: Plane): Matrix | undefined {
  return orm[blockName(obs, kick)];
}

/** Checks the shapes of every block against the axes; throws naming the block. */
export function checkOrm(orm: OrbitResponseMatrix, where = 'orbit response matrix'): void {
  for (const obs of PLANES) {
    for (const kick of PLANES) {
      const b = block(orm, obs, kick);
      if (!b) continue;
      const rows = orm.bpms[obs];
      const cols = orm.correctors[kick];
      if (!rows || !cols) throw new OrbitError(`${where}: block ${blockName(obs, kick)} is given without the ${!rows ? `BPM ${obs}` : `corrector ${kick}`} axis`);
      if (b.length !== rows.devices.length) throw new OrbitError(`${where}: block ${blockName(obs, kick)} has ${b.length} rows for ${rows.devices.length} BPMs of ${rows.family}`);
      b.forEach((r, i) => {
        if (r.length !== cols.devices.length) throw new OrbitError(`${where}: block ${blockName(obs, kick)} row ${i} has ${r.length} columns for ${cols.devices.length} correctors of ${cols.family}`);
      });
    }
  }
  for (const plane of PLANES) {
    const col = orm.rf?.[plane];
    const rows = orm.bpms[plane];
    if (col && (!rows || col.length !== rows.devices.length)) throw new OrbitError(`${where}: RF column ${plane} has ${col.length} entries for ${rows?.devices.length ?? 0} BPMs`);
  }
}

const key = (d: DeviceId): string => `${d[0]},${d[1]}`;

/** Positions of `wanted` devices in an axis (an error names the missing device). */
export function indicesOf(axis: DeviceAxis, wanted: readonly DeviceId[]): number[] {
  const pos = new Map(axis.devices.map((d, i) => [key(d), i]));
  return wanted.map((d) => {
    const i = pos.get(key(d));
    if (i === undefined) throw new OrbitError(`${axis.family}: device [${d[0]}, ${d[1]}] is not in the response matrix`);
    return i;
  });
}

/** A sub-matrix over chosen BPM and corrector devices (planes without a selection are kept whole). */
export function selectOrm(orm: OrbitResponseMatrix, select: { bpms?: PerPlane<readonly DeviceId[]>; correctors?: PerPlane<readonly DeviceId[]> }): OrbitResponseMatrix {
  const rowIdx: PerPlane<number[]> = {
    x: orm.bpms.x && (select.bpms?.x ? indicesOf(orm.bpms.x, select.bpms.x) : orm.bpms.x.devices.map((_d, i) => i)),
    y: orm.bpms.y && (select.bpms?.y ? indicesOf(orm.bpms.y, select.bpms.y) : orm.bpms.y.devices.map((_d, i) => i)),
  };
  const colIdx: PerPlane<number[]> = {
    x: orm.correctors.x && (select.correctors?.x ? indicesOf(orm.correctors.x, select.correctors.x) : orm.correctors.x.devices.map((_d, i) => i)),
    y: orm.correctors.y && (select.correctors?.y ? indicesOf(orm.correctors.y, select.correctors.y) : orm.correctors.y.devices.map((_d, i) => i)),
  };
  const axis = <A extends DeviceAxis>(a: A | undefined, idx: number[] | undefined): A | undefined =>
    a && idx ? ({ ...a, devices: idx.map((i) => a.devices[i]), names: idx.map((i) => a.names[i]), ...('kicks' in a ? { kicks: Float64Array.from(idx, (i) => (a as unknown as CorrectorAxis).kicks[i]) } : {}) } as A) : undefined;
  const sub = (m: Matrix | undefined, obs: Plane, kick: Plane): Matrix | undefined => {
    const r = rowIdx[obs];
    const c = colIdx[kick];
    return m && r && c ? r.map((i) => Float64Array.from(c, (j) => m[i][j])) : undefined;
  };
  const vec = (v: Float64Array | undefined, plane: Plane): Float64Array | undefined => {
    const r = rowIdx[plane];
    return v && r ? Float64Array.from(r, (i) => v[i]) : undefined;
  };
  return {
    ...orm,
    bpms: { x: axis(orm.bpms.x, rowIdx.x), y: axis(orm.bpms.y, rowIdx.y) },
    correctors: { x: axis(orm.correctors.x, colIdx.x), y: axis(orm.correctors.y, colIdx.y) },
    Rxx: sub(orm.Rxx, 'x', 'x'),
    Ryx: sub(orm.Ryx, 'y', 'x'),
    Rxy: sub(orm.Rxy, 'x', 'y'),
    Ryy: sub(orm.Ryy, 'y', 'y'),
    rf: orm.rf && { ...orm.rf, x: vec(orm.rf.x, 'x'), y: vec(orm.rf.y, 'y') },
    std: orm.std && {
      Rxx: sub(orm.std.Rxx, 'x', 'x'),
      Ryx: sub(orm.std.Ryx, 'y', 'x'),
      Rxy: sub(orm.std.Rxy, 'x', 'y'),
      Ryy: sub(orm.std.Ryy, 'y', 'y'),
      rfx: vec(orm.std.rfx, 'x'),
      rfy: vec(orm.std.rfy, 'y'),
    },
  };
}
