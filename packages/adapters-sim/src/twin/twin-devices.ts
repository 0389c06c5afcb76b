import type { FamilyConfig, LatticeModel, LoadedFacility, ParameterRef, UnitConversion, UnitConversionRegistry } from '@mlayer/core';
import { ConfigError, MlayerError, identityConversion } from '@mlayer/core';
import { beamField, beamQuantity, type BeamQuantity } from './beam-parameters.js';

/** What a family is to the twin. */
export type TwinRole = 'bpm' | 'rf' | 'tune' | 'current' | 'beam' | 'magnet' | 'kicker' | 'injector' | 'static';

/** The role of a family from its element class and model binding. */
export function familyRole(fam: FamilyConfig): TwinRole {
  const cls = fam.elementClass.toLowerCase();
  const field = fam.model?.field;
  if (field === 'Frequency' || cls === 'rf' || cls === 'rfcavity') return 'rf';
  if (cls === 'bpm' || cls === 'monitor' || field === 'Orbit') return 'bpm';
  if (cls === 'tune' || field === 'Tune') return 'tune';
  if (cls === 'dcct' || cls === 'current' || field === 'BeamCurrent') return 'current';
  // Emittance, energy spread, bunch length, Qs, U0 from the 6D equilibrium (beam-parameters.ts).
  if (beamField(fam) !== undefined) return 'beam';
  if (cls === 'kicker' || cls === 'pinger') return 'kicker';
  // A write of its setpoint injects one shot (injection.ts).
  if (cls === 'injection' || cls === 'injector') return 'injector';
  if (fam.model) return 'magnet';
  return 'static';
}

/** A power-supply-driven device of the twin (magnet or RF). */
export interface TwinActuator {
  readonly family: string;
  readonly name: string;
  readonly role: 'magnet' | 'rf';
  /** Model parameter driven (magnets). */
  readonly ref?: ParameterRef;
  /** Element length (for integrated strengths). */
  readonly length: number;
  readonly integrated: boolean;
  /** The AT field is integrated while the physics value is per metre (AT = physics × L). */
  readonly perLength: boolean;
  /** Devices on the same power supply (same setpoint channel): they follow this one. */
  readonly followers: TwinActuator[];
  /** The twin's own conversion instance (the magnet's physics, history included). */
  readonly conversion: UnitConversion;
  readonly limits?: readonly [number, number];
  /** Hardware setpoint. */
  setpoint: number;
  /** Hardware value the supply has reached. */
  actual: number;
  /** Calibration factor of the field (1 + field error). */
  calibration: number;
}

export interface TwinBpm {
  readonly element: number;
  /** [x, y] offset (m), gain (relative), rotation (rad), noise (m rms). */
  offset: [number, number];
  gain: [number, number];
  rotation: number;
  noise: [number, number] | undefined;
}

export type ChannelBinding =
  | { kind: 'setpoint'; actuator: TwinActuator }
  | { kind: 'readback'; actuator: TwinActuator }
  | { kind: 'bpm'; bpm: TwinBpm; plane: 0 | 1; conversion: UnitConversion }
  | { kind: 'tune'; plane: 0 | 1; conversion: UnitConversion }
  | { kind: 'current'; conversion: UnitConversion }
  // Monitors recompute the equilibrium at most once per periodMs (beam-parameters.ts).
  | { kind: 'beam'; family: string; quantity: BeamQuantity; conversion: UnitConversion; periodMs: number }
  | { kind: 'static'; value: number }
  // A write injects one shot; the value written is kept (a shot counter, say).
  | { kind: 'injector'; family: string; value: number }
  // Turn-by-turn (see turn-by-turn.ts): a kicker whose setpoint fires it, a BPM buffer of `length` turns.
  | { kind: 'kicker'; kicker: TwinKicker }
  | { kind: 'tbt'; bpm: TwinBpm; plane: 0 | 1; length: number; conversion: UnitConversion };

/** A kicker (pinger) of the twin: writing its setpoint fires it (turn-by-turn data). */
export interface TwinKicker {
  readonly family: string;
  readonly name: string;
  readonly element: number;
  readonly plane: 0 | 1;
  /** Hardware units to kick angle in rad. */
  readonly conversion: UnitConversion;
  readonly limits?: readonly [number, number];
  /** Hardware setpoint (the last kick). */
  setpoint: number;
}

/** Elements of each FamName, in lattice order, per model (built once: a facility names thousands of devices). */
const famNameIndex = new WeakMap<LatticeModel, Map<string, number[]>>();

function elementsNamed(model: LatticeModel, name: string): readonly number[] {
  let index = famNameIndex.get(model);
  if (!index) {
    index = new Map();
    for (let i = 0; i < model.length; i++) {
      const famName = model.element(i).famName;
      const list = index.get(famName);
      if (list) list.push(i);
      else index.set(famName, [i]);
    }
    famNameIndex.set(model, index);
  }
  return index.get(name) ?? [];
}

/** Resolves a device's `element` (index, or FamName matched in order of occurrence). */
export class ElementResolver {
  private readonly next = new Map<string, number>();
  constructor(private readonly model: LatticeModel) {}

  resolve(element: string | number | undefined, where: string): number | undefined {
    if (element === undefined) return undefined;
    if (typeof element === 'number') {
      if (element >= this.model.length) throw new MlayerError(`${where}: element index ${element} is past the end of the lattice (${this.model.length} elements)`);
      return element;
    }
    // The elements whose FamName is exactly `element` (as find('famname:^NAME$') with NAME escaped).
    const all = elementsNamed(this.model, element);
    if (all.length === 0) throw new MlayerError(`${where}: no lattice element named '${element}'`);
    const k = this.next.get(element) ?? 0;
    this.next.set(element, k + 1);
    // Devices naming the same element are matched in order; more devices than elements share the last.
    return all[Math.min(k, all.length - 1)];
  }
}

export interface TwinDevices {
  readonly bindings: Map<string, ChannelBinding>;
  readonly actuators: TwinActuator[];
  readonly bpms: Map<number, TwinBpm>;
  /** Devices of each family, in facility order (actuators or BPMs), for the error model. */
  readonly byFamily: Map<string, { actuators: TwinActuator[]; bpms: TwinBpm[] }>;
  /** Kickers (turn-by-turn excitation). */
  readonly kickers: TwinKicker[];
}

/** Binds every channel of the facility (in the twin's naming) to a model quantity. */
export function buildTwinDevices(facility: LoadedFacility, csName: string, registry: UnitConversionRegistry, design: LatticeModel): TwinDevices {
  const { config } = facility;
  const bindings = new Map<string, ChannelBinding>();
  const actuators: TwinActuator[] = [];
  const bpms = new Map<number, TwinBpm>();
  const byFamily = new Map<string, { actuators: TwinActuator[]; bpms: TwinBpm[] }>();
  const kickers: TwinKicker[] = [];

  for (const [famName, fam] of Object.entries(config.families)) {
    // FamNames repeated in the lattice are matched in order of occurrence, counted per family.
    const resolver = new ElementResolver(design);
    const role = familyRole(fam);
    const group = { actuators: [] as TwinActuator[], bpms: [] as TwinBpm[] };
    byFamily.set(famName, group);
    fam.devices.forEach((d, di) => {
      const where = `${facility.file}: families.${famName}.devices[${di}] (${d.name})`;
      const conversionFor = (field: 'setpoint' | 'readback' | 'monitor'): UnitConversion => {
        const f = fam.fields[field];
        const id = d.conversion ?? f?.conversion;
        if (id === undefined) return identityConversion(f?.units.hardware ?? '');
        return registry.create(config.unitConversions[id], { file: facility.file, resolvePath: facility.resolvePath, id });
      };
      const channel = (field: 'setpoint' | 'readback' | 'monitor') => facility.channel(famName, di, field, csName);
      if (role === 'bpm') {
        const element = resolver.resolve(d.element, where);
        if (element === undefined) throw new ConfigError(facility.file, `families.${famName}.devices[${di}].element`, undefined, `the twin needs the lattice element of BPM ${d.name}`);
        let bpm = bpms.get(element);
        if (!bpm) {
          bpm = { element, offset: [0, 0], gain: [0, 0], rotation: 0, noise: undefined };
          bpms.set(element, bpm);
        }
        group.bpms.push(bpm);
        const plane = (d.plane ?? fam.plane) === 'y' ? 1 : 0;
        for (const field of ['monitor', 'readback'] as const) {
          const ch = channel(field);
          const f = fam.fields[field];
          if (ch === undefined || !f) continue;
          if (f.dataType === 'array') bindings.set(ch, { kind: 'tbt', bpm, plane, length: f.length!, conversion: conversionFor(field) });
          else bindings.set(ch, { kind: 'bpm', bpm, plane, conversion: conversionFor(field) });
        }
        return;
      }
      if (role === 'kicker') {
        const element = resolver.resolve(d.element, where);
        if (element === undefined) throw new ConfigError(facility.file, `families.${famName}.devices[${di}].element`, undefined, `the twin needs the lattice element of kicker ${d.name}`);
        const p = d.plane ?? fam.plane;
        if (p === undefined) throw new ConfigError(facility.file, `families.${famName}.plane`, undefined, `the twin needs the plane (x or y) of kicker ${d.name}`);
        if (!fam.fields.setpoint) throw new ConfigError(facility.file, `families.${famName}.fields.setpoint`, undefined, `kicker ${d.name} needs a setpoint field (the kick)`);
        const kicker: TwinKicker = { family: famName, name: d.name, element, plane: p === 'y' ? 1 : 0, conversion: conversionFor('setpoint'), limits: d.limits ?? fam.fields.setpoint.limits, setpoint: 0 };
        kickers.push(kicker);
        const sp = channel('setpoint');
        if (sp !== undefined) bindings.set(sp, { kind: 'kicker', kicker });
        for (const field of ['readback', 'monitor'] as const) {
          const ch = channel(field);
          if (ch !== undefined && ch !== sp) bindings.set(ch, { kind: 'kicker', kicker });
        }
        return;
      }
      if (role === 'beam') {
        const quantity = beamQuantity(fam, d.plane, facility.file, `families.${famName}`);
        for (const field of ['monitor', 'readback'] as const) {
          const ch = channel(field);
          const periodMs = (fam.fields[field]?.updatePeriod ?? 1) * 1000;
          if (ch !== undefined) bindings.set(ch, { kind: 'beam', family: famName, quantity, conversion: conversionFor(field), periodMs });
        }
        return;
      }
      if (role === 'tune' || role === 'current') {
        for (const field of ['monitor', 'readback'] as const) {
          const ch = channel(field);
          if (ch === undefined) continue;
          bindings.set(ch, role === 'tune' ? { kind: 'tune', plane: (d.plane ?? fam.plane) === 'y' ? 1 : 0, conversion: conversionFor(field) } : { kind: 'current', conversion: conversionFor(field) });
        }
        return;
      }
      if (role === 'injector') {
        if (!fam.fields.setpoint) throw new ConfigError(facility.file, `families.${famName}.fields.setpoint`, undefined, `injection family ${famName} needs a setpoint field (a write injects one shot)`);
        const binding: ChannelBinding = { kind: 'injector', family: famName, value: 0 };
        for (const field of ['setpoint', 'readback', 'monitor'] as const) {
          const ch = channel(field);
          if (ch !== undefined && !bindings.has(ch)) bindings.set(ch, binding);
        }
        return;
      }
      if (role === 'static' || !fam.fields.setpoint) {
        for (const field of ['setpoint', 'readback', 'monitor'] as const) {
          const ch = channel(field);
          if (ch !== undefined) bindings.set(ch, { kind: 'static', value: 0 });
        }
        return;
      }
      const conversion = conversionFor('setpoint');
      let ref: ParameterRef | undefined;
      let length = 0;
      if (role === 'magnet') {
        const element = resolver.resolve(d.element, where);
        if (element === undefined) throw new ConfigError(facility.file, `families.${famName}.devices[${di}].element`, undefined, `the twin needs the lattice element of magnet ${d.name}`);
        ref = { element, field: fam.model!.field, index: fam.model!.index };
        length = design.element(element).length;
      }
      const act: TwinActuator = {
        family: famName,
        name: d.name,
        role: role === 'rf' ? 'rf' : 'magnet',
        ref,
        length,
        integrated: fam.model?.integrated ?? false,
        perLength: fam.model?.perLength ?? false,
        followers: [],
        conversion,
        limits: d.limits ?? fam.fields.setpoint.limits,
        setpoint: 0,
        actual: 0,
        calibration: 1,
      };
      actuators.push(act);
      group.actuators.push(act);
      const sp = channel('setpoint');
      const existing = sp !== undefined ? bindings.get(sp) : undefined;
      if (existing?.kind === 'setpoint') {
        // One power supply driving several magnets (series, or one PV with several fields): they follow the first.
        existing.actuator.followers.push(act);
        return;
      }
      if (sp !== undefined) bindings.set(sp, { kind: 'setpoint', actuator: act });
      for (const field of ['readback', 'monitor'] as const) {
        const ch = channel(field);
        if (ch !== undefined && ch !== sp && !bindings.has(ch)) bindings.set(ch, { kind: 'readback', actuator: act });
      }
    });
  }
  return { bindings, actuators, bpms, byFamily, kickers };
}
