import type { z } from 'zod';
import { lazySchema } from '@mlayer/core';

/** One random quantity: distribution, sigma (rms, SI units) and truncation in sigmas. */
export const DistributionSchema = lazySchema((z) => z
  .object({
    distribution: z.enum(['gaussian', 'uniform']).default('gaussian'),
    /** rms for gaussian; half-width for uniform. */
    sigma: z.number().nonnegative(),
    /** Truncation in sigmas (gaussian only). */
    truncation: z.number().positive().optional(),
  })
  .strict());
export type Distribution = z.infer<typeof DistributionSchema>;

/** A number is shorthand for a gaussian with that sigma. */
const dist = lazySchema((z) => z.union([z.number().nonnegative().transform((sigma): Distribution => ({ distribution: 'gaussian', sigma })), DistributionSchema]));

/** Errors of the magnets of one family (misalignment in m, roll in rad, field error relative). */
export const MagnetErrorsSchema = lazySchema((z) => z
  .object({
    dx: dist.optional(),
    dy: dist.optional(),
    roll: dist.optional(),
    /** Relative error of the main field (dK/K, or corrector calibration error dθ/θ). */
    field: dist.optional(),
  })
  .strict());

/** Errors of the BPMs of one family (offset in m, gain relative, rotation rad, noise in m rms per reading). */
export const BpmErrorsSchema = lazySchema((z) => z
  .object({
    offset: dist.optional(),
    gain: dist.optional(),
    rotation: dist.optional(),
    /** Reading noise, m rms (a fixed rms, not drawn). */
    noise: z.number().nonnegative().optional(),
  })
  .strict());

/**
 * An error set, by family name (the facility's families). Seeded and reproducible:
 * each family and quantity draws from its own stream derived from the seed.
 */
export const ErrorSpecSchema = lazySchema((z) => z
  .object({
    description: z.string().optional(),
    magnets: z.record(z.string(), MagnetErrorsSchema).default({}),
    bpms: z.record(z.string(), BpmErrorsSchema).default({}),
    /** Static error of the injected beam at the injection point: position (m) and angle (rad) per plane, drawn once per seed. */
    injection: z.object({ x: dist.optional(), px: dist.optional(), y: dist.optional(), py: dist.optional() }).strict().optional(),
    /** RF frequency offset in Hz. */
    rf: z.object({ frequency: dist.optional() }).strict().optional(),
  })
  .strict());
export type ErrorSpec = z.infer<typeof ErrorSpecSchema>;
export type ErrorSpecInput = z.input<typeof ErrorSpecSchema>;
