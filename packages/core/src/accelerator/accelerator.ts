import { Container } from 'inversify';
import type { ControlSystem } from '../control/control-system.js';
import type { ControlSystemRegistry } from '../control/control-system-registry.js';
import type { LoadedFacility } from '../config/load-facility.js';
import { MlayerError } from '../errors.js';
import type { LatticeModel } from '../model/lattice-model.js';
import { isDigitalTwin, type DigitalTwin } from '../model/digital-twin.js';
import { rigidity, type BeamState } from '../units/beam.js';
import type { ConversionContext } from '../units/unit-conversion.js';
import { UnitConversionRegistry } from '../units/unit-conversion-registry.js';
import { buildFamilyData } from './build-family-data.js';
import { ChannelAccess } from './channel-access.js';
import { DeviceLock } from './device-lock.js';
import { Family } from './family.js';
import type { FamilyData } from './family-data.js';
import type { FamilySnapshot, Snapshot } from './snapshot.js';
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
  /** The design model, when one was provided (the twin provides it). */
  get model(): LatticeModel | undefined {
    if (this.container.isBound(TOKENS.LatticeModel)) return this.container.get<LatticeModel>(TOKENS.LatticeModel);
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

  family(name: string): Family {
    const f = this.familyHandles.get(name);
    if (!f) throw new MlayerError(`unknown family '${name}'; families: ${this.familyNames().join(', ')}`);
    return f;
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
    return { facility: this.name, mode: this.mode, date: new Date().toISOString(), families };
  }

  /**
   * Writes a snapshot back (MML setmachineconfig): only setpoints that differ are
   * written; every value is checked against the limits before anything is written.
   */
  async restore(snapshot: Snapshot, options: { wait?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const plan: { fam: Family; values: Float64Array }[] = [];
    for (const [name, s] of Object.entries(snapshot.families)) {
      const fam = this.family(name).devices(s.devices);
      const current = await fam.get({ field: 'setpoint', signal: options.signal });
      const changed = s.values.some((v, i) => v !== current[i]);
      if (changed) plan.push({ fam, values: Float64Array.from(s.values) });
    }
    // Check every family before writing any (limits, finite values).
    for (const { fam, values } of plan) fam.toHardware(values);
    for (const { fam, values } of plan) {
      const d = fam.limits;
      values.forEach((v, i) => {
        const l = d[i];
        if (l && (v < l[0] || v > l[1])) throw new MlayerError(`restore: ${fam.name} ${fam.names[i]} value ${v} is outside [${l[0]}, ${l[1]}]; nothing was written`);
      });
    }
    for (const { fam, values } of plan) await fam.set(values, { wait: options.wait, signal: options.signal });
  }

  async close(): Promise<void> {
    await this.access.controlSystem.close();
  }
}

/** Builds an accelerator through an inversify container: the mode picks the control system. */
export async function createAccelerator(options: AcceleratorOptions): Promise<Accelerator> {
  const { facility } = options;
  const csNames = Object.keys(facility.config.controlSystems);
  const mode = options.mode ?? facility.config.defaultMode ?? csNames[0];
  const csConfig = facility.config.controlSystems[mode];
  if (!csConfig) throw new MlayerError(`${facility.file}: unknown mode '${mode}'; the facility defines control systems ${csNames.join(', ')}`);
  const conversions = options.conversions ?? new UnitConversionRegistry();

  const container = new Container();
  container.bind(TOKENS.Facility).toConstantValue(facility);
  container.bind(TOKENS.Mode).toConstantValue(mode);
  container.bind(TOKENS.Conversions).toConstantValue(conversions);
  container.bind(TOKENS.DeviceLock).toConstantValue(new DeviceLock());
  const model = options.model;
  if (typeof model === 'function') container.bind(TOKENS.LatticeModel).toDynamicValue(() => model()).inSingletonScope();
  else if (model) container.bind(TOKENS.LatticeModel).toConstantValue(model);
  // Validate conversions and units before any connection is made.
  container.bind(TOKENS.Families).toConstantValue(buildFamilyData(facility, mode, conversions));
  const cs = await options.controlSystems.create(csConfig.type, csConfig.settings, {
    name: mode,
    file: facility.file,
    resolvePath: facility.resolvePath,
    extras: { facility, conversions, ...options.extras },
    locate: (path) => facility.locate(path),
  });
  container.bind(TOKENS.ControlSystem).toConstantValue(cs);
  container.bind(TOKENS.ChannelAccess).toDynamicValue((ctx) => new ChannelAccess(ctx.get<ControlSystem>(TOKENS.ControlSystem), options.allowWrites ?? false)).inSingletonScope();
  container
    .bind(TOKENS.Accelerator)
    .toDynamicValue(
      (ctx) =>
        new Accelerator(
          ctx.get<LoadedFacility>(TOKENS.Facility),
          ctx.get<string>(TOKENS.Mode),
          ctx.get<ChannelAccess>(TOKENS.ChannelAccess),
          ctx.get<Map<string, FamilyData>>(TOKENS.Families),
          ctx.get<DeviceLock>(TOKENS.DeviceLock),
          container,
        ),
    )
    .inSingletonScope();
  return container.get<Accelerator>(TOKENS.Accelerator);
}
