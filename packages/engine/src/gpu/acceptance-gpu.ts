/**
 * Dynamic aperture on WebGPU: the grid points and starting coordinates of physics/acceptance.ts
 * (pyAT's radial grid, closed orbit + 1e-6, nturns + 1 passes), tracked in one WebGpuTracker
 * call (4D, or 6D with the kernel's RF cavities and radiation), losses read back as on the CPU.
 */
import type { Lattice } from '../lattice.js';
import { compile6d } from '../physics/enable-6d.js';
import { dynamicApertureResult, dynamicApertureStart, type DynamicApertureOptions, type DynamicApertureResult } from '../physics/acceptance.js';
import { compileLattice } from '../tracking/compile.js';
import { describeAdapter, openWebGpu, type WebGpuContext } from './device.js';
import { WebGpuTracker } from './webgpu-tracker.js';
import type { Precision } from './wgsl/arith.js';

export interface DynamicApertureGpuOptions {
  /** An open context (kept open); default: one opened for this call ('any': hardware, else the software renderer) and closed. */
  readonly context?: WebGpuContext;
  /** Kernel arithmetic (default 'ff'). */
  readonly precision?: Precision;
}

export interface DynamicApertureGpuResult extends DynamicApertureResult {
  /** The adapter that tracked (describeAdapter). */
  readonly adapter: string;
}

export async function dynamicApertureGpu(lattice: Lattice, o: DynamicApertureOptions, options: DynamicApertureGpuOptions = {}): Promise<DynamicApertureGpuResult> {
  const compiled = o.sixD ? compile6d(lattice) : compileLattice(lattice);
  const { grid, coords, orbit, angles } = dynamicApertureStart(compiled, o);
  const context = options.context ?? (await openWebGpu({ require: 'any' }));
  try {
    const tracker = await WebGpuTracker.create(context, compiled, { precision: options.precision ?? 'ff' });
    try {
      const res = await tracker.track(coords, { turns: o.nturns + 1 });
      return { ...dynamicApertureResult(grid, res.lostTurn, o.npoints[0], angles, orbit), adapter: describeAdapter(context.adapter) };
    } finally {
      tracker.destroy();
    }
  } finally {
    if (!options.context) context.destroy();
  }
}
