import { Container } from 'inversify';
import type { ControlSystem } from '../control/control-system.js';
import type { ControlSystemRegistry } from '../control/control-system-registry.js';
import type { LoadedFacility } from '../config/loaded-facility.js';
import { MlayerError } from '../errors.js';
import type { LatticeModel } from '../model/lattice-model.js';
import { isDigitalTwin, type DigitalTwin } from '../model/digital-twin.js';
import { rigidity, type BeamState } from '../units/beam.js';
import type { ConversionContext } from '../units/unit-conversion.js';
import { UnitConversionRegistry } from '../units/unit-conversion-registry.js';
import { buildFamilyData } from './build-family-data.js';
import { systemClock, type Clock } from './clock.js';
import { ChannelAccess } from './channel-access.js';
import { DeviceLock } from './device-lock.js';
import { resolveFamilyName } from './family-names.js';
import { Family } from './family.js';
import type { FamilyData } from './family-data.js';
import { latticeModelProvider, type LatticeModelProvider } from './lattice-model-provider.js';
import type { FamilySnapshot, Snapshot } from './snapshot.js';
import { executeRestore, planRestore, type RestoreOptions, type RestorePlan } from './restore-plan.js';
import { TOKENS } from './tokens.js';

export interface AcceleratorOptions {
  readonly facility: LoadedFacility;
  /** Named control system of the facility (the mode); default: defaultMode, else the first one. */
  readonly mode?: string;
  /** Control-system types registered by the adapters the application uses. */
  readonly controlSystems: ControlSystemRegistry;
  /** Conversion types registered by @mlayer/calibration (identity only when absent). */
  readonly conversions?: UnitConversionRegistry;
  /** Writes to an online control system are refused unless this is true. */
  readonly allowWrites?: boolean;
  /** Passed to the control-system factory (the twin takes its lattice model and error seed from here). */
  readonly extras?: Readonly<Record<string, unknown>>;
  /** Design model for model-based tools (the twin provides one); a function is called on first use. */
  readonly model?: LatticeModel | (() => LatticeModel);
  /** The client clock (changes, measurement records, snapshots); default: the system clock. */
  readonly clock?: Clock;
  /**
   * Called with the container once the default bindings are made and before anything
   * is resolved: rebind there what a facility, a test or a user overrides (TOKENS:
   * ControlSystems, Conversions, LatticeModelProvider, Clock).
   */
  readonly configure?: (container: Container) => void | Promise<void>;
  /**
   * Each family's devices (channels, conversions, unit checks) are resolved when the family is
   * first used instead of when the accelerator is built. Only for a facility whose families
   * were all resolved without an error before from the same files and code (the CLI's
   * compiled-facility cache says so): otherwise a configuration error would be reported late.
   * Default false.
   */
  readonly lazyFamilies?: boolean;
}

/**
 * The facade users and tools see: families of devices on one control system.
 * The mode is chosen here, once, and is the only difference between online and twin.
 */
export class Accelerator {
  private beamState: BeamState;
  private readonly familyHandles = new Map<string, Family>();

  constructor(
    readonly facility: LoadedFacility,
    readonly mode: string,
    readonly access: ChannelAccess,
    private readonly familyData: Map<string, FamilyData>,
    readonly lock: DeviceLock,
    /** The client clock (TOKENS.Clock). */
    readonly clock: Clock,
    private readonly modelProvider: LatticeModelProvider,
    /** The container the accelerator was built from; extensions resolve services from it. */
    readonly container: Container,
  ) {
    this.beamState = { energy: facility.config.energy, particle: facility.config.particle };
    for (const [name, data] of familyData) {
      this.familyHandles.set(name, new Family(data, { access, conversionContext: () => this.conversionContext() }));
    }
  }

  get name(): string {
    return this.facility.config.name;
  }
  get controlSystem(): ControlSystem {
    return this.access.controlSystem;
  }
  get online(): boolean {
    return this.access.controlSystem.online;
  }
  /** The design model: the container's LatticeModelProvider, else the twin's own; undefined when there is none. */
  get model(): LatticeModel | undefined {
    const provided = this.modelProvider();
    if (provided) return provided;
    const cs = this.access.controlSystem;
    return isDigitalTwin(cs) ? cs.designModel : undefined;
  }

  /** The digital twin behind this accelerator (error sets, live changes); an error in online modes. */
  get twin(): DigitalTwin {
    const cs = this.access.controlSystem;
    if (!isDigitalTwin(cs)) throw new MlayerError(`mode '${this.mode}' is not a digital twin (control system type of '${cs.name}')`);
    return cs;
  }

  get beam(): BeamState {
    return this.beamState;
  }
  /** Changes the beam energy (eV) at run time; conversions to strengths follow it. */
  setEnergy(energy: number): void {
    if (!(energy > 0) || !Number.isFinite(energy)) throw new MlayerError(`energy must be a positive finite number of eV (got ${energy})`);
    this.beamState = { ...this.beamState, energy };
  }
  conversionContext(): ConversionContext {
    return { beam: this.beamState, brho: rigidity(this.beamState) };
  }

  familyNames(): string[] {
    return [...this.familyHandles.keys()];
  }

  /**
   * A family by its name, or by a group (memberOf, MML's HCM, VCM, ...) of exactly one
   * family; a group of several families or an unknown name (with suggestions) is an error.
   */
  family(name: string): Family {
    // resolveFamilyName returns one of these families' names or throws (UnknownFamilyError).
    return this.familyHandles.get(name) ?? this.familyHandles.get(resolveFamilyName(name, [...this.familyHandles.values()]))!;
  }

  /** Families that are members of a group (MML MemberOf: 'BPM', 'COR', 'HCM', 'QUAD', ...). */
  group(group: string): Family[] {
    return [...this.familyHandles.values()].filter((f) => f.memberOf.includes(group) || f.name === group);
  }

  /** Setpoints of every family with a setpoint field (MML getmachineconfig). */
  async snapshot(options: { signal?: AbortSignal } = {}): Promise<Snapshot> {
    const families: Record<string, FamilySnapshot> = {};
    for (const fam of this.familyHandles.values()) {
      if (!fam.fields.includes('setpoint')) continue;
      const values = await fam.get({ field: 'setpoint', signal: options.signal });
      families[fam.name] = {
        devices: fam.deviceList,
        names: fam.names,
        channels: fam.channels('setpoint'),
        values: Array.from(values),
        units: fam.units('setpoint').hardware,
      };
    }
    return { facility: this.name, facilitySha256: this.facility.sha256, mode: this.mode, date: new Date(this.clock.now()).toISOString(), families };
  }

  /**
   * Checks a snapshot against this accelerator (facility and its SHA-256, families, devices,
   * units, limits) and reads what a restore would change; throws, writing nothing, on anything wrong.
   */
  planRestore(snapshot: Snapshot, options: RestoreOptions = {}): Promise<RestorePlan> {
    return planRestore(this, snapshot, options);
  }

  /**
   * Writes a snapshot back (MML setmachineconfig): everything is checked first (planRestore),
   * then only setpoints that differ are written. Returns what was written.
   */
  async restore(snapshot: Snapshot, options: RestoreOptions & { wait?: boolean } = {}): Promise<RestorePlan> {
    const plan = await planRestore(this, snapshot, options);
    await executeRestore(this, plan, options);
    return plan;
  }

  async close(): Promise<void> {
    await this.access.controlSystem.close();
  }
}

/**
 * The composition root: an inversify container with the accelerator's services
 * bound (TOKENS). Nothing is built yet: the control system is created, and the
 * families validated, when the Accelerator is resolved (`getAsync(TOKENS.Accelerator)`);
 * until then any binding may be replaced (`rebindSync`).
 */
export function acceleratorContainer(options: AcceleratorOptions): Container {
  const { facility } = options;
  const csNames = Object.keys(facility.config.controlSystems);
  const mode = options.mode ?? facility.config.defaultMode ?? csNames[0];
  if (!facility.config.controlSystems[mode]) {
    throw new MlayerError(`${facility.file}: unknown mode '${mode}'; the facility defines control systems ${csNames.join(', ')}`);
  }

  const container = new Container();
  // What a facility, a test or a user overrides.
  container.bind(TOKENS.ControlSystems).toConstantValue(options.controlSystems);
  container.bind(TOKENS.Conversions).toConstantValue(options.conversions ?? new UnitConversionRegistry());
  container.bind(TOKENS.LatticeModelProvider).toConstantValue(latticeModelProvider(options.model));
  container.bind(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
  // The services built from them.
  container.bind(TOKENS.Facility).toConstantValue(facility);
  container.bind(TOKENS.Mode).toConstantValue(mode);
  container.bind(TOKENS.DeviceLock).toDynamicValue(() => new DeviceLock()).inSingletonScope();
  container
    .bind(TOKENS.Families)
    .toDynamicValue((ctx) => buildFamilyData(ctx.get<LoadedFacility>(TOKENS.Facility), ctx.get<string>(TOKENS.Mode), ctx.get<UnitConversionRegistry>(TOKENS.Conversions), { lazy: options.lazyFamilies }))
    .inSingletonScope();
  container
    .bind(TOKENS.ControlSystem)
    .toDynamicValue(async (ctx) => {
      const f = ctx.get<LoadedFacility>(TOKENS.Facility);
      const name = ctx.get<string>(TOKENS.Mode);
      const cs = f.config.controlSystems[name];
      return ctx.get<ControlSystemRegistry>(TOKENS.ControlSystems).create(cs.type, cs.settings, {
        name,
        file: f.file,
        resolvePath: f.resolvePath,
        extras: { facility: f, conversions: ctx.get<UnitConversionRegistry>(TOKENS.Conversions), ...options.extras },
        locate: (path) => f.locate(path),
      });
    })
    .inSingletonScope();
  container
    .bind(TOKENS.ChannelAccess)
    .toDynamicValue(async (ctx) => new ChannelAccess(await ctx.getAsync<ControlSystem>(TOKENS.ControlSystem), options.allowWrites ?? false, ctx.get<Clock>(TOKENS.Clock)))
    .inSingletonScope();
  container
    .bind(TOKENS.Accelerator)
    .toDynamicValue(async (ctx) => {
      // Conversions and units are validated before any connection is made.
      const families = ctx.get<Map<string, FamilyData>>(TOKENS.Families);
      return new Accelerator(
        ctx.get<LoadedFacility>(TOKENS.Facility),
        ctx.get<string>(TOKENS.Mode),
        await ctx.getAsync<ChannelAccess>(TOKENS.ChannelAccess),
        families,
        ctx.get<DeviceLock>(TOKENS.DeviceLock),
        ctx.get<Clock>(TOKENS.Clock),
        ctx.get<LatticeModelProvider>(TOKENS.LatticeModelProvider),
        container,
      );
    })
    .inSingletonScope();
  return container;
}

/** Builds an accelerator through its inversify container (acceleratorContainer): the mode picks the control system. */
export async function createAccelerator(options: AcceleratorOptions): Promise<Accelerator> {
  const container = acceleratorContainer(options);
  await options.configure?.(container);
  return container.getAsync<Accelerator>(TOKENS.Accelerator);
}
