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

  override create(raw: unknown, context: ConversionBuildContext, path = `unitConversions.${context.id}`): UnitConversion {
    if (raw === null || typeof raw !== 'object') return super.create(raw, context, path);
    const key = `${context.file}\u0000${context.id}\u0000${path}`;
    const known = this.stateless.get(raw)?.get(key);
    if (known) return known;
    const conversion = super.create(raw, context, path);
    if (!hasHistory(conversion)) {
      let byKey = this.stateless.get(raw);
      if (!byKey) {
        byKey = new Map();
        this.stateless.set(raw, byKey);
      }
      byKey.set(key, conversion);
    }
    return conversion;
  }
}

/** A conversion whose result depends on what was written before (core's port: commit, checkChange, standardisationPlan). */
function hasHistory(c: UnitConversion): boolean {
  return c.commit !== undefined || c.checkChange !== undefined || c.standardisationPlan !== undefined;
}
