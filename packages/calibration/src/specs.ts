import type { z } from 'zod';
import { lazySchema } from '@mlayer/core';

/**
 * Strict schemas of the conversion specs found under `unitConversions:` in a
 * facility file (one per `type:` key). Every curve states its hardware and
 * physics units.
 */

const interval = lazySchema((z) => z.tuple([z.number(), z.number()]));
const columnRef = lazySchema((z) => z.union([z.string().min(1), z.number().int().nonnegative()]));
/** Row filter: column name → value (numbers compare numerically, strings exactly after trimming). */
const where = lazySchema((z) => z.record(z.string(), z.union([z.string(), z.number()])));
const description = lazySchema((z) => z.string().optional());

export const linearSpecSchema = lazySchema((z) => z
  .object({
    type: z.literal('linear'),
    description,
    hardwareUnits: z.string(),
    physicsUnits: z.string(),
    /** physics = gain · hardware + offset */
    gain: z.number(),
    offset: z.number().optional(),
    /** Hardware interval where the curve is valid (unbounded when absent). */
    range: interval.optional(),
  })
  .strict());

export const polynomialCsvSchema = lazySchema((z) => z
  .object({
    /** CSV file, relative to the facility file. */
    path: z.string().min(1),
    /** Column holding the power k of each coefficient (pytac: `coeff`). */
    powerColumn: columnRef,
    /** Column holding the coefficient value (pytac: `val`). */
    coefficientColumn: columnRef,
    /** Rows to use, e.g. `{ uc_id: 118 }`. */
    where: where.optional(),
  })
  .strict());

export const polynomialSpecSchema = lazySchema((z) => z
  .object({
    type: z.literal('polynomial'),
    description,
    hardwareUnits: z.string(),
    physicsUnits: z.string(),
    /** physics = Σ coefficients[k] · hardware^k (ascending powers). Either this or `csv`. */
    coefficients: z.array(z.number()).min(1).optional(),
    csv: polynomialCsvSchema.optional(),
    /** Hardware interval where the polynomial is used and monotonic (required from order 2). */
    range: interval.optional(),
  })
  .strict());

export const tableCsvSchema = lazySchema((z) => z
  .object({
    path: z.string().min(1),
    /** pytac: `eng` */
    hardwareColumn: columnRef,
    /** pytac: `phy` */
    physicsColumn: columnRef,
    where: where.optional(),
  })
  .strict());

export const tableSpecSchema = lazySchema((z) => z
  .object({
    type: z.literal('table'),
    description,
    hardwareUnits: z.string(),
    physicsUnits: z.string(),
    interpolation: z.enum(['pchip', 'linear']).default('pchip'),
    /** Inline columns (either these or `csv`). */
    hardware: z.array(z.number()).optional(),
    physics: z.array(z.number()).optional(),
    csv: tableCsvSchema.optional(),
    extrapolation: z.enum(['error', 'clamp', 'linear', 'extend']).default('error'),
    /** Hardware interval allowed beyond the table (extrapolation 'linear' or 'extend'). */
    domain: interval.optional(),
  })
  .strict());

export const curveSpecSchema = lazySchema((z) => z.discriminatedUnion('type', [linearSpecSchema, polynomialSpecSchema, tableSpecSchema]));

export const standardisationSchema = lazySchema((z) => z
  .object({
    /** Lowest and highest hardware values of the cycle; also the range of the hysteresis model. */
    min: z.number(),
    max: z.number(),
    cycles: z.number().int().positive().default(3),
    /** Where the cycle ends: 'min' leaves the magnet on the up branch, 'max' on the down branch. */
    endAt: z.enum(['min', 'max']).default('min'),
    /** Wait after each step, in seconds. */
    dwell: z.number().nonnegative().default(0),
  })
  .strict());

export const lensModelSchema = lazySchema((z) => z
  .object({
    type: z.literal('lens'),
    /** The mean (anhysteretic) curve. */
    curve: curveSpecSchema,
    /**
     * Largest half-gap between the branches (physics units), reached mid-range; the
     * loop closes at the ends of the standardisation range.
     */
    halfWidth: z.number().nonnegative(),
  })
  .strict());

export const hysteresisSpecSchema = lazySchema((z) => z
  .object({
    type: z.literal('hysteresis'),
    description,
    hardwareUnits: z.string(),
    physicsUnits: z.string(),
    /** Up branch (hardware rising) and down branch; or a `model`. */
    up: curveSpecSchema.optional(),
    down: curveSpecSchema.optional(),
    model: lensModelSchema.optional(),
    standardisation: standardisationSchema,
    /** Largest change (hardware units) allowed before standardisation. */
    threshold: z.number().nonnegative(),
  })
  .strict());

const rigidityFields = (z: typeof import('zod').z) => ({
  /** Multipole order n: 0 dipole / corrector, 1 quadrupole, 2 sextupole, ... */
  order: z.number().int().nonnegative(),
  /** Whether the field is integrated over the magnet length (T·m^(1-n)) or local (T·m^-n). */
  field: z.enum(['integrated', 'local']).default('integrated'),
  /** K (m^-(n+1)), KL (m^-n) or kick angle (rad, order 0). */
  strength: z.enum(['K', 'KL', 'kick']),
  /** Magnetic length in m (needed to go between integrated field and K, or local field and KL). */
  length: z.number().positive().optional(),
  /** Divide by n! (AT's PolynomB convention) instead of the MAD convention. */
  factorial: z.boolean().default(false),
  /** Sign applied to the strength (polarity convention). */
  sign: z.union([z.literal(1), z.literal(-1)]).default(1),
});

export const rigiditySpecSchema = lazySchema((z) => z
  .object({
    type: z.literal('rigidity'),
    description,
    /** hardware → field. */
    curve: z.discriminatedUnion('type', [linearSpecSchema, polynomialSpecSchema, tableSpecSchema, hysteresisSpecSchema]),
    ...rigidityFields(z),
    /** Optional: checked against the units the conversion derives. */
    hardwareUnits: z.string().optional(),
    physicsUnits: z.string().optional(),
  })
  .strict());

export const combinedInputSchema = lazySchema((z) => z
  .object({
    name: z.string().min(1),
    hardwareUnits: z.string(),
    /** Optional excitation curve of this coil (hardware → excitation); identity when absent. */
    curve: curveSpecSchema.optional(),
    /** Hardware value assumed before the first commit (default 0). */
    initial: z.number().optional(),
  })
  .strict());

export const combinedOutputSchema = lazySchema((z) => z
  .object({
    name: z.string().min(1),
    /** Units of this output's field (row of the matrix). */
    fieldUnits: z.string(),
    /** 'field': no rigidity step, the output is the field itself. */
    strength: z.enum(['K', 'KL', 'kick', 'field']),
    order: z.number().int().nonnegative().optional(),
    field: z.enum(['integrated', 'local']).default('integrated'),
    length: z.number().positive().optional(),
    factorial: z.boolean().default(false),
    sign: z.union([z.literal(1), z.literal(-1)]).default(1),
  })
  .strict());

export const combinedSpecSchema = lazySchema((z) => z
  .object({
    type: z.literal('combined'),
    description,
    inputs: z.array(combinedInputSchema).min(1),
    outputs: z.array(combinedOutputSchema).min(1),
    /** fields = matrix · excitations + offset; one row per output, one column per input. */
    matrix: z.array(z.array(z.number())),
    offset: z.array(z.number()).optional(),
    /** 'exact': square, non-singular matrix; 'least-squares': over-determined (or minimum norm when under-determined). */
    inverse: z.enum(['exact', 'least-squares']),
    /** For a scalar conversion created through the registry: which output and which input it converts. */
    view: z.object({ output: z.string(), input: z.string().optional() }).strict().optional(),
  })
  .strict());

export type LinearSpec = z.infer<typeof linearSpecSchema>;
export type PolynomialSpec = z.infer<typeof polynomialSpecSchema>;
export type TableSpec = z.infer<typeof tableSpecSchema>;
export type CurveSpec = z.infer<typeof curveSpecSchema>;
export type HysteresisSpec = z.infer<typeof hysteresisSpecSchema>;
export type RigiditySpec = z.infer<typeof rigiditySpecSchema>;
export type CombinedSpec = z.infer<typeof combinedSpecSchema>;
export type CombinedInputSpec = z.infer<typeof combinedInputSchema>;
export type CombinedOutputSpec = z.infer<typeof combinedOutputSchema>;
/** What a facility file may write (defaults not yet applied). */
export type TableSpecInput = z.input<typeof tableSpecSchema>;
export type PolynomialSpecInput = z.input<typeof polynomialSpecSchema>;
