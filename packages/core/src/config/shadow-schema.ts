import type { z } from 'zod';
import { lazySchema } from './lazy-schema.js';

/**
 * The facility's digital-shadow section (issue 24): the thresholds of drift and anomaly
 * detection on the residuals measured − model (see DriftDetector in @mlayer/adapters-sim).
 */
const positiveInt = lazySchema((z) => z.number().int().positive());
export const ShadowSchema = lazySchema((z) =>
  z
    .object({
      detection: z
        .object({
          learn: z.number().int().min(2).optional().describe('updates of the quiet window each residual\'s noise is learnt on (default 100)'),
          k: z.number().refine((v) => Number.isFinite(v) && v > 0, { message: 'expected a finite number > 0' }).optional().describe('alarm when a smoothed residual leaves its mean by more than k sigma (default 6)'),
          alpha: z.number().refine((v) => v > 0 && v <= 1, { message: 'expected a number in (0, 1]' }).optional().describe('weight of the newest residual in the smoothing (default 0.3)'),
          deadUpdates: positiveInt.optional().describe('updates without a change that make a BPM dead (default 20)'),
          toleranceUpdates: positiveInt.optional().describe('updates a readback may stay outside its setpoint tolerance before the alarm (default 3)'),
          stuckUpdates: positiveInt.optional().describe('updates a readback may keep its value after its setpoint moved before the alarm (default 5)'),
          currentFraction: z.number().refine((v) => v > 0 && v < 1, { message: 'expected a number in (0, 1)' }).optional().describe('beam-loss alarm when the beam current falls below this fraction of its level learnt on the quiet window (default 0.5)'),
          minLifetime: z.number().refine((v) => Number.isFinite(v) && v > 0, { message: 'expected a finite number > 0' }).optional().describe('beam-loss alarm when the beam current decays with a lifetime (s) shorter than this, fitted over lifetimeUpdates updates (default 600)'),
          lifetimeUpdates: z.number().int().min(2).optional().describe('updates the beam lifetime is fitted over (default 10)'),
        })
        .strict()
        .default({}),
    })
    .strict(),
);
export type ShadowConfig = z.infer<typeof ShadowSchema>;
