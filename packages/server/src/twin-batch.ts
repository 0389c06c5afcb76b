/**
 * The twin's batch (adapters-sim's TwinControlSystem.batch): changes made inside are published
 * as one (its monitors skip their ticks meanwhile), and its model computation counters. Other
 * control systems have neither: the body runs as it is, the counters are null.
 */
import type { Accelerator } from '@mlayer/core';

interface TwinBatching {
  batch<T>(body: () => Promise<T>): Promise<T>;
  readonly computations: { readonly orbit: number; readonly tunes: number };
}

function batching(acc: Accelerator): TwinBatching | undefined {
  const cs = acc.controlSystem as Partial<TwinBatching>;
  return typeof cs.batch === 'function' && typeof cs.computations === 'object' ? (cs as TwinBatching) : undefined;
}

/** Runs body inside the twin's batch (as it is for another control system). */
export function inTwinBatch<T>(acc: Accelerator, body: () => Promise<T>): Promise<T> {
  const twin = batching(acc);
  return twin ? twin.batch(body) : body();
}

/** The twin's model computations so far (closed orbits, tunes), null for another control system. */
export function modelComputations(acc: Accelerator): { orbit: number; tunes: number } | null {
  const c = batching(acc)?.computations;
  return c ? { orbit: c.orbit, tunes: c.tunes } : null;
}
