import type { z } from 'zod';
import { lazySchema, zodNow } from './lazy-schema.js';
import { ToolsSchema } from './tools-schema.js';
import { ChamberSchema, InjectionSchema, OpenLineSchema } from './beam-schema.js';
import { ShadowSchema } from './shadow-schema.js';

/**
 * The facility configuration: one strict schema per object (a misspelt key is an
 * error), family- and array-level definitions so that 200 BPMs are one block.
 */

const finite = lazySchema((z) => z.number().refine(Number.isFinite, { message: 'expected a finite number' }));
const identifier = lazySchema((z) => z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, { message: 'expected an identifier (letters, digits, _ . -, starting with a letter or _)' }));

/** A device list entry as MML has it: [sector, index]. */
export const DeviceListEntrySchema = lazySchema((z) => z
  .tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])
  .describe('device as [sector, index]'));

export const LimitsSchema = lazySchema((z) => z
  .tuple([finite, finite])
  .refine(([lo, hi]) => lo <= hi, { message: 'limits must be [min, max] with min <= max' })
  .describe('[min, max] in hardware units'));

export const UnitsSchema = lazySchema((z) => z
  .object({
    hardware: z.string().describe('hardware units (A, mm, counts, Hz, ...)'),
    physics: z.string().describe('physics units (rad, m, 1/m2, Hz, ...)'),
  })
  .strict());

/**
 * Channel names of a field per control system: a template applied to every device
 * (`{sector}`, `{index}`, `{name}`, `{sector:02}` zero-padded, `{element}`), or
 * given per device in `devices[].channels`.
 */
export const FieldSchema = lazySchema((z) => z
  .object({
    channels: z
      .record(identifier, z.string().min(1))
      .optional()
      .describe('channel-name template per control system, e.g. { epics: "SR{sector:02}C-PC-HCM-{index:02}:SETI" }'),
    units: UnitsSchema,
    conversion: identifier.optional().describe('id of an entry of unitConversions (identity when absent)'),
    limits: LimitsSchema.optional(),
    tolerance: finite.nonnegative().optional().describe('readback tolerance in hardware units (default by element class: settling-defaults.ts)'),
    settleTime: finite.nonnegative().optional().describe('seconds to wait after a set completed (default by element class: settling-defaults.ts)'),
    dataType: z.enum(['number', 'array', 'string']).default('number'),
    length: z.number().int().positive().optional().describe('array length for dataType array'),
    updateRate: finite.positive().optional().describe('Hz at which the device updates (monitors, BPMs)'),
    updatePeriod: finite
      .nonnegative()
      .optional()
      .describe(
        'seconds between two updates of the readings (BPM averages, readbacks); 0: every read is current. A measurement uses only samples stamped at least this long after a change (default: 1/updateRate, else by element class)',
      ),
    precision: z.number().int().nonnegative().optional(),
  })
  .strict());
export type FieldConfig = z.infer<typeof FieldSchema>;

export const FIELD_NAMES = ['setpoint', 'readback', 'monitor'] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export const DeviceSchema = lazySchema((z) => z
  .object({
    device: DeviceListEntrySchema,
    name: z.string().min(1).describe('common name'),
    element: z.union([z.string().min(1), z.number().int().nonnegative()]).optional().describe('lattice element FamName or index'),
    channels: z
      .object({
        setpoint: z.record(identifier, z.string().min(1)).optional(),
        readback: z.record(identifier, z.string().min(1)).optional(),
        monitor: z.record(identifier, z.string().min(1)).optional(),
      })
      .strict()
      .optional()
      .describe('explicit channel names per field and control system (override the family templates)'),
    conversion: identifier.optional().describe('overrides the field conversion for this device'),
    limits: LimitsSchema.optional(),
    enabled: z.boolean().default(true).describe('false for a device known to be bad (excluded from measurements)'),
    plane: z.enum(['x', 'y']).optional().describe("overrides the family's plane (a tune monitor family with an x and a y device)"),
  })
  .strict());
export type DeviceConfig = z.infer<typeof DeviceSchema>;

export const ModelBindingSchema = lazySchema((z) => z
  .object({
    field: z.string().min(1).describe("AT field of the element the family drives or reads: 'KickAngle', 'PolynomB', 'K', 'Frequency', 'Orbit', ..."),
    index: z.number().int().nonnegative().optional().describe('index into an array field (KickAngle[0] is horizontal)'),
    integrated: z.boolean().default(false).describe('physics value is integrated over the length (KL) while the AT field is per metre (K): AT = physics / L'),
    perLength: z
      .boolean()
      .default(false)
      .describe('physics value is per metre (1/rho) while the AT field is integrated (BendingAngle): AT = physics x L'),
  })
  .strict()
  .refine((m) => !(m.integrated && m.perLength), { message: 'integrated and perLength exclude each other' })
  .describe('what the family is in the lattice model (used by the twin and model-based tools)'));

export const FamilySchema = lazySchema((z) => z
  .object({
    elementClass: z.string().min(1).describe('BPM, Corrector, Quadrupole, Sextupole, Bend, RF, DCCT, Tune, ...'),
    description: z.string().optional(),
    memberOf: z.array(z.string().min(1)).default([]).describe('groups (MML MemberOf): BPM, COR, HCM, QUAD, ...'),
    plane: z.enum(['x', 'y']).optional(),
    fields: z
      .object({ setpoint: FieldSchema.optional(), readback: FieldSchema.optional(), monitor: FieldSchema.optional() })
      .strict()
      .refine((f) => f.setpoint || f.readback || f.monitor, { message: 'a family needs at least one of setpoint, readback, monitor' }),
    model: ModelBindingSchema.optional(),
    devices: z.array(DeviceSchema).min(1, { message: 'a family needs at least one device' }),
  })
  .strict());
export type FamilyConfig = z.infer<typeof FamilySchema>;

export const ControlSystemConfigSchema = lazySchema((z) => z
  .object({
    type: identifier.describe("adapter type: 'twin', 'epics', 'tango', or one an installed adapter registers"),
    channelNames: identifier.optional().describe('use the channel names of another control system (the twin uses the online names)'),
    description: z.string().optional(),
    settings: z.record(z.string(), z.unknown()).default({}).describe('adapter settings, checked by the adapter'),
  })
  .strict());
export type ControlSystemConfig = z.infer<typeof ControlSystemConfigSchema>;

export const LatticeRefSchema = lazySchema((z) => z
  .object({
    file: z.string().min(1).describe('lattice file of the twin, relative to the facility file (.m, .mat, .atjson.json)'),
    periodicity: z.number().int().positive().optional(),
  })
  .strict());

export const UnitConversionSpecSchema = lazySchema((z) => z
  .object({ type: identifier })
  .catchall(z.unknown())
  .describe('a unit conversion; its fields depend on the type (checked by the registered conversion type)'));

export const FacilitySchema = lazySchema((z) => z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    energy: finite.positive().describe('beam energy in eV'),
    particle: z.enum(['electron', 'positron', 'proton']).default('electron'),
    lattice: LatticeRefSchema.optional(),
    controlSystems: z
      .record(identifier, ControlSystemConfigSchema)
      .refine((m) => Object.keys(m).length > 0, { message: 'at least one control system is required' }),
    defaultMode: identifier.optional().describe('control system used when none is given'),
    unitConversions: z.record(identifier, UnitConversionSpecSchema).default({}),
    families: z
      .record(identifier, FamilySchema)
      .refine((m) => Object.keys(m).length > 0, { message: 'at least one family is required' }),
    tools: ToolsSchema.optional(),
    injection: InjectionSchema.optional(),
    chamber: ChamberSchema.optional(),
    openLine: OpenLineSchema.optional(),
    shadow: ShadowSchema.optional().describe('digital shadow: drift and anomaly detection thresholds (issue 24)'),
    credits: z.string().optional(),
  })
  .strict());

export type FacilityConfig = z.infer<typeof FacilitySchema>;
export type FacilityInput = z.input<typeof FacilitySchema>;

/** JSON Schema of the facility file (for editors: completion and validation). */
export function facilityJsonSchema(): Record<string, unknown> {
  const schema = zodNow().toJSONSchema(FacilitySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'mlayer facility configuration', $id: 'https://mlayer.dev/schema/facility.json' };
}
