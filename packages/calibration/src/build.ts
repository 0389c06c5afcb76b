import { ConfigError, type UnitConversion } from '@mlayer/core';
import { CombinedFunctionMagnet, type CombinedOutput } from './combined.js';
import { CsvError, columnIndex, numberCell, selectRows, type CsvCache } from './csv.js';
import type { Curve } from './curve.js';
import { CurveConversion } from './curve-conversion.js';
import { CurveDefinitionError } from './errors.js';
import { HysteresisConversion, lensBranches, type HysteresisBranch } from './hysteresis.js';
import { linearCurve } from './linear-curve.js';
import { PolynomialCurve } from './polynomial-curve.js';
import { RigidityConversion } from './rigidity-conversion.js';
import { RigidityStep, RigidityStepError } from './rigidity-step.js';
import type { CombinedSpec, CurveSpec, HysteresisSpec, PolynomialSpec, RigiditySpec, TableSpec } from './specs.js';
import { TableCurve } from './table-curve.js';
import { UnitSyntaxError, parseUnits, sameUnits } from './units.js';

/** What the builders need: where the spec came from and a CSV cache. */
export interface BuildEnv {
  /** Conversion id in the facility file. */
  readonly id: string;
  /** Facility file (for errors). */
  readonly file: string;
  resolvePath(relative: string): string;
  readonly csv: CsvCache;
}

/** Runs `fn`, turning calibration errors into core's ConfigError with file and path. */
export function guard<T>(env: BuildEnv, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CurveDefinitionError) throw new ConfigError(env.file, `${path}.${e.field}`, e.value, e.message);
    if (e instanceof RigidityStepError) {
      throw new ConfigError(env.file, `${path}.${e.field}`, undefined, `unit conversion '${env.id}': ${e.detail}`);
    }
    if (e instanceof UnitSyntaxError) throw new ConfigError(env.file, path, e.units, `unit conversion '${env.id}': ${e.message}`);
    throw e;
  }
}

function checkUnitSyntax(env: BuildEnv, path: string, field: string, units: string): void {
  try {
    parseUnits(units);
  } catch (e) {
    if (e instanceof UnitSyntaxError) throw new ConfigError(env.file, `${path}.${field}`, units, `unit conversion '${env.id}': ${e.message}`);
    throw e;
  }
}

function describeWhere(where: Readonly<Record<string, string | number>> | undefined): string {
  const parts = Object.entries(where ?? {}).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(', ') : 'all rows';
}

function csvRows(
  env: BuildEnv,
  path: string,
  csv: { path: string; where?: Record<string, string | number> },
  label: string,
): { table: ReturnType<CsvCache['get']>; rows: number[] } {
  const abs = env.resolvePath(csv.path);
  try {
    const table = env.csv.get(abs);
    const rows = selectRows(table, csv.where);
    if (rows.length === 0) {
      throw new ConfigError(
        env.file,
        `${path}.csv.where`,
        csv.where,
        `unit conversion '${env.id}': curve ${label} not found: no row of ${csv.path} has ${describeWhere(csv.where)}`,
      );
    }
    return { table, rows };
  } catch (e) {
    if (e instanceof CsvError) {
      throw new ConfigError(env.file, `${path}.csv`, csv.path, `unit conversion '${env.id}', curve ${label}: ${e.message}`);
    }
    throw e;
  }
}

function csvLabel(kind: string, csv: { path: string; where?: Record<string, string | number> }): string {
  return `${kind} ${describeWhere(csv.where)} in ${csv.path}`;
}

/** Builds a curve (linear, polynomial or table) from its validated spec. */
export function buildCurve(spec: CurveSpec, env: BuildEnv, path: string): Curve {
  checkUnitSyntax(env, path, 'hardwareUnits', spec.hardwareUnits);
  checkUnitSyntax(env, path, 'physicsUnits', spec.physicsUnits);
  switch (spec.type) {
    case 'linear': {
      const label = `linear curve at ${path}`;
      if (spec.gain === 0) throw new ConfigError(env.file, `${path}.gain`, 0, `unit conversion '${env.id}': a gain of 0 cannot be inverted`);
      return guard(env, path, () =>
        linearCurve({
          conversion: env.id,
          label,
          hardwareUnits: spec.hardwareUnits,
          physicsUnits: spec.physicsUnits,
          gain: spec.gain,
          offset: spec.offset,
          range: spec.range,
        }),
      );
    }
    case 'polynomial':
      return buildPolynomial(spec, env, path);
    case 'table':
      return buildTable(spec, env, path);
  }
}

function buildPolynomial(spec: PolynomialSpec, env: BuildEnv, path: string): PolynomialCurve {
  if ((spec.coefficients === undefined) === (spec.csv === undefined)) {
    throw new ConfigError(env.file, path, undefined, `unit conversion '${env.id}': a polynomial needs exactly one of 'coefficients' or 'csv'`);
  }
  let coefficients: number[];
  let label: string;
  if (spec.csv) {
    const csv = spec.csv;
    label = csvLabel('polynomial', csv);
    const { table, rows } = csvRows(env, path, csv, label);
    coefficients = [];
    const seen = new Set<number>();
    try {
      const pc = columnIndex(table, csv.powerColumn);
      const vc = columnIndex(table, csv.coefficientColumn);
      for (const r of rows) {
        const p = numberCell(table, r, pc);
        if (!Number.isInteger(p) || p < 0) throw new CsvError(table.path, `line ${table.lines[r]}: power ${p} is not an integer >= 0`);
        if (seen.has(p)) throw new CsvError(table.path, `line ${table.lines[r]}: power ${p} appears twice for ${describeWhere(csv.where)}`);
        seen.add(p);
        while (coefficients.length <= p) coefficients.push(0);
        coefficients[p] = numberCell(table, r, vc);
      }
    } catch (e) {
      if (e instanceof CsvError) throw new ConfigError(env.file, `${path}.csv`, csv.path, `unit conversion '${env.id}', curve ${label}: ${e.message}`);
      throw e;
    }
  } else {
    coefficients = [...spec.coefficients!];
    label = `polynomial at ${path}`;
  }
  return guard(env, path, () =>
    new PolynomialCurve({
      conversion: env.id,
      label,
      hardwareUnits: spec.hardwareUnits,
      physicsUnits: spec.physicsUnits,
      coefficients,
      range: spec.range,
    }),
  );
}

function buildTable(spec: TableSpec, env: BuildEnv, path: string): TableCurve {
  const inline = spec.hardware !== undefined || spec.physics !== undefined;
  if (inline === (spec.csv !== undefined)) {
    throw new ConfigError(env.file, path, undefined, `unit conversion '${env.id}': a table needs either 'hardware' and 'physics' or 'csv'`);
  }
  let hardware: number[];
  let physics: number[];
  let label: string;
  if (spec.csv) {
    const csv = spec.csv;
    label = csvLabel('table', csv);
    const { table, rows } = csvRows(env, path, csv, label);
    try {
      const hc = columnIndex(table, csv.hardwareColumn);
      const pc = columnIndex(table, csv.physicsColumn);
      hardware = rows.map((r) => numberCell(table, r, hc));
      physics = rows.map((r) => numberCell(table, r, pc));
    } catch (e) {
      if (e instanceof CsvError) throw new ConfigError(env.file, `${path}.csv`, csv.path, `unit conversion '${env.id}', curve ${label}: ${e.message}`);
      throw e;
    }
  } else {
    if (!spec.hardware || !spec.physics) {
      throw new ConfigError(env.file, path, undefined, `unit conversion '${env.id}': an inline table needs both 'hardware' and 'physics'`);
    }
    hardware = spec.hardware;
    physics = spec.physics;
    label = `table at ${path}`;
  }
  return guard(env, path, () =>
    new TableCurve({
      conversion: env.id,
      label,
      hardwareUnits: spec.hardwareUnits,
      physicsUnits: spec.physicsUnits,
      hardware,
      physics,
      interpolation: spec.interpolation,
      extrapolation: spec.extrapolation,
      domain: spec.domain,
    }),
  );
}

function checkCurveUnits(env: BuildEnv, path: string, curve: Curve, hardwareUnits: string, physicsUnits: string, role: string): void {
  if (!sameUnits(curve.hardwareUnits, hardwareUnits)) {
    throw new ConfigError(
      env.file,
      `${path}.hardwareUnits`,
      curve.hardwareUnits,
      `unit conversion '${env.id}': curve ${curve.label} takes '${curve.hardwareUnits}' but ${role} is in '${hardwareUnits}'`,
    );
  }
  if (!sameUnits(curve.physicsUnits, physicsUnits)) {
    throw new ConfigError(
      env.file,
      `${path}.physicsUnits`,
      curve.physicsUnits,
      `unit conversion '${env.id}': curve ${curve.label} gives '${curve.physicsUnits}' but ${role} expects '${physicsUnits}'`,
    );
  }
}

/** Builds a hysteresis conversion (branches or lens model). */
export function buildHysteresis(spec: HysteresisSpec, env: BuildEnv, path: string): HysteresisConversion {
  checkUnitSyntax(env, path, 'hardwareUnits', spec.hardwareUnits);
  checkUnitSyntax(env, path, 'physicsUnits', spec.physicsUnits);
  const { min, max } = spec.standardisation;
  if (!(min < max)) {
    throw new ConfigError(env.file, `${path}.standardisation`, [min, max], `unit conversion '${env.id}': standardisation needs min < max`);
  }
  const hasBranches = spec.up !== undefined || spec.down !== undefined;
  if (hasBranches === (spec.model !== undefined)) {
    throw new ConfigError(env.file, path, undefined, `unit conversion '${env.id}': give either 'up' and 'down' branches or a 'model'`);
  }
  const covers = (c: Curve, p: string) => {
    if (!(c.domain[0] <= min && c.domain[1] >= max)) {
      throw new ConfigError(
        env.file,
        p,
        [c.domain[0], c.domain[1]],
        `unit conversion '${env.id}': curve ${c.label} is defined on [${c.domain[0]}, ${c.domain[1]}], ` +
          `which does not cover the standardisation range [${min}, ${max}]`,
      );
    }
  };
  let up: HysteresisBranch;
  let down: HysteresisBranch;
  if (spec.model) {
    const center = buildCurve(spec.model.curve, env, `${path}.model.curve`);
    checkCurveUnits(env, `${path}.model.curve`, center, spec.hardwareUnits, spec.physicsUnits, 'the hysteresis conversion');
    covers(center, `${path}.model.curve`);
    ({ up, down } = lensBranches(center, spec.model.halfWidth, min, max));
  } else {
    if (!spec.up || !spec.down) {
      throw new ConfigError(env.file, path, undefined, `unit conversion '${env.id}': both 'up' and 'down' branches are needed`);
    }
    const u = buildCurve(spec.up, env, `${path}.up`);
    const d = buildCurve(spec.down, env, `${path}.down`);
    checkCurveUnits(env, `${path}.up`, u, spec.hardwareUnits, spec.physicsUnits, 'the hysteresis conversion');
    checkCurveUnits(env, `${path}.down`, d, spec.hardwareUnits, spec.physicsUnits, 'the hysteresis conversion');
    covers(u, `${path}.up`);
    covers(d, `${path}.down`);
    up = u;
    down = d;
  }
  return guard(env, path, () =>
    new HysteresisConversion({
      id: env.id,
      hardwareUnits: spec.hardwareUnits,
      physicsUnits: spec.physicsUnits,
      up,
      down,
      standardisation: spec.standardisation,
      threshold: spec.threshold,
    }),
  );
}

/** Builds hardware → field → strength. The field units of the curve must be those the rigidity step expects. */
export function buildRigidity(spec: RigiditySpec, env: BuildEnv, path: string): RigidityConversion {
  const step = guard(env, path, () => new RigidityStep(spec));
  const inner: UnitConversion =
    spec.curve.type === 'hysteresis'
      ? buildHysteresis(spec.curve, env, `${path}.curve`)
      : new CurveConversion(env.id, buildCurve(spec.curve, env, `${path}.curve`));
  const curveLabel = inner instanceof CurveConversion ? inner.curve.label : `hysteresis model at ${path}.curve`;
  if (!sameUnits(inner.physicsUnits, step.fieldUnits)) {
    throw new ConfigError(
      env.file,
      `${path}.curve.physicsUnits`,
      inner.physicsUnits,
      `unit conversion '${env.id}': units do not compose: curve ${curveLabel} gives '${inner.physicsUnits}' but the rigidity step ` +
        `(order ${spec.order}, ${step.integrated ? 'integrated' : 'local'} field, ${spec.strength}) expects '${step.fieldUnits}'`,
    );
  }
  if (spec.hardwareUnits !== undefined) {
    checkUnitSyntax(env, path, 'hardwareUnits', spec.hardwareUnits);
    if (!sameUnits(spec.hardwareUnits, inner.hardwareUnits)) {
      throw new ConfigError(
        env.file,
        `${path}.hardwareUnits`,
        spec.hardwareUnits,
        `unit conversion '${env.id}': declared hardware units differ from those of curve ${curveLabel} ('${inner.hardwareUnits}')`,
      );
    }
  }
  if (spec.physicsUnits !== undefined) {
    checkUnitSyntax(env, path, 'physicsUnits', spec.physicsUnits);
    if (!sameUnits(spec.physicsUnits, step.strengthUnits)) {
      throw new ConfigError(
        env.file,
        `${path}.physicsUnits`,
        spec.physicsUnits,
        `unit conversion '${env.id}': declared physics units differ from those of ${spec.strength} of order ${spec.order} ('${step.strengthUnits}')`,
      );
    }
  }
  return new RigidityConversion(env.id, inner, step);
}

/** Builds a combined-function magnet (one instance: share it between the device fields of that magnet). */
export function buildCombinedMagnet(spec: CombinedSpec, env: BuildEnv, path: string): CombinedFunctionMagnet {
  const inputs = spec.inputs.map((inp, i) => {
    checkUnitSyntax(env, `${path}.inputs.${i}`, 'hardwareUnits', inp.hardwareUnits);
    return {
      name: inp.name,
      hardwareUnits: inp.hardwareUnits,
      curve: inp.curve ? buildCurve(inp.curve, env, `${path}.inputs.${i}.curve`) : undefined,
      initial: inp.initial,
    };
  });
  const outputs: CombinedOutput[] = spec.outputs.map((out, j) => {
    const p = `${path}.outputs.${j}`;
    checkUnitSyntax(env, p, 'fieldUnits', out.fieldUnits);
    if (out.strength === 'field') return { name: out.name, fieldUnits: out.fieldUnits };
    if (out.order === undefined) {
      throw new ConfigError(env.file, `${p}.order`, undefined, `unit conversion '${env.id}': output '${out.name}' (${out.strength}) needs a multipole 'order'`);
    }
    const order = out.order;
    const rigidity = guard(env, p, () => new RigidityStep({ ...out, order, strength: out.strength as 'K' | 'KL' | 'kick' }));
    return { name: out.name, fieldUnits: out.fieldUnits, rigidity };
  });
  return guard(env, path, () =>
    new CombinedFunctionMagnet({ id: env.id, inputs, outputs, matrix: spec.matrix, offset: spec.offset, inverse: spec.inverse }),
  );
}
