import type { ConversionBuildContext, UnitConversion, UnitConversionFactory, UnitConversionRegistry } from '@mlayer/core';
import { ConfigError } from '@mlayer/core';
import { buildCombinedMagnet, buildCurve, buildHysteresis, buildRigidity, type BuildEnv } from './build.js';
import { CalibrationError } from './errors.js';
import { CsvCache } from './csv.js';
import { CurveConversion } from './curve-conversion.js';
import {
  combinedSpecSchema,
  hysteresisSpecSchema,
  linearSpecSchema,
  polynomialSpecSchema,
  rigiditySpecSchema,
  tableSpecSchema,
  type CombinedSpec,
  type CurveSpec,
  type HysteresisSpec,
  type RigiditySpec,
} from './specs.js';

function env(context: ConversionBuildContext, csv: CsvCache): BuildEnv {
  return { id: context.id, file: context.file, resolvePath: (p) => context.resolvePath(p), csv };
}

const pathOf = (context: ConversionBuildContext) => `unitConversions.${context.id}`;

/** The factories of this package (one per `type:` key), sharing one CSV cache. */
export function calibrationFactories(csv: CsvCache = new CsvCache()): UnitConversionFactory<unknown>[] {
  const curveFactory = <S extends CurveSpec>(type: S['type'], description: string, schema: UnitConversionFactory<S>['schema']) =>
    ({
      type,
      description,
      schema,
      create: (spec: S, context: ConversionBuildContext): UnitConversion =>
        new CurveConversion(context.id, buildCurve(spec, env(context, csv), pathOf(context))),
    }) satisfies UnitConversionFactory<S>;
  const factories = [
    curveFactory('linear', 'physics = gain · hardware + offset', linearSpecSchema),
    curveFactory('polynomial', 'physics = Σ c_k · hardware^k (inline or from a CSV such as pytac uc_poly_data.csv); inverse by a monotonic solve', polynomialSpecSchema),
    curveFactory(
      'table',
      'tabulated monotonic curve, PCHIP (scipy/pytac) or linear interpolation, inline or from a CSV such as pytac uc_pchip_data.csv',
      tableSpecSchema,
    ),
    {
      type: 'rigidity',
      description: 'hardware → field (a curve or hysteresis model) → normalised strength K, KL or kick with the live beam rigidity',
      schema: rigiditySpecSchema,
      create: (spec: RigiditySpec, context: ConversionBuildContext) => buildRigidity(spec, env(context, csv), pathOf(context)),
    } satisfies UnitConversionFactory<RigiditySpec>,
    {
      type: 'hysteresis',
      description: 'up and down branches (or a lens model) with state, standardisation cycle and a change threshold',
      schema: hysteresisSpecSchema,
      create: (spec: HysteresisSpec, context: ConversionBuildContext) => buildHysteresis(spec, env(context, csv), pathOf(context)),
    } satisfies UnitConversionFactory<HysteresisSpec>,
    {
      type: 'combined',
      description: 'combined-function magnet: coils/supplies → multipole strengths through a matrix (scalar view of one output)',
      schema: combinedSpecSchema,
      create: (spec: CombinedSpec, context: ConversionBuildContext) => {
        const path = pathOf(context);
        if (!spec.view) {
          throw new ConfigError(
            context.file,
            `${path}.view`,
            undefined,
            `unit conversion '${context.id}': a combined magnet used as a device conversion needs 'view: { output, input }'`,
          );
        }
        const magnet = buildCombinedMagnet(spec, env(context, csv), path);
        try {
          return magnet.view(spec.view.output, spec.view.input);
        } catch (e) {
          if (e instanceof CalibrationError) throw new ConfigError(context.file, `${path}.view`, spec.view, e.message);
          throw e;
        }
      },
    } satisfies UnitConversionFactory<CombinedSpec>,
  ];
  return factories as UnitConversionFactory<unknown>[];
}

/** Registers every conversion type of this package: linear, polynomial, table, rigidity, hysteresis, combined. */
export function registerCalibration(registry: UnitConversionRegistry): void {
  const csv = new CsvCache();
  for (const f of calibrationFactories(csv)) registry.register(f);
}
