import { rxSubjects, type Observable } from '../rx.js';
import type { Accelerator } from '../accelerator/accelerator.js';
import { sleep, type Family, type Units } from '../accelerator/family.js';
import type { FieldName } from '../config/schema.js';
import { describeDefaultedSettling, type SettlingQuantity } from '../config/settling-defaults.js';
import { AbortedError, DisconnectedError, MlayerError, TimeoutError, WritesNotAllowedError } from '../errors.js';
import type { Sample } from '../control/sample.js';
import { readFresh } from './fresh-reading.js';

export interface MeasurementProgress {
  readonly name: string;
  readonly step: number;
  readonly total: number;
  readonly message: string;
}

export interface MeasurementRecord {
  /** Seconds since the Unix epoch. */
  readonly time: number;
  readonly kind: 'set' | 'read' | 'restore' | 'note';
  readonly family?: string;
  readonly devices?: readonly (readonly [number, number])[];
  readonly values?: readonly number[];
  readonly units?: Units;
  readonly message?: string;
}

export interface MeasurementOptions {
  readonly name: string;
  /** Families (or selections) the measurement drives; their setpoints are locked and restored on failure. */
  readonly drives: readonly Family[];
  readonly signal?: AbortSignal;
  /** Number of steps, for progress. */
  readonly total?: number;
  /** Also restore the starting setpoints when the body completes normally. */
  readonly restoreOnSuccess?: boolean;
  /** Readback settle timeout in milliseconds (default 10 s). */
  readonly settleTimeout?: number;
  /** Families the measurement reads (BPMs, tunes): named at the start when they rely on default settling. */
  readonly observes?: readonly Family[];
  /** How long a reading may take to become fresh after a change, ms (default: the settle timeout). */
  readonly freshTimeout?: number;
  /** Receives every warning as it is raised (also in `warnings` and `warning$`). */
  readonly onWarning?: (warning: MeasurementWarning) => void;
}

/** Something the user should know about a measurement that does not stop it. */
export interface MeasurementWarning {
  readonly kind: 'settling-defaults';
  readonly message: string;
  /** Families concerned. */
  readonly families: readonly string[];
}

export interface AverageResult {
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** Number of finite readings per device. */
  readonly count: Int32Array;
  readonly samples: Float64Array[];
  /** Timestamp (seconds since the epoch, server time) of each device's last sample. */
  readonly timestamps?: Float64Array;
}

/** What the body of a measurement uses to drive and read the machine. */
export interface MeasurementContext {
  readonly signal: AbortSignal;
  set(family: Family, values: number | ArrayLike<number>, options?: { units?: Units }): Promise<void>;
  step(family: Family, deltas: number | ArrayLike<number>, options?: { units?: Units }): Promise<void>;
  /** Waits for the settle time (unless the set already did), then until the readback is within tolerance of the setpoint. */
  settle(family: Family): Promise<void>;
  /**
   * Averages n readings taken `interval` ms apart; NaN readings are excluded per device.
   * After a change the first reading is fresh (see fresh-reading.ts), and on a
   * control system that is not immediate every further reading is a new update.
   */
  average(family: Family, n: number, options?: { interval?: number; units?: Units; field?: FieldName }): Promise<AverageResult>;
  /** Waits until the family's readings are fresh after the last change (readings taken by other means follow it). */
  fresh(family: Family, options?: { field?: FieldName }): Promise<void>;
  progress(step: number, message?: string): void;
  note(message: string): void;
}

/**
 * Measurement orchestration: step devices, settle, average, record everything;
 * when the body fails or is aborted, every setpoint it changed is restored.
 */
export class Measurement {
  private readonly progressSubject = new (rxSubjects().Subject)<MeasurementProgress>();
  readonly progress$: Observable<MeasurementProgress> = this.progressSubject.asObservable();
  readonly records: MeasurementRecord[] = [];
  /** Warnings raised so far (settling defaults, ...). */
  readonly warnings: MeasurementWarning[] = [];
  private readonly warningSubject = new (rxSubjects().Subject)<MeasurementWarning>();
  readonly warning$: Observable<MeasurementWarning> = this.warningSubject.asObservable();
  /** Setpoint channels whose last change in this measurement was written with wait (settle time included). */
  private readonly settledByWrite = new Set<string>();
  /** Per family and field: the change its readings were last fresh after, the last sample stamps. */
  private readonly freshness = new Map<string, { after: number | undefined; stamps: Float64Array }>();
  /** Update periods learned from the sample stamps, per family and field. */
  private readonly learnedPeriods = new Map<string, number>();
  /** Families whose average counted repeated samples (noted once). */
  private readonly repeatNoted = new Set<string>();
  /** Families already checked for default settling. */
  private readonly settlingChecked = new Set<string>();
  /** Setpoint (hardware) of every device before the measurement first changed it, by channel. */
  private readonly initial = new Map<string, { family: string; device: readonly [number, number]; value: number }>();
  private readonly owner: string;

  constructor(
    private readonly acc: Accelerator,
    private readonly options: MeasurementOptions,
  ) {
    this.owner = `${options.name}#${Math.random().toString(36).slice(2, 8)}`;
  }

  async run<T>(body: (ctx: MeasurementContext) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const outer = this.options.signal;
    const forward = () => controller.abort(outer?.reason ?? new AbortedError(`${this.options.name}: aborted`));
    if (outer?.aborted) throw new AbortedError(`${this.options.name}: aborted before start`);
    outer?.addEventListener('abort', forward, { once: true });
    const channels = this.options.drives.flatMap((f) => f.channels('setpoint'));
    const release = this.acc.lock.acquire(this.owner, channels);
    try {
      this.checkSettling(this.options.drives, 'drive', this.options.observes ?? []);
      const result = await body(this.context(controller.signal));
      if (this.options.restoreOnSuccess) await this.restore();
      this.progressSubject.complete();
      this.warningSubject.complete();
      return result;
    } catch (err) {
      try {
        await this.restore();
      } catch (restoreErr) {
        // Both are said: what made the measurement fail (a stale BPM family, an abort) and what the restore could not do.
        this.progressSubject.error(err);
        this.warningSubject.complete();
        throw new MlayerError(`${(err as Error).message ?? String(err)}; then ${(restoreErr as Error).message}`, { cause: err });
      }
      this.progressSubject.error(err);
      this.warningSubject.complete();
      if (controller.signal.aborted) {
        throw err instanceof AbortedError ? err : new AbortedError(`${this.options.name}: aborted; ${this.initial.size} changed setpoint${this.initial.size === 1 ? '' : 's'} restored`);
      }
      throw err;
    } finally {
      outer?.removeEventListener('abort', forward);
      release();
    }
  }

  /** Restores every changed setpoint to its value before the measurement (waiting for completion). */
  private async restore(): Promise<void> {
    const byFamily = new Map<string, { devices: (readonly [number, number])[]; values: number[] }>();
    for (const { family, device, value } of this.initial.values()) {
      const g = byFamily.get(family) ?? { devices: [], values: [] };
      g.devices.push(device);
      g.values.push(value);
      byFamily.set(family, g);
    }
    const errors: unknown[] = [];
    // A server that is restarting (disconnected, timing out) is retried until the settle timeout:
    // a restore must not give up while the machine is coming back.
    const deadline = Date.now() + (this.options.settleTimeout ?? 10000);
    for (const [name, { devices, values }] of byFamily) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.acc.family(name).devices(devices).set(values, { wait: true });
          this.log({ kind: 'restore', family: name, devices, values, units: 'hardware', message: attempt > 1 ? `after ${attempt} attempts` : undefined });
          break;
        } catch (e) {
          // Writes refused by the safety layer: this measurement never wrote, so there is nothing to restore.
          if (e instanceof WritesNotAllowedError) break;
          const transient = e instanceof DisconnectedError || e instanceof TimeoutError;
          if (!transient || Date.now() > deadline) {
            errors.push(e);
            break;
          }
          await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
        }
      }
    }
    if (errors.length > 0) throw new MlayerError(`${this.options.name}: restoring setpoints failed: ${errors.map((e) => (e as Error).message).join('; ')}`);
  }

  private context(signal: AbortSignal): MeasurementContext {
    const driven = (family: Family): void => {
      const locked = new Set(this.options.drives.flatMap((f) => f.channels('setpoint')));
      const missing = family.channels('setpoint').filter((c) => !locked.has(c));
      if (missing.length > 0) throw new MlayerError(`${this.options.name}: ${family.name} ${missing.join(', ')} not among the devices this measurement drives`);
    };
    const remember = async (family: Family): Promise<void> => {
      const channels = family.channels('setpoint');
      if (channels.every((c) => this.initial.has(c))) return;
      const values = await family.get({ field: 'setpoint', signal });
      const devices = family.deviceList;
      channels.forEach((c, i) => {
        if (!this.initial.has(c)) this.initial.set(c, { family: family.name, device: devices[i], value: values[i] });
      });
    };
    const ctx: MeasurementContext = {
      signal,
      set: async (family, values, opts = {}) => {
        signal.throwIfAborted();
        driven(family);
        await remember(family);
        await family.set(values, { units: opts.units, wait: true, signal });
        this.changed(family);
        this.log({ kind: 'set', family: family.name, devices: family.deviceList, values: typeof values === 'number' ? [values] : Array.from(values), units: opts.units ?? 'hardware' });
      },
      step: async (family, deltas, opts = {}) => {
        signal.throwIfAborted();
        driven(family);
        await remember(family);
        await family.step(deltas, { units: opts.units, wait: true, signal });
        this.changed(family);
        this.log({ kind: 'set', family: family.name, devices: family.deviceList, values: typeof deltas === 'number' ? [deltas] : Array.from(deltas), units: opts.units ?? 'hardware', message: 'step' });
      },
      settle: async (family) => {
        this.checkSettling([family], 'drive');
        // A set inside this measurement waited for the settle time already (Family.set with wait).
        const waited = family.channels('setpoint').every((c) => this.settledByWrite.has(c));
        if (family.settleTime > 0 && !family.immediate && !waited) await sleep(family.settleTime * 1000, signal);
        const tol = family.tolerance;
        if (tol !== undefined && family.fields.includes('readback')) {
          const deadline = Date.now() + (this.options.settleTimeout ?? 10000);
          for (;;) {
            signal.throwIfAborted();
            const [sp, rb] = await Promise.all([family.get({ field: 'setpoint', signal }), family.get({ field: 'readback', signal })]);
            if (sp.every((v, i) => Math.abs(v - rb[i]) <= tol)) break;
            if (Date.now() > deadline) {
              // The devices whose readback does not follow, with both values (a tripped or stuck supply says so here).
              const off = Array.from(sp).flatMap((v, i) => (Math.abs(v - rb[i]) <= tol ? [] : [i]));
              const list = off.slice(0, 5).map((i) => `${family.deviceList[i].join(',')} setpoint ${sp[i]} readback ${rb[i]}`).join('; ');
              const what = `${family.name} readback settle (${list}${off.length > 5 ? ` and ${off.length - 5} more` : ''}: outside the tolerance ${tol} of the setpoint)`;
              throw new TimeoutError(family.channels('readback')[off[0] ?? 0], this.options.settleTimeout ?? 10000, what);
            }
            await sleep(20, signal);
          }
        }
        // Readings must follow the moment a family this measurement changed has settled.
        if (!family.immediate && waited) this.acc.access.noteChange();
      },
      average: async (family, n, opts = {}) => {
        const field = opts.field ?? family.readField;
        const samples: Float64Array[] = [];
        let stamps: Float64Array | undefined;
        for (let k = 0; k < n; k++) {
          signal.throwIfAborted();
          if (k > 0 && (opts.interval ?? 0) > 0) await sleep(opts.interval!, signal);
          const raw = await this.freshRead(family, field, signal, k > 0);
          stamps = Float64Array.from(raw, (r) => r.timestamp);
          const hw = raw.map((r) => (typeof r.value === 'number' ? r.value : Number.NaN));
          samples.push(opts.units === 'physics' ? family.toPhysics(hw, field) : Float64Array.from(hw));
        }
        const m = family.size;
        const mean = new Float64Array(m);
        const std = new Float64Array(m);
        const count = new Int32Array(m);
        for (let i = 0; i < m; i++) {
          let s = 0;
          let c = 0;
          for (const row of samples) if (Number.isFinite(row[i])) { s += row[i]; c++; }
          mean[i] = c > 0 ? s / c : Number.NaN;
          let v = 0;
          for (const row of samples) if (Number.isFinite(row[i])) v += (row[i] - mean[i]) ** 2;
          std[i] = c > 1 ? Math.sqrt(v / (c - 1)) : c === 1 ? 0 : Number.NaN;
          count[i] = c;
        }
        this.log({ kind: 'read', family: family.name, devices: family.deviceList, values: Array.from(mean), units: opts.units ?? 'hardware', message: `average of ${n}` });
        return { mean, std, count, samples, timestamps: stamps };
      },
      fresh: async (family, opts = {}) => {
        await this.freshRead(family, opts.field ?? family.readField, signal, false);
      },
      progress: (step, message = '') => {
        this.progressSubject.next({ name: this.options.name, step, total: this.options.total ?? 0, message });
      },
      note: (message) => this.log({ kind: 'note', message }),
    };
    return ctx;
  }

  /** A change of `family` completed (written with wait, settle time included; Family.set noted it on the accelerator). */
  private changed(family: Family): void {
    for (const c of family.channels('setpoint')) this.settledByWrite.add(c);
  }

  /**
   * One reading of a family that is fresh: after the last change made through this
   * accelerator (by this measurement, an outer one, a restore: ChannelAccess.lastChange),
   * and a new update when `next` (further readings of an average).
   * Immediate control systems and update period 0 read at once.
   */
  private async freshRead(family: Family, field: FieldName, signal: AbortSignal, next: boolean): Promise<Sample[]> {
    this.checkSettling([family], 'read');
    const key = `${family.name}\u0000${field}\u0000${family.channels(field).join(',')}`;
    const state = this.freshness.get(key);
    const changedAt = this.acc.access.lastChange;
    const stated = field === family.readField && !family.settling.defaulted.includes('updatePeriod') ? family.updatePeriod : undefined;
    if (family.immediate || field === 'setpoint' || stated === 0) return family.read({ field, signal });
    const since = state !== undefined && state.after === changedAt ? undefined : changedAt;
    const after = next ? state?.stamps : undefined;
    const period = stated ?? this.learnedPeriods.get(key);
    const timeoutMs = this.options.freshTimeout ?? this.options.settleTimeout ?? 10000;
    // Further readings of an average wait a few update periods for a new sample, then take the last one again.
    const repeatAfterMs = Math.min(timeoutMs, Math.max(500, 3000 * (period ?? family.updatePeriod ?? 0.1)));
    const r = await readFresh({ family, field, since, after, period, timeoutMs, repeatAfterMs, signal, pollMs: period === undefined ? Math.min(20, Math.max(2, ((family.updatePeriod ?? 0.1) * 1000) / 4)) : undefined });
    if (r.repeated && !this.repeatNoted.has(key)) {
      this.repeatNoted.add(key);
      this.log({ kind: 'note', family: family.name, message: `${family.name} ${field}: no new sample within ${repeatAfterMs} ms; the average counts repeated samples (does the publication post unchanged values?)` });
    }
    if (period === undefined && r.learnedPeriod !== undefined) {
      this.learnedPeriods.set(key, r.learnedPeriod);
      this.log({ kind: 'note', family: family.name, message: `${family.name} ${field}: update period ${r.learnedPeriod.toFixed(3)} s learned from the sample timestamps` });
    }
    this.freshness.set(key, { after: changedAt, stamps: Float64Array.from(r.samples, (x) => x.timestamp) });
    return r.samples;
  }

  /**
   * Warns once per family and use about settling taken from the element-class defaults:
   * settle time and tolerance of the families driven, update period of those read.
   */
  private checkSettling(families: readonly Family[], role: 'drive' | 'read', reads: readonly Family[] = []): void {
    const named: string[] = [];
    const parts: string[] = [];
    const uses: Record<'drive' | 'read', readonly SettlingQuantity[]> = { drive: ['settleTime', 'tolerance'], read: ['updatePeriod'] };
    for (const [list, r] of [[families, role], [reads, 'read']] as const) {
      for (const f of list) {
        const key = `${f.name}\u0000${r}`;
        if (this.settlingChecked.has(key)) continue;
        this.settlingChecked.add(key);
        const s = f.settling;
        if (!s.defaulted.some((q) => uses[r].includes(q))) continue;
        named.push(f.name);
        parts.push(describeDefaultedSettling(f.name, s, uses[r]));
      }
    }
    if (named.length === 0) return;
    const w: MeasurementWarning = {
      kind: 'settling-defaults',
      families: named,
      message: `${this.options.name}: settling not stated in the facility, element-class defaults used for ${parts.join(', ')}; state settleTime, tolerance and updatePeriod in the facility file`,
    };
    this.warnings.push(w);
    this.log({ kind: 'note', message: w.message });
    this.options.onWarning?.(w);
    this.warningSubject.next(w);
  }

  private log(r: Omit<MeasurementRecord, 'time'>): void {
    this.records.push({ time: this.acc.clock.now() / 1000, ...r });
  }
}

/** Runs a measurement in one call (see Measurement). */
export function measure<T>(acc: Accelerator, options: MeasurementOptions, body: (ctx: MeasurementContext) => Promise<T>): Promise<T> {
  return new Measurement(acc, options).run(body);
}
