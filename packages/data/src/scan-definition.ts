/**
 * Parameter-scan definitions (openPMD extension XSuite_Scans, seed document) and
 * their expansion into a plan: the parameter values of every point.
 *
 * Grid: the Cartesian product of the parameter values, row-major (the last parameter varies fastest).
 * Line: all parameters advance together (each has the same number of values).
 * Random: `random.numPoints` points drawn uniformly (or log-uniformly) in [min, max] from a seeded generator.
 * Adaptive and optimization: an explicit point list, extended by generations (see runScan's `refine`).
 */
import type { AttrValue } from './h5.js';
import type { Provenance } from './measurement-file.js';
import { ScanDefinitionError } from './errors.js';
import type { UnitDimension } from '@mlayer/core';
import { isUnitDimension, lookupUnit } from '@mlayer/core';

export type ScanType = 'grid' | 'line' | 'random' | 'adaptive' | 'optimization';
export const SCAN_TYPES: readonly ScanType[] = ['grid', 'line', 'random', 'adaptive', 'optimization'];

export interface ScanParameter {
  /** Identifier, e.g. "bunch_intensity" (also the key of ScanPoint.values). */
  readonly name: string;
  readonly symbol?: string;
  readonly description?: string;
  /** Unit symbol; unitSI and unitDimension are looked up from it unless given. */
  readonly unit: string;
  readonly unitSI?: number;
  readonly unitDimension?: UnitDimension;
  /** Explicit values (grid, line). */
  readonly values?: readonly number[];
  /** Range (grid and line: with numPoints and scale; random: sampling range). */
  readonly min?: number;
  readonly max?: number;
  readonly numPoints?: number;
  readonly scale?: 'linear' | 'log';
  readonly referenceFile?: string;
  readonly referencePath?: string;
}

export interface ScanMetric {
  readonly name: string;
  readonly description?: string;
  readonly unit: string;
  readonly unitSI?: number;
  readonly unitDimension?: UnitDimension;
  /** float64 (default; NaN on failure) or int32 (failValue on failure). */
  readonly dtype?: 'float64' | 'int32';
  /** Value stored for failed or pending points of an int32 metric (required for int32). */
  readonly failValue?: number;
}

export interface ScanConfig {
  /** Attributes of /simulation_config in scan_config.h5. */
  readonly simulation?: Readonly<Record<string, AttrValue>>;
  /** Attributes of /fixed_parameters (parameters that do not vary). */
  readonly fixedParameters?: Readonly<Record<string, AttrValue>>;
  /** Input files, relative to the scan directory, by role (e.g. base_parameters, lattice); checksummed when the scan is created. */
  readonly inputFiles?: Readonly<Record<string, string | readonly string[]>>;
}

export interface ScanDefinition {
  readonly name: string;
  readonly type: ScanType;
  readonly purpose?: string;
  /** "Name <email>". */
  readonly author: string;
  readonly parameters: readonly ScanParameter[];
  readonly metrics: readonly ScanMetric[];
  /** Explicit points [numPoints][numParameters] (adaptive, optimization; optional for random). */
  readonly points?: readonly (readonly number[])[];
  /** Random sampling (random scans without explicit points). */
  readonly random?: { readonly numPoints: number; readonly seed: number };
  /** Attributes of /scan_parameters/optimization_config (optimization scans), e.g. algorithm. */
  readonly optimization?: Readonly<Record<string, AttrValue>>;
  readonly config?: ScanConfig;
  /** Facility, lattice, mode (twin/epics/tango), error seed and setpoints before the scan: written to /meta of scan_config.h5. */
  readonly provenance?: Provenance;
}

/** A parameter with its resolved values. */
export interface PlannedParameter extends ScanParameter {
  readonly unitSI: number;
  readonly unitDimension: UnitDimension;
  /** Grid/line: the values along the parameter's axis. List encodings: undefined. */
  readonly axisValues?: readonly number[];
}

export interface ScanPlan {
  readonly definition: ScanDefinition;
  readonly parameters: readonly PlannedParameter[];
  readonly encoding: 'grid' | 'list';
  /** Shape of the parameter space (grid: one length per parameter; otherwise [numPoints]). */
  readonly shape: readonly number[];
  /** Parameter values of each point, in parameter order. */
  readonly points: readonly (readonly number[])[];
  /** Generation of each point (0 for the initial points). */
  readonly generations: readonly number[];
}

export interface ScanPoint {
  /** Linear index (row-major for grids). */
  readonly index: number;
  /** Grid coordinates (one index per parameter), or [index] for lists. */
  readonly coordinates: readonly number[];
  /** Parameter values by name. */
  readonly values: Readonly<Record<string, number>>;
  /** Parameter values in parameter order. */
  readonly vector: readonly number[];
  readonly generation: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function fail(field: string, value: unknown, expected: string): never {
  throw new ScanDefinitionError(field, value, expected);
}

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, v, 'a finite number is required');
  return v;
}

function resolveUnits(
  u: { unit: string; unitSI?: number; unitDimension?: UnitDimension },
  field: string,
): { unitSI: number; unitDimension: UnitDimension } {
  if (typeof u.unit !== 'string') fail(`${field}.unit`, u.unit, 'a unit string is required ("" for dimensionless)');
  if ((u.unitSI === undefined) !== (u.unitDimension === undefined)) fail(field, u.unit, 'give both unitSI and unitDimension, or neither');
  if (u.unitSI !== undefined) {
    if (!(finite(u.unitSI, `${field}.unitSI`) > 0)) fail(`${field}.unitSI`, u.unitSI, 'a positive number is required');
    if (!isUnitDimension(u.unitDimension)) fail(`${field}.unitDimension`, u.unitDimension, '7 finite numbers (L, M, T, I, θ, N, J) are required');
    return { unitSI: u.unitSI, unitDimension: u.unitDimension as UnitDimension };
  }
  const known = lookupUnit(u.unit);
  if (!known) fail(`${field}.unit`, u.unit, 'unknown unit: give unitSI and unitDimension');
  return { unitSI: known.unitSI, unitDimension: known.unitDimension };
}

function axisValues(p: ScanParameter, field: string): number[] {
  if (p.values !== undefined) {
    if (!Array.isArray(p.values) || p.values.length === 0) fail(`${field}.values`, p.values, 'a non-empty array of numbers is required');
    return p.values.map((v, i) => finite(v, `${field}.values[${i}]`));
  }
  const min = finite(p.min, `${field}.min`);
  const max = finite(p.max, `${field}.max`);
  const n = p.numPoints;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail(`${field}.numPoints`, n, 'a positive integer is required (or give values)');
  const scale = p.scale ?? 'linear';
  if (n === 1) return [min];
  if (scale === 'log') {
    if (!(min > 0 && max > 0)) fail(`${field}.min`, min, 'a log scale needs min and max > 0');
    const a = Math.log(min);
    const b = Math.log(max);
    return Array.from({ length: n }, (_, i) => (i === n - 1 ? max : i === 0 ? min : Math.exp(a + ((b - a) * i) / (n - 1))));
  }
  if (scale !== 'linear') fail(`${field}.scale`, scale, "'linear' or 'log' is required");
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? max : min + ((max - min) * i) / (n - 1)));
}

/** A small seeded generator (mulberry32) so that random scans resume with the same points. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkPoints(points: unknown, nParams: number, field: string): number[][] {
  if (!Array.isArray(points) || points.length === 0) fail(field, points, 'a non-empty array of points is required');
  return points.map((row, i) => {
    if (!Array.isArray(row) || row.length !== nParams) fail(`${field}[${i}]`, row, `${nParams} parameter values are required`);
    return row.map((v, j) => finite(v, `${field}[${i}][${j}]`));
  });
}

/** Validates a definition and expands it into the values of every point. */
export function planScan(def: ScanDefinition): ScanPlan {
  if (typeof def !== 'object' || def === null) fail('definition', def, 'an object is required');
  if (typeof def.name !== 'string' || !NAME.test(def.name)) fail('name', def.name, 'a name of letters, digits, _ . - is required');
  if (!SCAN_TYPES.includes(def.type)) fail('type', def.type, `one of ${SCAN_TYPES.join(', ')} is required`);
  if (typeof def.author !== 'string' || def.author.trim() === '') fail('author', def.author, 'a non-empty string is required');
  if (def.purpose !== undefined && typeof def.purpose !== 'string') fail('purpose', def.purpose, 'a string is required');
  if (!Array.isArray(def.parameters) || def.parameters.length === 0) fail('parameters', def.parameters, 'at least one parameter is required');
  if (!Array.isArray(def.metrics)) fail('metrics', def.metrics, 'an array of metrics is required');
  const names = new Set<string>();
  const units = def.parameters.map((p, i) => {
    const field = `parameters[${i}]`;
    if (typeof p !== 'object' || p === null) fail(field, p, 'a parameter object is required');
    if (typeof p.name !== 'string' || !NAME.test(p.name)) fail(`${field}.name`, p.name, 'a name of letters, digits, _ . - is required');
    if (names.has(p.name)) fail(`${field}.name`, p.name, 'parameter names must be unique');
    names.add(p.name);
    return resolveUnits(p, field);
  });
  const metricNames = new Set<string>();
  def.metrics.forEach((m, i) => {
    const field = `metrics[${i}]`;
    if (typeof m !== 'object' || m === null) fail(field, m, 'a metric object is required');
    if (typeof m.name !== 'string' || !NAME.test(m.name)) fail(`${field}.name`, m.name, 'a name of letters, digits, _ . - is required');
    if (metricNames.has(m.name)) fail(`${field}.name`, m.name, 'metric names must be unique');
    metricNames.add(m.name);
    resolveUnits(m, field);
    const dtype = m.dtype ?? 'float64';
    if (dtype !== 'float64' && dtype !== 'int32') fail(`${field}.dtype`, dtype, "'float64' or 'int32' is required");
    if (dtype === 'int32' && (typeof m.failValue !== 'number' || !Number.isInteger(m.failValue))) {
      fail(`${field}.failValue`, m.failValue, 'an int32 metric needs an integer failValue (NaN cannot be stored in an integer)');
    }
  });

  const P = def.parameters.length;
  let encoding: 'grid' | 'list';
  let shape: number[];
  let points: number[][];
  let axes: (number[] | undefined)[] = def.parameters.map(() => undefined);
  switch (def.type) {
    case 'grid': {
      if (def.points !== undefined) fail('points', '(given)', 'a grid scan is defined by its parameter values, not by points');
      axes = def.parameters.map((p, i) => axisValues(p, `parameters[${i}]`));
      encoding = 'grid';
      shape = axes.map((a) => a!.length);
      const n = shape.reduce((a, b) => a * b, 1);
      points = [];
      for (let k = 0; k < n; k++) {
        const row = new Array<number>(P);
        let rest = k;
        for (let j = P - 1; j >= 0; j--) {
          row[j] = axes[j]![rest % shape[j]];
          rest = Math.floor(rest / shape[j]);
        }
        points.push(row);
      }
      break;
    }
    case 'line': {
      if (def.points !== undefined) fail('points', '(given)', 'a line scan is defined by its parameter values, not by points');
      axes = def.parameters.map((p, i) => axisValues(p, `parameters[${i}]`));
      const n = axes[0]!.length;
      axes.forEach((a, i) => {
        if (a!.length !== n) fail(`parameters[${i}]`, a!.length, `every parameter of a line scan needs the same number of values (${n})`);
      });
      encoding = P === 1 ? 'grid' : 'list';
      shape = [n];
      points = Array.from({ length: n }, (_, k) => axes.map((a) => a![k]));
      break;
    }
    case 'random': {
      encoding = 'list';
      if (def.points !== undefined) {
        points = checkPoints(def.points, P, 'points');
      } else {
        const r = def.random;
        if (!r || typeof r.numPoints !== 'number' || !Number.isInteger(r.numPoints) || r.numPoints < 1) {
          fail('random.numPoints', r?.numPoints, 'a positive integer is required (or give points)');
        }
        if (typeof r.seed !== 'number' || !Number.isInteger(r.seed)) fail('random.seed', r.seed, 'an integer seed is required');
        const rnd = seededRandom(r.seed);
        const ranges = def.parameters.map((p, i) => {
          const min = finite(p.min, `parameters[${i}].min`);
          const max = finite(p.max, `parameters[${i}].max`);
          const log = (p.scale ?? 'linear') === 'log';
          if (log && !(min > 0 && max > 0)) fail(`parameters[${i}].min`, min, 'a log scale needs min and max > 0');
          return { min, max, log };
        });
        points = Array.from({ length: r.numPoints }, () =>
          ranges.map(({ min, max, log }) => {
            const u = rnd();
            return log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
          }),
        );
      }
      shape = [points.length];
      break;
    }
    case 'adaptive':
    case 'optimization': {
      encoding = 'list';
      points = checkPoints(def.points, P, 'points');
      shape = [points.length];
      break;
    }
  }
  const parameters: PlannedParameter[] = def.parameters.map((p, i) => ({
    ...p,
    ...units[i],
    ...(axes[i] ? { axisValues: axes[i] } : {}),
  }));
  return { definition: def, parameters, encoding, shape, points, generations: points.map(() => 0) };
}

/** A plan with more points appended (adaptive and optimization scans). */
export function extendPlan(plan: ScanPlan, more: readonly (readonly number[])[], generation: number): ScanPlan {
  if (plan.encoding !== 'list') fail('refine', plan.definition.type, 'only list-encoded scans (adaptive, optimization, random) can be extended');
  const add = checkPoints(more, plan.parameters.length, `refine(generation ${generation})`);
  const points = [...plan.points, ...add];
  return { ...plan, points, shape: [points.length], generations: [...plan.generations, ...add.map(() => generation)] };
}

/** Coordinates of a point: its grid multi-index, or [index]. */
export function coordinatesOf(plan: ScanPlan, index: number): number[] {
  if (plan.encoding !== 'grid') return [index];
  const c = new Array<number>(plan.shape.length);
  let rest = index;
  for (let j = plan.shape.length - 1; j >= 0; j--) {
    c[j] = rest % plan.shape[j];
    rest = Math.floor(rest / plan.shape[j]);
  }
  return c;
}

export function scanPointOf(plan: ScanPlan, index: number): ScanPoint {
  const vector = plan.points[index];
  const values: Record<string, number> = {};
  plan.parameters.forEach((p, j) => {
    values[p.name] = vector[j];
  });
  return { index, coordinates: coordinatesOf(plan, index), values, vector, generation: plan.generations[index] };
}

/** Number of digits of point file names (at least 4, zero-padded). */
export function pointFileName(index: number, total: number): string {
  const width = Math.max(4, String(Math.max(0, total - 1)).length);
  return `point_${String(index).padStart(width, '0')}.h5`;
}

/**
 * Deterministic JSON (sorted keys; typed arrays as arrays; non-finite numbers as strings, "NaN";
 * undefined left out), `indent` as JSON.stringify's.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? x.toString() : norm(x)));
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = norm(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value), null, indent);
}
