import type { z } from 'zod';
import { lazySchema, zodNow } from './lazy-schema.js';

/**
 * The `tools` section of a facility file: what MML keeps in its facility description
 * for the control-room tools (the response-matrix step per corrector family, the
 * dispersion RF step, the tune and chromaticity knobs, the model's BPMs and
 * correctors, the golden orbit, the BPM offsets, the measured response matrix) and
 * where measurement files go. Every value is a default: a command-line option
 * overrides it. Relative paths are relative to the facility file.
 */

const familyName = lazySchema((z) => z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { message: 'expected a family name (letters, digits, _ . -, starting with a letter or _)' }));
const positive = lazySchema((z) => z.number().refine((v) => Number.isFinite(v) && v > 0, { message: 'expected a finite number > 0' }));
const file = lazySchema((z) => z.string().min(1));
const knobs = (what: string) =>
  zodNow()
    .array(familyName)
    .min(2, { message: `give two or more ${what} families` })
    .refine((l) => new Set(l).size === l.length, { message: 'a family is named twice' });

export const OrbitToolsSchema = lazySchema((z) => z
  .object({
    ormStep: z
      .record(familyName, positive)
      .optional()
      .describe(
        'half-amplitude of the response-matrix step per corrector family, in the PHYSICS units of its setpoint (rad for a kick): mlayer orbit measure-orm without --kick (converted per corrector when the measurement is in hardware units)',
      ),
    dispersionStep: positive.optional().describe('half-amplitude of the RF step of mlayer orbit measure-dispersion without --step, in the physics units of the RF setpoint (Hz)'),
    golden: file.optional().describe('golden orbit file (YAML or JSON: unit, then BPM family -> device name -> value; see docs): the target of mlayer orbit correct (MML getgolden)'),
    offsets: file.optional().describe('BPM offset file (same format as golden): the reading of each BPM with the beam on its reference axis (MML getoffset); subtracted from every reading a correction steers'),
    responseMatrix: file.optional().describe('measured orbit response matrix (an orm measurement file, .h5): mlayer orbit correct and bump use it unless --orm is given (MML getbpmresp)'),
  })
  .strict());

export const KnobToolsSchema = (what: string) =>
  zodNow()
    .object({ families: knobs(what).describe(`${what} families stepped by default (two or more)`) })
    .strict();

export const ModelToolsSchema = lazySchema((z) => z
  .object({
    lattice: file.optional().describe('lattice file of the model commands (default: the facility lattice), relative to the facility file'),
    bpms: z.array(familyName).min(1).optional().describe('BPM families whose devices (their element) are the BPMs of mlayer model ... (default: every family of element class BPM)'),
    correctors: z.array(familyName).min(1).optional().describe('corrector families whose devices are the correctors of mlayer model orm (default: every family of element class Corrector in group HCM or VCM, else every Corrector family)'),
  })
  .strict());

export const ToolsSchema = lazySchema((z) => z
  .object({
    dataDir: file
      .optional()
      .describe('folder of the measurement files and plots (each named by kind and UTC time), relative to the facility file; default: ./out in the working directory. -o overrides it'),
    orbit: OrbitToolsSchema.optional(),
    tune: KnobToolsSchema('quadrupole').optional().describe('mlayer tune set'),
    chromaticity: KnobToolsSchema('sextupole').optional().describe('mlayer chrom set'),
    model: ModelToolsSchema.optional(),
  })
  .strict()
  .describe('defaults of the control-room tools (every one overridden by its command-line option)'));

export type ToolsConfig = z.infer<typeof ToolsSchema>;
