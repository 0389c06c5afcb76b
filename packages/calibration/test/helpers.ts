import { dirname, join, resolve } from 'node:path';
import { UnitConversionRegistry, rigidity, type ConversionContext, type Particle, type UnitConversion } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { sharedDataDir } from '@mlayer/core/testing';

export const DIAMOND_DIR = join(sharedDataDir(), 'facilities/diamond-i04');
/** A facility file next to the pytac folder (it need not exist: only paths are resolved against it). */
export const FACILITY_FILE = `${DIAMOND_DIR}/facility.yaml`;

export function makeRegistry(): UnitConversionRegistry {
  const registry = new UnitConversionRegistry();
  registerCalibration(registry);
  return registry;
}

export function create(registry: UnitConversionRegistry, id: string, spec: unknown, file = FACILITY_FILE): UnitConversion {
  return registry.create(spec, { file, id, resolvePath: (p) => resolve(dirname(file), p) });
}

export function beamContext(energy: number, particle: Particle = 'electron'): ConversionContext {
  const beam = { energy, particle };
  return { beam, brho: rigidity(beam) };
}

/** |a − b| / |b| (|a| when b is 0). */
export function relErr(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}

/** n points spread over [lo, hi] including both ends, plus the given extra points. */
export function grid(lo: number, hi: number, n: number, extra: readonly number[] = []): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(lo + ((hi - lo) * k) / (n - 1));
  return [...out, ...extra];
}

/**
 * Round-trip error |back − h| / max(|h|, floor). Relative error, except below
 * `floor` (a small fraction of the curve's hardware span) where it is not defined
 * by the solver but by the rounding of the physics value itself: h is determined
 * only to ~ulp(p)/|f'(h)| when the curve has an offset (p(0) ≠ 0).
 */
export function roundTripError(back: number, h: number, floor: number): number {
  return Math.abs(back - h) / Math.max(Math.abs(h), floor);
}
