import { UnitConversionRegistry, type ConversionBuildContext, type LoadedFacility, type UnitConversion } from '@mlayer/core';

/**
 * The conversion registry of the CLI: as core's, but a spec is validated against its
 * type's schema once, and a conversion without history is built once. A facility names one conversion for many devices, and the client
 * families and the twin each build one instance per device (stateful conversions keep
 * per-magnet state), each build validating the same spec object again: for the demo
 * facility 2 × 1378 validations of 676 specs, about 40 % of building the conversions.
 * Validation is a pure function of the spec object (the configuration, which nothing
 * changes): the validated spec of the same object, id and path is reused; a spec that
 * fails is validated again each time, so its error is the same as without the memo.
 *
 * Instances: core builds one per device so that a history-dependent conversion keeps the
 * state of its own magnet; such a conversion says so by `commit` (and `checkChange`,
 * `standardisationPlan`), core's port. A conversion with none of them is a pure function
 * of its arguments (hardware or physics value and the beam context), so one instance per
 * spec serves every device that names it, the client's families and the twin alike: the
 * demo facility builds 676 conversions instead of 2 × 1378. A history-dependent one is
 * built anew for each call, as by core's registry.
 */
export class MemoizedConversionRegistry extends UnitConversionRegistry {
  private readonly validated = new WeakMap<object, Map<string, unknown>>();
  private readonly stateless = new WeakMap<object, Map<string, UnitConversion>>();
  /** Shapes adopted for lazy building (adoptShapes): the facility file, its conversion specs, a shape per id. */
  private lazy: { file: string; raws: Readonly<Record<string, unknown>>; shapes: Map<string, ConversionShape> } | undefined;
  /** The shape of each conversion built, by id of the facility's specs (builtShapes). */
  private readonly built = new Map<string, ConversionShape>();
  /** Files the conversions built have resolved (their CSV tables), absolute (readFiles). */
  private readonly files = new Set<string>();
  /** Called once, before the first conversion is built (beforeFirstBuild). */
  private firstBuild: (() => void) | undefined;

  override validate(raw: unknown, context: ConversionBuildContext, path: string): unknown {
    if (raw === null || typeof raw !== 'object') return super.validate(raw, context, path);
    let byKey = this.validated.get(raw);
    if (!byKey) {
      byKey = new Map();
      this.validated.set(raw, byKey);
    }
    const key = `${context.file}\u0000${context.id}\u0000${path}`;
    if (byKey.has(key)) return byKey.get(key);
    const spec = super.validate(raw, context, path);
    byKey.set(key, spec);
    return spec;
  }

  /**
   * Takes validated specs of a facility's conversions (by id, as `validate` returned them
   * for that facility's spec objects: the compiled-facility cache's) so that building them
   * validates nothing again. A spec that is not a record of the raw spec's type is ignored.
   */
  adoptValidated(facility: Pick<LoadedFacility, 'file' | 'config'>, specs: Readonly<Record<string, unknown>>): void {
    const raws = facility.config.unitConversions;
    for (const [id, spec] of Object.entries(specs)) {
      if (!Object.prototype.hasOwnProperty.call(raws, id)) continue;
      const raw = raws[id] as unknown;
      if (raw === null || typeof raw !== 'object' || spec === null || typeof spec !== 'object') continue;
      if ((spec as { type?: unknown }).type !== (raw as { type?: unknown }).type) continue;
      let byKey = this.validated.get(raw);
      if (!byKey) {
        byKey = new Map();
        this.validated.set(raw, byKey);
      }
      byKey.set(`${facility.file}\u0000${id}\u0000unitConversions.${id}`, spec);
    }
  }

  /**
   * Builds conversions of these ids lazily from now on: `create` returns an object with the
   * shape's units and history methods that builds the real conversion (validating and reading
   * its tables) when one of its methods is first called. Only for a facility whose conversions
   * were all built before from the same files by the same code (the compiled-facility cache's
   * builtConversionsCached): a build that could fail is never deferred. A spec of another
   * object, path or file is built at once as before.
   */
  adoptShapes(facility: Pick<LoadedFacility, 'file' | 'config'>, shapes: Readonly<Record<string, ConversionShape>>): void {
    this.lazy = { file: facility.file, raws: facility.config.unitConversions, shapes: new Map(Object.entries(shapes)) };
  }

  /** Runs `prepare` once, just before the first conversion is built (adopting the cache's validated specs only when one is). */
  beforeFirstBuild(prepare: () => void): void {
    this.firstBuild = prepare;
  }

  /** The shapes of the conversions built so far (the ids of the facility's specs), to cache. */
  builtShapes(): Record<string, ConversionShape> {
    return Object.fromEntries(this.built);
  }

  /** Every file a conversion built so far has resolved (absolute paths). */
  readFiles(): string[] {
    return [...this.files];
  }

  override create(raw: unknown, context: ConversionBuildContext, path = `unitConversions.${context.id}`): UnitConversion {
    if (raw === null || typeof raw !== 'object') return super.create(raw, context, path);
    const key = `${context.file}\u0000${context.id}\u0000${path}`;
    const known = this.stateless.get(raw)?.get(key);
    if (known) return known;
    const lazy = this.lazy;
    const shape = lazy !== undefined && context.file === lazy.file && path === `unitConversions.${context.id}` && Object.prototype.hasOwnProperty.call(lazy.raws, context.id) && lazy.raws[context.id] === raw ? lazy.shapes.get(context.id) : undefined;
    if (shape !== undefined) {
      const conversion = lazyConversion(shape, () => this.build(raw, context, path, key));
      if (!shape.history) this.remember(raw, key, conversion);
      return conversion;
    }
    return this.build(raw, context, path, key);
  }

  /** Builds one conversion now (recording its shape and the files it read); a stateless one is kept for every later create. */
  private build(raw: object, context: ConversionBuildContext, path: string, key: string): UnitConversion {
    const prepare = this.firstBuild;
    this.firstBuild = undefined;
    prepare?.();
    const files = this.files;
    const conversion = super.create(raw, { ...context, resolvePath: (rel) => {
      const abs = context.resolvePath(rel);
      files.add(abs);
      return abs;
    } }, path);
    if (path === `unitConversions.${context.id}`) this.built.set(context.id, shapeOf(conversion));
    if (!hasHistory(conversion) && this.stateless.get(raw)?.get(key) === undefined) this.remember(raw, key, conversion);
    return conversion;
  }

  private remember(raw: object, key: string, conversion: UnitConversion): void {
    let byKey = this.stateless.get(raw);
    if (!byKey) {
      byKey = new Map();
      this.stateless.set(raw, byKey);
    }
    byKey.set(key, conversion);
  }
}

/** What a conversion shows before it is built: its units and which history methods it has. */
export interface ConversionShape {
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  /** It has commit, checkChange or standardisationPlan (one instance per device). */
  readonly history: boolean;
  readonly commit: boolean;
  readonly checkChange: boolean;
  readonly standardisationPlan: boolean;
}

function shapeOf(c: UnitConversion): ConversionShape {
  return {
    hardwareUnits: c.hardwareUnits,
    physicsUnits: c.physicsUnits,
    history: hasHistory(c),
    commit: c.commit !== undefined,
    checkChange: c.checkChange !== undefined,
    standardisationPlan: c.standardisationPlan !== undefined,
  };
}

/** Whether a value read from the cache is a shape. */
export function isConversionShape(v: unknown): v is ConversionShape {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return typeof s.hardwareUnits === 'string' && typeof s.physicsUnits === 'string' && ['history', 'commit', 'checkChange', 'standardisationPlan'].every((k) => typeof s[k] === 'boolean');
}

/** A conversion of a known shape that builds the real one on its first call. */
function lazyConversion(shape: ConversionShape, build: () => UnitConversion): UnitConversion {
  let real: UnitConversion | undefined;
  const get = (): UnitConversion => (real ??= build());
  const c: { -readonly [K in keyof UnitConversion]: UnitConversion[K] } = {
    hardwareUnits: shape.hardwareUnits,
    physicsUnits: shape.physicsUnits,
    toPhysics: (v, ctx) => get().toPhysics(v, ctx),
    toHardware: (v, ctx) => get().toHardware(v, ctx),
  };
  if (shape.commit) c.commit = (hw) => get().commit?.(hw);
  if (shape.checkChange) c.checkChange = (from, to) => get().checkChange?.(from, to);
  if (shape.standardisationPlan) c.standardisationPlan = () => get().standardisationPlan!();
  return c;
}

/** A conversion whose result depends on what was written before (core's port: commit, checkChange, standardisationPlan). */
function hasHistory(c: UnitConversion): boolean {
  return c.commit !== undefined || c.checkChange !== undefined || c.standardisationPlan !== undefined;
}
