/**
 * The stages a sequence may name: each a tool call with its parameters (a strict
 * zod schema: an unknown or mistyped parameter is an error before anything runs),
 * the beam it needs and the beam it leaves, the values it reports for success
 * criteria, and whether this build can run it.
 */
import { z } from 'zod';

/** The beam at a point of the sequence: none, threaded through the first turns, stored. */
export type BeamState = 'none' | 'threaded' | 'stored';
export const BEAM_ORDER: Record<BeamState, number> = { none: 0, threaded: 1, stored: 2 };

const pair = z.tuple([z.number(), z.number()]);
const posInt = z.number().int().positive();
const fraction = z.number().gt(0).lte(1);
const plane = z.enum(['x', 'y']);

export const STAGE_PARAMETERS = {
  'inject-thread': z.strictObject({
    /** Most injections (shots) spent threading. */
    injections: posInt.default(50),
    /** Tikhonov regularisation of the trajectory steps, relative to the largest singular value. */
    alpha: z.number().nonnegative().optional(),
    /** Fraction of each computed trajectory step applied. */
    gain: fraction.optional(),
  }),
  store: z.strictObject({
    /** Most injections spent to store the threaded beam (none when it is stored already). */
    injections: posInt.default(50),
    alpha: z.number().nonnegative().optional(),
    gain: fraction.optional(),
  }),
  'sextupole-ramp': z.strictObject({
    /** Steps from `from` to the target setpoints (the setpoints when the seed first ramps), an orbit correction after each. */
    steps: posInt.default(4),
    /** Fraction of the targets the ramp starts from (0: the sextupoles are switched off first). */
    from: z.number().min(0).max(1).default(0),
    /** Sextupole families (default: every family of class Sextupole with a setpoint). */
    families: z.array(z.string()).min(1).optional(),
    /** The orbit correction after each step: iterations, relative singular-value cut, readings averaged. */
    iterations: posInt.max(100).default(2),
    svThreshold: z.number().gt(0).lt(1).default(1e-3),
    average: posInt.default(1),
  }),
  'orbit-correction': z.strictObject({
    iterations: posInt.max(100).default(5),
    /** Relative singular-value cut of the SVD. */
    svThreshold: z.number().gt(0).lt(1).default(1e-3),
    /** Use the RF frequency as a column (dispersion). */
    rf: z.boolean().default(false),
    /**
     * Steer to the BPM offsets measured by an earlier BBA stage ('bba'), to zero readings ('none'), through the centres
     * of the quadrupoles the BBA stage just before measured ('centres': one step of @mlayer/bba planCentring from the
     * orbit the BBA started from, svThreshold its singular-value cut; the readings after it, averaged, become the
     * golden orbit), or to that golden orbit ('golden').
     */
    offsets: z.enum(['bba', 'none', 'centres', 'golden']).default('bba'),
    average: posInt.default(1),
    gain: fraction.default(1),
  }),
  bba: z.strictObject({
    planes: z.array(plane).min(1).default(['x', 'y']),
    /** BPM device names to align (default all enabled). */
    bpms: z.array(z.string()).optional(),
    amplitude: z.number().positive().optional(),
    modulation: z.number().positive().optional(),
    steps: posInt.min(3).optional(),
    average: posInt.default(1),
    /** Quadrupoles measured: the nearest of each BPM, or every individually powered one (the others with their nearest BPM, for offsets: centres). */
    quads: z.enum(['nearest', 'all']).default('nearest'),
  }),
  'tune-correction': z.strictObject({
    /** Fractional tunes (default: the sequence's targets, else the design). */
    target: pair.optional(),
    /** Quadrupole families (default: the facility's tools.tune.families). */
    families: z.array(z.string()).min(2).optional(),
    iterations: posInt.default(3),
    tolerance: z.number().positive().default(1e-4),
  }),
  'chromaticity-correction': z.strictObject({
    target: pair.optional(),
    families: z.array(z.string()).min(2).optional(),
    iterations: posInt.default(2),
    tolerance: z.number().positive().default(0.05),
    /** RF scan points of each chromaticity measurement. */
    points: posInt.min(3).default(5),
    /** Momentum offsets of the scan. */
    dpRange: pair.optional(),
  }),
  loco: z.strictObject({
    /** Corrector step of the measured response matrix, rad. */
    kick: z.number().positive().default(2e-5),
    /** BPM readings averaged per orbit of the matrix. */
    average: posInt.default(1),
    iterations: posInt.default(5),
    svThreshold: z.number().gt(0).lt(1).default(1e-4),
    /** Fraction of the fitted gradient errors corrected. */
    fraction: fraction.default(1),
    /** Quadrupole families fitted (default: every quadrupole family with a setpoint). */
    families: z.array(z.string()).optional(),
    /** One gradient group per quadrupole device (its own supply) or per family. */
    groups: z.enum(['device', 'family']).default('device'),
    /** Skew quadrupole families also fitted (one group per device, with the matrix's coupling blocks) and corrected: the coupling. */
    skew: z.array(z.string()).min(1).optional(),
  }),
  figures: z.strictObject({
    /**
     * Also the dynamic aperture (4D tracking of the twin's machine model; pyAT get_acceptance's radial grid): the
     * largest amplitudes (m), radii and angles (odd: one on the vertical axis) and turns.
     */
    dynamicAperture: z
      .strictObject({
        amplitudes: pair.refine((v) => v[0] > 0 && v[1] > 0, 'two amplitudes > 0 (m)'),
        radii: posInt.min(2).default(20),
        angles: posInt.min(3).refine((v) => v % 2 === 1, 'an odd number of angles (one on the vertical axis)').default(3),
        turns: posInt.default(256),
      })
      .optional(),
  }),
} as const;

export type StageKind = keyof typeof STAGE_PARAMETERS;
export const STAGE_KINDS = Object.keys(STAGE_PARAMETERS) as StageKind[];

export interface StageKindInfo {
  /** The beam this stage needs before it runs. */
  readonly needs: BeamState;
  /** The beam after it succeeded (default: unchanged). */
  readonly gives?: BeamState;
  /** Values the stage reports (besides the figures of merit), usable in success criteria. */
  readonly values: readonly string[];
  readonly description: string;
}

export const STAGE_INFO: Record<StageKind, StageKindInfo> = {
  'inject-thread': { needs: 'none', gives: 'threaded', values: ['injections', 'bpms_reached'], description: 'inject and thread the beam through the first turns (trajectory correction; @mlayer/orbit threadBeam)' },
  store: { needs: 'threaded', gives: 'stored', values: ['injections', 'bpms_reached'], description: 'stitch the turns and store the beam (threadBeam until the current monitor shows a stored beam)' },
  'sextupole-ramp': { needs: 'stored', values: ['steps', 'orbit_rms_x', 'orbit_rms_y'], description: 'ramp the sextupoles from off (or a fraction) to their target setpoints, an orbit correction after each step' },
  'orbit-correction': { needs: 'stored', values: ['steps', 'orbit_rms_x', 'orbit_rms_y', 'centring_model_rms_x', 'centring_model_rms_y'], description: 'closed-orbit correction (SVD on the model response matrix; dispersion with the RF column)' },
  bba: { needs: 'stored', values: ['bba_pairs', 'bba_sigma_max'], description: 'beam-based alignment of the BPMs to the quadrupole centres' },
  'tune-correction': { needs: 'stored', values: ['tune_steps'], description: 'tune correction (quadrupole families)' },
  'chromaticity-correction': { needs: 'stored', values: ['chromaticity_steps'], description: 'chromaticity correction (sextupole families, RF scans)' },
  loco: { needs: 'stored', values: ['loco_residual_rms', 'loco_iterations', 'loco_scale'], description: 'LOCO fit of the measured response matrix and optics correction' },
  figures: { needs: 'none', values: [], description: 'figures of merit only' },
};

/** The optics-changing stages' parameter types, once parsed. */
export type StageParameters<K extends StageKind> = z.output<(typeof STAGE_PARAMETERS)[K]>;
