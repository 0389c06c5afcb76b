/**
 * FIT.yaml: what a LOCO fit varies and how it solves (docs/loco-files.md).
 * Read strictly: an unknown field or a bad value is an error naming the file,
 * the field and the value.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LocoFileError } from './errors.js';
import { issueError } from './zod-issues.js';

export const FIT_METHODS = ['gauss-newton', 'levenberg-marquardt', 'scaled-levenberg-marquardt'] as const;
export type FitMethod = (typeof FIT_METHODS)[number];
export type OrbitType = 'fixed-path-length' | 'fixed-momentum';

/** A gradient group: one parameter, a change ΔK shared by the elements (PolynomB[1], or PolynomA[1] for skew groups). */
export interface GradientGroup {
  readonly name: string;
  readonly elements: readonly number[];
  /** Prior weight (1/σ, in m² per unit of K): a cost row weight·ΔK pulls the group towards its start value. */
  readonly weight?: number;
}

/** A family of parameters switched on, with an optional prior weight (1/σ in the parameter's unit). */
export interface Switch {
  readonly weight?: number;
}

export interface FitSpec {
  readonly file: string;
  readonly method: FitMethod;
  /** Most iterations (steps) of the fit. */
  readonly iterations: number;
  /** Keep singular values above this fraction of the largest. */
  readonly svThreshold: number;
  /** Absent: no dispersion column. */
  readonly dispersion?: { readonly weightX: number; readonly weightY: number };
  /** Fit the xy and yx blocks too. */
  readonly couplingBlocks: boolean;
  readonly fit: {
    readonly quadrupoles: readonly GradientGroup[];
    readonly skewQuadrupoles: readonly GradientGroup[];
    readonly bpmGains?: Switch;
    readonly bpmCouplings?: Switch;
    readonly correctorKicks?: Switch;
    readonly correctorCouplings?: Switch;
    /** mlayer extension: an energy shift per horizontal corrector (MML's FitHCMEnergyShift). */
    readonly energyShifts?: Switch;
    /** mlayer extension: the RF step of the dispersion column (MML's FitDeltaRF). */
    readonly rf?: Switch;
  };
  /** mlayer extension: the ORM's closed-orbit type (default fixed-path-length: RF frequency constant while measuring). */
  readonly orbitType: OrbitType;
  /** mlayer extension: outlier rejection at this many rms of the weighted residuals (default 10; 0 switches it off). */
  readonly outlierThreshold: number;
  /** mlayer extension: scale each Jacobian column to unit norm before solving (default true). */
  readonly columnNormalisation: boolean;
  /** mlayer extension: starting λ of the Levenberg-Marquardt methods (default 1e-6; divided by 10 after a step that lowers χ², multiplied by 10 and retried after one that does not). */
  readonly lambda: number;
}

const weight = z.number().refine((v) => Number.isFinite(v) && v >= 0, 'must be a finite prior weight >= 0');
const switchSchema = z.union([z.boolean(), z.strictObject({ weight })]);
const group = z.strictObject({
  name: z.string().min(1, 'must be a non-empty name'),
  elements: z.array(z.number().int('must be integer lattice indices').min(0, 'must be lattice indices >= 0')).min(1, 'must list at least one element'),
  weight: weight.optional(),
});
const positiveFinite = (what: string) => z.number().refine((v) => Number.isFinite(v) && v > 0, `must be a finite ${what} > 0`);

const FitSchema = z.strictObject({
  method: z.enum(FIT_METHODS),
  iterations: z.number().int('must be an integer').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(10),
  svThreshold: z.number().refine((v) => Number.isFinite(v) && v >= 0 && v < 1, 'must be a fraction in [0, 1)').default(1e-6),
  dispersion: z.strictObject({ weightX: weight, weightY: weight }).optional(),
  couplingBlocks: z.boolean().default(false),
  fit: z.strictObject({
    quadrupoles: z.array(group).default([]),
    skewQuadrupoles: z.array(group).default([]),
    bpmGains: switchSchema.optional(),
    bpmCouplings: switchSchema.optional(),
    correctorKicks: switchSchema.optional(),
    correctorCouplings: switchSchema.optional(),
    energyShifts: switchSchema.optional(),
    rf: switchSchema.optional(),
  }),
  orbitType: z.enum(['fixed-path-length', 'fixed-momentum']).default('fixed-path-length'),
  outlierThreshold: z.number().refine((v) => Number.isFinite(v) && v >= 0, 'must be a finite number >= 0 (0: no outlier rejection)').default(10),
  columnNormalisation: z.boolean().default(true),
  lambda: positiveFinite('starting λ').default(1e-6),
});

/** Reads and checks a FIT.yaml (or JSON) file. */
export async function readFitFile(path: string): Promise<FitSpec> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LocoFileError(path, '', `cannot be read (${(e as Error).message})`);
  }
  const { parse } = await import('yaml');
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new LocoFileError(path, '', `is not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  return parseFit(raw, path);
}

/** Checks parsed FIT.yaml contents (`file` names them in messages). */
export function parseFit(raw: unknown, file: string): FitSpec {
  const r = FitSchema.safeParse(raw);
  if (!r.success) throw issueError(file, raw, r.error);
  const d = r.data;
  const sw = (v: boolean | { weight: number } | undefined): Switch | undefined => (v === undefined || v === false ? undefined : v === true ? {} : { weight: v.weight });
  for (const kind of ['quadrupoles', 'skewQuadrupoles'] as const) {
    const owner = new Map<number, string>();
    const names = new Set<string>();
    d.fit[kind].forEach((g, i) => {
      if (names.has(g.name)) throw new LocoFileError(file, `fit.${kind}[${i}].name`, 'repeats the name of an earlier group', g.name);
      names.add(g.name);
      g.elements.forEach((e, k) => {
        const o = owner.get(e);
        if (o !== undefined) throw new LocoFileError(file, `fit.${kind}[${i}].elements[${k}]`, `is already in group '${o}' (an element belongs to one group)`, e);
        owner.set(e, g.name);
      });
    });
  }
  return {
    file,
    method: d.method,
    iterations: d.iterations,
    svThreshold: d.svThreshold,
    dispersion: d.dispersion,
    couplingBlocks: d.couplingBlocks,
    fit: {
      quadrupoles: d.fit.quadrupoles,
      skewQuadrupoles: d.fit.skewQuadrupoles,
      bpmGains: sw(d.fit.bpmGains),
      bpmCouplings: sw(d.fit.bpmCouplings),
      correctorKicks: sw(d.fit.correctorKicks),
      correctorCouplings: sw(d.fit.correctorCouplings),
      energyShifts: sw(d.fit.energyShifts),
      rf: sw(d.fit.rf),
    },
    orbitType: d.orbitType,
    outlierThreshold: d.outlierThreshold,
    columnNormalisation: d.columnNormalisation,
    lambda: d.lambda,
  };
}
