/** The `mlayer model aperture` action: dynamic aperture of a lattice file by tracking. */
import type { Command } from 'commander';
import { MlayerError } from '@mlayer/core';
import { compile6d, compileLattice, dynamicAperture, loadLattice } from '@mlayer/engine';
import { dynamicApertureParallel } from '@mlayer/engine/gpu';

export interface ModelApertureOptions {
  readonly lattice?: string;
  readonly use?: string;
  readonly '6d'?: boolean;
  readonly amplitudes: string;
  readonly npoints: string;
  readonly turns: string;
  readonly workers: string;
  readonly json?: boolean;
}

function pair(option: string, value: string, integer: boolean): [number, number] {
  const v = value.split(',').map(Number);
  if (v.length !== 2 || v.some((x) => !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x)))) {
    throw new MlayerError(`--${option} '${value}': give two positive ${integer ? 'integers' : 'numbers'} separated by a comma`);
  }
  return [v[0], v[1]];
}

function positiveInt(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new MlayerError(`--${option} '${value}' is not a positive integer`);
  return n;
}

export async function modelApertureAction(o: ModelApertureOptions, cmd: Command): Promise<void> {
  const json = o.json || cmd.optsWithGlobals<{ json?: boolean }>().json;
  const sixD = !!o['6d'];
  const opts = {
    amplitudes: pair('amplitudes', o.amplitudes, false),
    npoints: pair('npoints', o.npoints, true),
    nturns: positiveInt('turns', o.turns),
    sixD,
  };
  const workers = positiveInt('workers', o.workers);
  const lattice = loadLattice(o.lattice as string, { use: o.use });
  const r = workers > 1
    ? await dynamicApertureParallel(lattice, opts, { workers })
    : dynamicAperture(sixD ? compile6d(lattice) : compileLattice(lattice), opts);
  const survivors = r.survived.filter(Boolean).length;
  if (json) {
    process.stdout.write(`${JSON.stringify({ lattice: o.lattice, mode: sixD ? '6d' : '4d', ...opts, closed_orbit: [...r.orbit], survivors, points: r.survived.length, grid_xy_m: r.grid, survived: r.survived, boundary_xy_m: r.boundary })}\n`);
    return;
  }
  const mm = (v: number) => (v * 1e3).toFixed(3).padStart(9);
  const lines = [
    `dynamic aperture of ${o.lattice} (${sixD ? '6D' : '4D'}), ${opts.nturns}+1 turns, grid ${opts.npoints[0]} radii x ${opts.npoints[1]} angles`,
    `survivors ${survivors} of ${r.survived.length}`,
    'boundary per angle   x [mm]    y [mm]',
    ...r.boundary.map(([x, y], i) => `  angle ${String(i).padStart(2)}   ${mm(x)} ${mm(y)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
