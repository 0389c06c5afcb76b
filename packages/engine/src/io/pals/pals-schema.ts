/**
 * The subset of PALS (campa-consortium/pals, YAML form, followed at commit
 * 63cd39cc) that mlayer reads and writes, as zod schemas: the reader checks
 * each element with the schema of its kind, and `palsSubsetJsonSchema()` is
 * the JSON Schema published as docs/pals-subset.schema.json (PALS has none).
 *
 * A file is a list of one-key maps: `- NAME: {kind: ..., ...}` element and
 * BeamLine definitions, and `- Lattice: [{branches: [ROOT_LINE]}]`. Element
 * objects are strict (a parameter group not listed here is not read: the
 * reader reports it as lost); kinds not listed are kept as placeholders.
 */
import { z } from 'zod';

/** PALS names: `[A-Za-z_][A-Za-z0-9_]*`. */
export const PALS_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const length = z.number().nonnegative().describe('[m]');
const multipoleKey = /^K[ns](0|[1-9][0-9]?)L?$/;

/** Normalised multipole strengths, MAD convention: KnN = N!·b_N (1/m^(N+1)); KnNL integrated (thin elements). */
export const MagneticMultipoleP = z
  .record(z.string().regex(multipoleKey), z.number())
  .describe('KnN / KsN (thick) or KnNL / KsNL (integrated, required on zero-length elements); N = 0..99');

export const MetaP = z.object({ alias: z.string().optional(), description: z.string().optional() }).strict();

export const BendP = z
  .object({
    angle_ref: z.number().optional().describe('[rad] bending angle; else g_ref * length'),
    g_ref: z.number().optional().describe('[1/m] reference curvature'),
    e1: z.number().optional().describe('[rad] entrance edge angle (sector convention)'),
    e2: z.number().optional().describe('[rad] exit edge angle'),
    edge_int1: z.number().optional().describe('[m] fringe-field integral times half gap (MAD fint*hgap), entrance'),
    edge_int2: z.number().optional().describe('[m] idem, exit'),
  })
  .strict();

export const RFP = z
  .object({
    frequency: z.number().positive().optional().describe('[Hz]'),
    voltage: z.number().optional().describe('[V]'),
    harmon: z.number().int().nonnegative().optional().describe('harmonic number of the whole ring'),
    phase: z.number().optional().describe('[rad] not read by mlayer'),
  })
  .strict();

export const ReferenceP = z
  .object({
    species_ref: z.enum(['electron', 'positron', 'proton']).optional(),
    E_tot_ref: z.number().positive().optional().describe('[eV] total energy'),
    pc_ref: z.number().positive().optional().describe('[eV] momentum times c'),
  })
  .strict();

const common = { MetaP: MetaP.optional() };
const magnet = { ...common, length: length.optional(), MagneticMultipoleP: MagneticMultipoleP.optional() };

/** Schemas of the kinds mlayer reads. */
export const KIND_SCHEMAS = {
  Drift: z.object({ kind: z.literal('Drift'), length, ...common }).strict(),
  Marker: z.object({ kind: z.literal('Marker'), ...common }).strict(),
  Instrument: z.object({ kind: z.literal('Instrument'), length: length.optional(), ...common }).strict(),
  Quadrupole: z.object({ kind: z.literal('Quadrupole'), ...magnet }).strict(),
  Sextupole: z.object({ kind: z.literal('Sextupole'), ...magnet }).strict(),
  Octupole: z.object({ kind: z.literal('Octupole'), ...magnet }).strict(),
  Multipole: z.object({ kind: z.literal('Multipole'), ...magnet }).strict(),
  SBend: z.object({ kind: z.literal('SBend'), ...magnet, length, BendP }).strict(),
  RBend: z.object({ kind: z.literal('RBend'), ...magnet, length, BendP }).strict(),
  Kicker: z.object({ kind: z.literal('Kicker'), ...magnet }).strict(),
  RFCavity: z.object({ kind: z.literal('RFCavity'), length: length.optional(), RFP, ...common }).strict(),
  BeginningEle: z.object({ kind: z.literal('BeginningEle'), ReferenceP: ReferenceP.optional(), ...common }).strict(),
} as const;
export type KnownKind = keyof typeof KIND_SCHEMAS;
export const KNOWN_KINDS = Object.keys(KIND_SCHEMAS) as KnownKind[];

/** A line item: a name, or `{NAME: {repeat, direction}}`, or an element defined in place (`{NAME: {kind: ...}}`), or `{NAME: {inherit: BASE, ...}}`. */
export const LineItemOptions = z
  .object({
    repeat: z.number().int().refine((n) => n !== 0, 'repeat must not be 0').optional(),
    direction: z.union([z.literal(1), z.literal(-1)]).optional(),
    inherit: z.string().regex(PALS_NAME).optional(),
  })
  .loose();
export const LineItem = z.union([
  z.string().regex(PALS_NAME),
  z.record(z.string().regex(PALS_NAME), LineItemOptions.nullable()).refine((r) => Object.keys(r).length === 1, 'a line item map has one key'),
]);

export const BeamLine = z
  .object({
    kind: z.literal('BeamLine'),
    line: z.array(LineItem).min(1),
    periodic: z.boolean().optional(),
    length: length.optional(),
    ...common,
  })
  .strict();

const Branch = z.union([z.string().regex(PALS_NAME), z.record(z.string().regex(PALS_NAME), z.object({}).loose())]);
export const LatticeDef = z.union([
  z.array(z.object({ branches: z.array(Branch).min(1) }).loose()).min(1),
  z.object({ branches: z.array(Branch).min(1) }).loose(),
]);

const otherKind = z
  .object({ kind: z.string().regex(new RegExp(`^(?!(${[...KNOWN_KINDS, 'BeamLine', 'Lattice'].join('|')})$)`)).describe('a kind mlayer keeps as a placeholder') })
  .loose();
const Definition = z.union([...Object.values(KIND_SCHEMAS), BeamLine, otherKind]);

/** The whole file. */
export const PalsFile = z.array(
  z.union([
    z.object({ Lattice: LatticeDef }).strict(),
    z.record(z.string().regex(PALS_NAME), Definition),
  ]),
);

/** The JSON Schema of the subset (docs/pals-subset.schema.json). */
export function palsSubsetJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(PalsFile, { unrepresentable: 'any' }) as Record<string, unknown>;
  // One definition per list item: zod's record does not say it.
  const items = s.items as { anyOf: Record<string, unknown>[] };
  for (const alt of items.anyOf) Object.assign(alt, { minProperties: 1, maxProperties: 1 });
  return {
    $schema: s.$schema,
    $id: 'https://mlayer.dev/schema/pals-subset.json',
    title: 'PALS lattice file, subset read and written by mlayer',
    description:
      'PALS (Particle Accelerator Lattice Standard, github.com/campa-consortium/pals @ 63cd39cc) YAML/JSON lattice, ' +
      'as a list of one-key maps (element and BeamLine definitions, Lattice). Kinds not listed are accepted and read ' +
      'as placeholders (Drift or Marker). Units: SI, energies in eV, angles in radians. Generated from packages/engine/src/io/pals/pals-schema.ts.',
    ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema')),
  };
}
