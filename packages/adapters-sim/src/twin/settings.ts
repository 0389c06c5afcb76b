import { z } from 'zod';

/** Settings of a twin control system (`controlSystems.twin.settings` in the facility file). */
export const TwinSettingsSchema = z
  .object({
    /** Rate at which monitors of BPMs, readbacks, tune and current emit (Hz). */
    updateRate: z.number().positive().default(10),
    /** BPM reading noise in m rms (an error set may override it per family). */
    bpmNoise: z.number().nonnegative().default(0),
    /** Power-supply readback noise in hardware units rms. */
    readbackNoise: z.number().nonnegative().default(0),
    /** Tune monitor noise (rms, in tune units). */
    tuneNoise: z.number().nonnegative().default(0),
    /** Power-supply ramp rate in hardware units per second (instantaneous when absent). */
    rampRate: z.number().positive().optional(),
    /** Stored beam current in A (DCCT families). */
    beamCurrent: z.number().nonnegative().default(0.3),
    /** Error specification file (YAML/JSON, relative to the facility file) applied at start. */
    errors: z.string().optional(),
    /** Seed of the error set and of the noise. */
    seed: z.number().int().default(1),
    /** Default timeout of reads and writes with wait, ms. */
    timeout: z.number().positive().default(5000),
    /** Tracking backend for the twin's tracking (see createTracker in @mlayer/adapters-sim/gpu); absent: 'auto'. */
    backend: z.enum(['cpu', 'webgpu', 'auto']).optional(),
  })
  .strict();
export type TwinSettings = z.infer<typeof TwinSettingsSchema>;
export type TwinSettingsInput = z.input<typeof TwinSettingsSchema>;
