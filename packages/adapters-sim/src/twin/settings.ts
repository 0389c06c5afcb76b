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
    /**
     * Where the twin tracks (turn-by-turn buffers after a kick): 'cpu' (default) the engine in this
     * thread; 'webgpu' the GPU (a software renderer when there is no hardware); 'auto' WebGPU on a
     * hardware adapter, else the CPU, saying so once (see createTracker in @mlayer/engine/gpu).
     */
    backend: z.enum(['cpu', 'webgpu', 'auto']).optional(),
  })
  .strict();
export type TwinSettings = z.infer<typeof TwinSettingsSchema>;
export type TwinSettingsInput = z.input<typeof TwinSettingsSchema>;
