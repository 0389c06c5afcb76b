import { MlayerError, type LoadedFacility } from '@mlayer/core';
import { FaultSpecSchema, type TwinFault } from './fault-spec.js';
import { Random } from './random.js';
import type { TwinActuator, TwinBpm, TwinDevices } from './twin-devices.js';

/** A fault with the devices it acts on and what it captured when it became active. */
interface ActiveFault {
  readonly fault: TwinFault;
  readonly actuators: readonly TwinActuator[];
  readonly bpms: readonly TwinBpm[];
  /** Whether the start has been reached (values captured). */
  active: boolean;
  /** Output of each actuator at the start (trip, stuck). */
  readonly held: Map<TwinActuator, number>;
  /** Reading of each BPM channel at the start ('constant'). */
  readonly heldReading: Map<string, number>;
}

/**
 * The twin's injected faults (fault-spec.ts) and what they do to supply outputs, fields,
 * BPM readings, the RF frequency the beam sees and the beam current, at the time `now`
 * (the twin's clock, set by the twin before each evaluation).
 */
export class TwinFaults {
  private list: ActiveFault[] = [];
  /** Actuators a fault acts or acted on (their fields are re-applied after each change of time or list). */
  readonly touched = new Set<TwinActuator>();
  now = 0;

  constructor(
    private readonly facility: LoadedFacility,
    private readonly devices: TwinDevices,
    private readonly seed: () => number,
    private readonly updatePeriodMs: number,
  ) {}

  get faults(): readonly TwinFault[] {
    return this.list.map((f) => f.fault);
  }

  /** Validates every spec (nothing is added when one is wrong) and adds them; returns the faults as kept. */
  add(specs: readonly unknown[], now: number): TwinFault[] {
    const added: ActiveFault[] = specs.map((spec, i) => this.resolve(spec, i, now));
    this.list.push(...added);
    for (const f of added) for (const a of f.actuators) this.touched.add(a);
    return added.map((f) => f.fault);
  }

  clear(): void {
    this.list = [];
  }

  /** Activates the faults whose start has come (capturing what they hold); `output` gives each actuator's value before. */
  activate(output: (a: TwinActuator) => number): void {
    for (const f of this.list) {
      if (f.active || this.now < f.fault.start) continue;
      for (const a of f.actuators) f.held.set(a, output(a));
      f.active = true;
    }
  }

  /** The supply output (hardware units) of an actuator whose own value is `actual`. */
  output(a: TwinActuator, actual: number): number {
    let v = actual;
    for (const f of this.list) {
      if (!f.active || !f.actuators.includes(a)) continue;
      const { fault } = f;
      if (fault.kind === 'trip') {
        const t = (this.now - fault.start) / 1000;
        v = fault.ramp > 0 ? f.held.get(a)! * Math.max(0, 1 - t / fault.ramp) : 0;
      } else if (fault.kind === 'stuck') v = f.held.get(a)!;
      else if (fault.kind === 'corrector-noise' && fault.sigma > 0) {
        const step = Math.floor((this.now - fault.start) / this.updatePeriodMs);
        v += fault.sigma * new Random(mix(fault.seed ?? this.seed(), step, this.devices.actuators.indexOf(a))).gaussian();
      }
    }
    return v;
  }

  /** Factor on an actuator's field (gradient errors). */
  fieldFactor(a: TwinActuator): number {
    let k = 1;
    for (const f of this.list) if (f.active && f.fault.kind === 'gradient' && f.actuators.includes(a)) k *= 1 + f.fault.relative;
    return k;
  }

  /** A BPM's reading noise (m rms) with its faults. */
  bpmSigma(bpm: TwinBpm, sigma: number): number {
    for (const f of this.list) if (f.active && f.fault.kind === 'bpm' && f.fault.mode === 'noise' && f.bpms.includes(bpm)) sigma = f.fault.sigma ?? sigma * f.fault.factor;
    return sigma;
  }

  /** A BPM channel's reading (hardware units) with its faults: NaN, or held at the start. */
  bpmValue(bpm: TwinBpm, channel: string, value: number): number {
    for (const f of this.list) {
      if (!f.active || f.fault.kind !== 'bpm' || !f.bpms.includes(bpm)) continue;
      if (f.fault.mode === 'nan') return Number.NaN;
      if (f.fault.mode === 'constant') {
        if (!f.heldReading.has(channel)) f.heldReading.set(channel, value);
        return f.heldReading.get(channel)!;
      }
    }
    return value;
  }

  /** Offset of the RF frequency the beam sees, Hz. */
  rfOffset(): number {
    let df = 0;
    for (const f of this.list) if (f.active && f.fault.kind === 'rf-drift') df += (f.fault.rate * (this.now - f.fault.start)) / 1000;
    return df;
  }

  /** Factor on the beam current (beam loss). */
  currentFactor(): number {
    let k = 1;
    for (const f of this.list) if (f.active && f.fault.kind === 'beam-loss') k *= Math.exp(-(this.now - f.fault.start) / 1000 / f.fault.lifetime);
    return k;
  }

  private resolve(spec: unknown, i: number, now: number): ActiveFault {
    const parsed = FaultSpecSchema.safeParse(spec);
    if (!parsed.success) throw new MlayerError(parsed.error.issues.map((x) => `fault ${i + 1}: ${x.path.join('.') || '(root)'}: ${x.message}`).join('\n'));
    const { after, start, ...rest } = parsed.data as typeof parsed.data & { after?: number; start?: number };
    const fault = { ...rest, start: start ?? now + (after ?? 0) * 1000 } as TwinFault;
    let actuators: TwinActuator[] = [];
    let bpms: TwinBpm[] = [];
    if ('family' in fault) {
      const where = `fault ${i + 1} (${fault.kind})`;
      const fam = this.facility.config.families[fault.family];
      const group = this.devices.byFamily.get(fault.family);
      if (!fam || !group) throw new MlayerError(`${where}: no family '${fault.family}' in ${this.facility.config.name}`);
      const indices = fault.device === undefined ? fam.devices.map((_, k) => k) : [this.deviceIndex(fault.family, fault.device, where)];
      if (fault.kind === 'bpm') {
        if (group.bpms.length === 0) throw new MlayerError(`${where}: family ${fault.family} has no BPMs`);
        bpms = indices.map((k) => group.bpms[k]);
      } else {
        if (group.actuators.length === 0) throw new MlayerError(`${where}: family ${fault.family} has no power supplies the twin drives`);
        actuators = indices.map((k) => group.actuators[k]).flatMap((a) => [a, ...a.followers]);
        if (fault.kind === 'gradient' && actuators.some((a) => a.role !== 'magnet')) throw new MlayerError(`${where}: ${fault.family} is not a magnet family`);
      }
    }
    return { fault, actuators, bpms, active: false, held: new Map(), heldReading: new Map() };
  }

  private deviceIndex(family: string, device: string | readonly [number, number], where: string): number {
    const devs = this.facility.config.families[family].devices;
    const k = typeof device === 'string' ? devs.findIndex((d) => d.name === device) : devs.findIndex((d) => d.device?.[0] === device[0] && d.device?.[1] === device[1]);
    if (k < 0) throw new MlayerError(`${where}: family ${family} has no device ${typeof device === 'string' ? `'${device}'` : `[${device.join(', ')}]`}`);
    return k;
  }
}

/** A seed from (seed, step, device): the same draw whatever was evaluated before. */
function mix(seed: number, step: number, device: number): number {
  let h = (seed ^ 0x6a09e667) >>> 0;
  for (const v of [step, device]) {
    h = Math.imul(h ^ (v | 0), 0x9e3779b1);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
