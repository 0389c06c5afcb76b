/**
 * The protocol's `optics` message (optics-view.ts answers it), as zod schemas: what a display
 * needs of the lattice model (the web control room computes nothing itself).
 */
import { z } from 'zod';

const replyId = z.union([z.string(), z.number()]).optional();
const numbers = z.array(z.number());

export const OpticsSchema = z
  .object({ type: z.literal('optics'), id: z.union([z.string().max(200), z.number()]).optional().describe('echoed in the reply') })
  .strict()
  .describe('the lattice strip, the model optics (design; the machine in twin mode), the display roles of families with device positions, the golden orbit');

const curves = z.object({
  s: numbers.describe('m, at the entrance of each element'),
  betax: numbers,
  betay: numbers,
  dispx: numbers,
  dispy: numbers,
  mux: numbers.describe('phase advance / 2π'),
  muy: numbers,
  tunes: z.tuple([z.number(), z.number()]),
});

export const OpticsReplySchema = z.object({
  type: z.literal('optics'),
  id: replyId,
  circumference: z.number(),
  elements: z
    .object({ s: numbers, length: numbers, kind: z.array(z.enum(['dipole', 'quadrupole', 'sextupole', 'multipole', 'bpm', 'corrector', 'rf'])), name: z.array(z.string()) })
    .describe('the synoptic strip: magnets, cavities, and the BPMs and correctors of the roles'),
  design: curves,
  machine: curves.nullable().describe("the twin's machine model (errors and setpoints); null online or when unstable"),
  machineError: z.string().optional(),
  roles: z.object({
    bpm: z.array(z.string()),
    corrector: z.array(z.string()),
    current: z.string().nullable(),
    tune: z.string().nullable(),
    rf: z.string().nullable(),
    tuneKnobs: z.array(z.string()),
    chromaticityKnobs: z.array(z.string()),
  }),
  devices: z.record(z.string(), z.object({ s: z.array(z.number().nullable()), enabled: z.array(z.boolean()) })).describe('per BPM/corrector family: s of each device (element centre), enabled'),
  golden: z.record(z.string(), numbers).describe('golden orbit per BPM family, hardware units of the reading'),
});
