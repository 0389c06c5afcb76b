/** The `mlayer model aperture` action: dynamic aperture of a lattice file by tracking. */
import type { Command } from 'commander';
import { MlayerError } from '@mlayer/core';
import { compile6d, compileLattice, dynamicAperture, loadLattice, momentumScan } from '@mlayer/engine';
import { dynamicApertureGpu, dynamicApertureParallel } from '@mlayer/engine/gpu';
import { writeSpec } from '../plots.js';
import { dynamicApertureSpec, momentumAcceptanceSpec } from '../plots/aperture.js';

export interface ModelApertureOptions {
  readonly lattice?: string;
  readonly use?: string;
  readonly '6d'?: boolean;
  readonly amplitudes: string;
  readonly npoints: string;
  readonly turns: string;
  readonly workers: string;
  readonly gpu?: boolean;
  readonly momentum?: string;
  readonly plot?: string;
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
  if (o.gpu && workers > 1) throw new MlayerError(`--gpu and --workers ${workers}: choose one backend`);
  const scan = o.momentum === undefined ? undefined : pair('momentum', o.momentum, false);
  if (scan && !Number.isInteger(scan[1])) throw new MlayerError(`--momentum '${o.momentum}': the number of points must be an integer`);
  const lattice = loadLattice(o.lattice as string, { use: o.use });
  const compiled = sixD ? compile6d(lattice) : compileLattice(lattice);
  const gpu = o.gpu ? await dynamicApertureGpu(lattice, opts) : undefined;
  const r = gpu ?? (workers > 1 ? await dynamicApertureParallel(lattice, opts, { workers }) : dynamicAperture(compiled, opts));
  const backend = gpu ? `WebGPU ${gpu.adapter}` : workers > 1 ? `CPU, ${workers} worker threads` : 'CPU, 1 thread';
  const ma = scan ? momentumScan(compiled, { amplitude: scan[0], npoints: scan[1], nturns: opts.nturns, sixD }) : undefined;
  const survivors = r.survived.filter(Boolean).length;
  const mode = sixD ? '6D' : '4D';
  let files: string[] = [];
  if (o.plot) {
    const subtitle = `${o.lattice} (${mode}), ${opts.nturns}+1 turns, ${backend}`;
    const da = await writeSpec(`${o.plot}-da`, dynamicApertureSpec({ title: `Dynamic aperture: ${survivors} of ${r.survived.length} grid points survive`, subtitle, grid: r.grid, survived: r.survived, boundary: r.boundary }));
    files = [da.svg, da.png];
    if (ma) {
      const m = await writeSpec(`${o.plot}-momentum`, momentumAcceptanceSpec({ title: `Momentum acceptance at the lattice start: ${(ma.boundary[0] * 100).toFixed(2)} % / +${(ma.boundary[1] * 100).toFixed(2)} %`, subtitle, dp: ma.dp, survived: ma.survived, boundary: ma.boundary }));
      files.push(m.svg, m.png);
    }
  }
  if (json) {
    const momentum = ma ? { dp: ma.dp, survived: ma.survived, boundary_dp: ma.boundary } : undefined;
    process.stdout.write(`${JSON.stringify({ lattice: o.lattice, mode: sixD ? '6d' : '4d', ...opts, backend, closed_orbit: [...r.orbit], survivors, points: r.survived.length, grid_xy_m: r.grid, survived: r.survived, boundary_xy_m: r.boundary, momentum_acceptance: momentum, files })}\n`);
    return;
  }
  const mm = (v: number) => (v * 1e3).toFixed(3).padStart(9);
  const lines = [
    `dynamic aperture of ${o.lattice} (${mode}), ${opts.nturns}+1 turns, grid ${opts.npoints[0]} radii x ${opts.npoints[1]} angles (${backend})`,
    `survivors ${survivors} of ${r.survived.length}`,
    'boundary per angle   x [mm]    y [mm]',
    ...r.boundary.map(([x, y], i) => `  angle ${String(i).padStart(2)}   ${mm(x)} ${mm(y)}`),
  ];
  if (ma) lines.push(`momentum acceptance (${ma.dp.length} points of delta in +-${scan![0]}): ${(ma.boundary[0] * 100).toFixed(3)} % to +${(ma.boundary[1] * 100).toFixed(3)} %`);
  for (const f of files) lines.push(`wrote ${f}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
