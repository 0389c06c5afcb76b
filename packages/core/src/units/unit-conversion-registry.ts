import type { ZodType } from 'zod';
import { ConfigError } from '../errors.js';
import type { UnitConversion } from './unit-conversion.js';
import { identityConversion } from './unit-conversion.js';
import { lazySchema } from '../config/lazy-schema.js';

/** What a conversion factory gets besides its validated spec. */
export interface ConversionBuildContext {
  /** File the spec came from (for error messages and relative paths). */
  readonly file: string;
  /** Resolves a path relative to the facility file. */
  resolvePath(relative: string): string;
  /** Id of the conversion in the facility file. */
  readonly id: string;
}

/** A kind of conversion (`type:` key in the facility file) that a package provides. */
export interface UnitConversionFactory<Spec = unknown> {
  readonly type: string;
  readonly description: string;
  /** Strict schema of the spec (including `type`). */
  readonly schema: ZodType<Spec>;
  /**
   * Builds one conversion instance; called once per device so that stateful
   * conversions (hysteresis) keep per-magnet state.
   */
  create(spec: Spec, context: ConversionBuildContext): UnitConversion;
}

/**
 * Registry of conversion types. An instance, never a global: the application (CLI,
 * tests) creates one and the packages that provide conversions fill it.
 */
export class UnitConversionRegistry {
  private readonly factories = new Map<string, UnitConversionFactory<unknown>>();

  constructor() {
    this.register({
      type: 'identity',
      description: 'hardware and physics values are equal',
      schema: identityFactorySchema,
      create: (spec) => identityConversion((spec as { units?: string }).units ?? ''),
    });
  }

  register<S>(factory: UnitConversionFactory<S>): this {
    this.factories.set(factory.type, factory as UnitConversionFactory<unknown>);
    return this;
  }

  has(type: string): boolean {
    return this.factories.has(type);
  }

  types(): { type: string; description: string }[] {
    return [...this.factories.values()].map((f) => ({ type: f.type, description: f.description }));
  }

  factory(type: string): UnitConversionFactory<unknown> | undefined {
    return this.factories.get(type);
  }

  /** Validates a raw spec against its type's schema; throws a ConfigError naming the id and field. */
  validate(raw: unknown, context: ConversionBuildContext, path: string): unknown {
    const type = (raw as { type?: unknown } | null)?.type;
    const factory = typeof type === 'string' ? this.factories.get(type) : undefined;
    if (!factory) {
      throw new ConfigError(
        context.file,
        `${path}.type`,
        type,
        `unit conversion '${context.id}': unknown conversion type; known types: ${[...this.factories.keys()].join(', ')}`,
      );
    }
    const parsed = factory.schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const sub = issue.path.map(String).join('.');
      throw new ConfigError(context.file, sub ? `${path}.${sub}` : path, pick(raw, issue.path), `unit conversion '${context.id}': ${issue.message}`);
    }
    return parsed.data;
  }

  /** Creates one conversion instance from a (validated or raw) spec. */
  create(raw: unknown, context: ConversionBuildContext, path = `unitConversions.${context.id}`): UnitConversion {
    const spec = this.validate(raw, context, path) as { type: string };
    return this.factories.get(spec.type)!.create(spec, context);
  }
}

const identityFactorySchema = lazySchema((z) => z.object({ type: z.literal('identity'), units: z.string().optional() }).strict());

function pick(value: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}
