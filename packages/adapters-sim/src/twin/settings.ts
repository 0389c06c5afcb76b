import type { z } from 'zod';
import { lazySchema } from '@mlayer/core';

/** Settings of a twin control system (`controlSystems.twin.settings` in the facility file). */
export const TwinSettingsSchema = lazySchema((z) => z
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
    /**
     * The beam at start: 'stored' (default: the BPMs read the closed orbit) or 'none' (commissioning:
     * nothing until an injection, see the facility's injection section and the Injection family).
     */
    beam: z.enum(['stored', 'none']).default('stored'),
    /** How an injection is simulated: macro-particles, turns tracked, the fraction that must survive them to store. */
    injection: z
      .object({
        particles: z.number().int().positive().default(64),
        turns: z.number().int().positive().default(16),
        storeFraction: z.number().gt(0).max(1).default(0.5),
      })
      .strict()
      .default({ particles: 64, turns: 16, storeFraction: 0.5 }),
  })
  .strict());
export type TwinSettings = z.infer<typeof TwinSettingsSchema>;
export type TwinSettingsInput = z.input<typeof TwinSettingsSchema>;
