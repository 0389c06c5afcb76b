import type { z } from 'zod';
import { lazySchema } from '@mlayer/core';

/**
 * A fault injected into the twin (issue 24): what fails, from when, how. `start` is a time on
 * the twin's clock (ms since the epoch, the Clock port's scale); `after` (s) is a delay from
 * the moment of injection instead. Devices are named by their name or [sector, index]; a
 * fault without a device acts on every device of the family (corrector noise).
 */
export const FaultSpecSchema = lazySchema((z) => {
  const when = {
    /** Time the fault appears, ms on the twin's clock (default: at injection). */
    start: z.number().finite().optional(),
    /** Seconds after the injection (instead of start). */
    after: z.number().nonnegative().finite().optional(),
  };
  const device = z.union([z.string().min(1), z.tuple([z.number().int(), z.number().int()])]);
  const one = { family: z.string().min(1), device, ...when };
  return z.discriminatedUnion('kind', [
    /** The supply trips: its output (readback and field) goes from its value at the start to zero over `ramp` seconds; setpoints are ignored. */
    z.object({ kind: z.literal('trip'), ...one, ramp: z.number().nonnegative().finite().default(1) }).strict(),
    /** The supply is stuck: output and readback keep their value at the start whatever is set. */
    z.object({ kind: z.literal('stuck'), ...one }).strict(),
    /** The magnet's field changes by `relative` (0.01: +1 %) at the start (a gradient error of a quadrupole). */
    z.object({ kind: z.literal('gradient'), ...one, relative: z.number().finite() }).strict(),
    /** The BPM fails (both planes): reads NaN, keeps its reading at the start ('constant'), or its noise × factor ('noise'; `sigma` in m replaces it). */
    z.object({ kind: z.literal('bpm'), ...one, mode: z.enum(['nan', 'constant', 'noise']), factor: z.number().positive().finite().default(10), sigma: z.number().nonnegative().finite().optional() }).strict(),
    /** The RF frequency the beam sees drifts by `rate` Hz/s from the start (the RF readback does not show it). */
    z.object({ kind: z.literal('rf-drift'), rate: z.number().finite(), ...when }).strict(),
    /** Supply noise on correctors: `sigma` hardware units rms, a new draw at each update step (seeded). */
    z.object({ kind: z.literal('corrector-noise'), family: z.string().min(1), device: device.optional(), sigma: z.number().nonnegative().finite(), seed: z.number().int().optional(), ...when }).strict(),
    /** The beam current decays as exp(-t/lifetime) from the start (lifetime in s). */
    z.object({ kind: z.literal('beam-loss'), lifetime: z.number().positive().finite(), ...when }).strict(),
  ]);
});
export type FaultSpecInput = z.input<typeof FaultSpecSchema>;
type Parsed = z.infer<typeof FaultSpecSchema>;
/** A fault as the twin keeps it (and its state file): `start` resolved, no `after`. */
export type TwinFault = Parsed extends infer T ? (T extends unknown ? Omit<T, 'after' | 'start'> & { readonly start: number } : never) : never;
export type FaultKind = TwinFault['kind'];
