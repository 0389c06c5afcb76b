import type { z } from 'zod';
import { lazySchema } from './lazy-schema.js';

/**
 * What a facility says about its beam before there is one stored: the injection point
 * (where the injected bunch arrives and what it looks like), the vacuum chamber (the
 * default aperture of each element class, checked by the tracking of the twin) and the
 * parts that are open lines (transfer lines, linacs: optics from given initial Twiss,
 * BPMs reading a trajectory). SI units: m, rad, C.
 */

// Built on first use (lazy-schema.ts): loading the facility from the cache loads no zod.
const finite = lazySchema((z) => z.number().refine(Number.isFinite, { message: 'expected a finite number' }));
const positive = lazySchema((z) => z.number().refine((v) => Number.isFinite(v) && v > 0, { message: 'expected a finite number > 0' }));
const nonNegative = lazySchema((z) => z.number().refine((v) => Number.isFinite(v) && v >= 0, { message: 'expected a finite number >= 0' }));
const element = lazySchema((z) => z.union([z.string().min(1), z.number().int().nonnegative()]).describe('lattice element: FamName (its first occurrence) or 0-based index'));
const familyName = lazySchema((z) => z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { message: 'expected a family name (letters, digits, _ . -, starting with a letter or _)' }));

/** Twiss parameters at the entrance of an element (pyAT linopt6 twiss_in). */
export const TwissSchema = lazySchema((z) =>
  z
  .object({
    beta: z.tuple([positive, positive]).describe('[beta_x, beta_y] in m'),
    alpha: z.tuple([finite, finite]).default([0, 0]).describe('[alpha_x, alpha_y]'),
    dispersion: z.tuple([finite, finite, finite, finite]).default([0, 0, 0, 0]).describe("[Dx, D'x, Dy, D'y] in m and rad"),
    orbit: z.tuple([finite, finite, finite, finite]).default([0, 0, 0, 0]).describe('[x, px, y, py] of the reference trajectory in m and rad'),
  })
  .strict(),
);
export type TwissConfig = z.infer<typeof TwissSchema>;

export const InjectionSchema = lazySchema((z) =>
  z
  .object({
    element: element.describe('element at whose entrance the injected bunch arrives (the injection point)'),
    family: familyName.optional().describe("the family whose setpoint injects one shot (default: a family of element class Injection, e.g. 'INJ')"),
    twiss: TwissSchema.describe('optics of the injected beam at the injection point'),
    emittance: z.tuple([nonNegative, nonNegative]).describe('[ex, ey] rms emittances of the injected beam in m.rad'),
    energySpread: nonNegative.describe('rms relative energy spread of the injected beam'),
    charge: positive.describe('bunch charge in C'),
    jitter: z
      .object({ x: nonNegative.default(0), px: nonNegative.default(0), y: nonNegative.default(0), py: nonNegative.default(0) })
      .strict()
      .optional()
      .describe('shot-to-shot rms position (m) and angle (rad) errors of the injected bunch; static errors come from the twin error set'),
  })
  .strict()
  .describe('the injection point and the injected beam (threading, commissioning)'),
);
export type InjectionConfig = z.infer<typeof InjectionSchema>;

export const ApertureSchema = lazySchema((z) =>
  z
  .object({
    shape: z.enum(['elliptical', 'rectangular']).describe("AT's EApertures (ellipse) or RApertures (rectangle, centred)"),
    halfSizes: z.tuple([positive, positive]).describe('[horizontal, vertical] half-sizes in m'),
  })
  .strict(),
);
export type ApertureConfig = z.infer<typeof ApertureSchema>;

export const ChamberSchema = lazySchema((z) =>
  z
  .object({
    default: ApertureSchema.optional().describe('aperture of every element whose class has none of its own'),
    classes: z
      .record(z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { message: 'expected an AT element class (Drift, Quadrupole, Sextupole, Dipole, Corrector, Monitor, Marker, RFCavity, Multipole, ...)' }), ApertureSchema)
      .default({})
      .describe('aperture per AT element class'),
  })
  .strict()
  .describe("the vacuum chamber: default aperture per element class; an element's own EApertures/RApertures in the lattice are kept"),
);
export type ChamberConfig = z.infer<typeof ChamberSchema>;

export const OpenLineSchema = lazySchema((z) =>
  z
  .object({
    twiss: TwissSchema.describe('optics and reference trajectory at the entrance of the line (element 0)'),
  })
  .strict()
  .describe('the facility is an open line (a transfer line or linac: a part of a complex is a facility of its own): its model has no periodic solution, its BPMs read a trajectory'),
);
export type OpenLineConfig = z.infer<typeof OpenLineSchema>;
