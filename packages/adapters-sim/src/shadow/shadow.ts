/**
 * The digital shadow (issue 24 item 1): a twin fed from another accelerator's live setpoints.
 * Every magnet and RF setpoint channel of the source is monitored; a change is kept and
 * written into the shadow's twin (hardware units: the twin converts them through the
 * facility's calibrations) at the next update, all changes of an update as one batch, so the
 * model is computed once per update however many setpoints changed (500 changes within
 * 100 ms at 10 Hz: at most 2 computations). Each update publishes the measured observables
 * (the source's BPMs, tunes and beam current), the model's (the shadow twin read without noise) and their
 * residuals, measured − model, per channel.
 */
import { rxSubjects, type Observable, type Subject } from '@mlayer/core/rx';
import { MlayerError, systemClock, type Accelerator, type Clock } from '@mlayer/core';
import type { Subscription } from 'rxjs';
import type { TwinControlSystem } from '../twin/twin-control-system.js';
import { familyRole } from '../twin/twin-devices.js';

/** What a shadow channel observes: a BPM plane, a tune, the beam current. */
export type ShadowObservable = 'bpm' | 'tune' | 'current';

/** One update of the shadow: per observable channel (the source's names) the measured value, the model's and the residual. */
export interface ShadowUpdate {
  /** ms on the shadow's clock. */
  readonly time: number;
  readonly channels: readonly string[];
  /** 'bpm', 'tune' or 'current' (the beam current: DCCT families) per channel. */
  readonly kinds: readonly ShadowObservable[];
  readonly measured: Float64Array;
  readonly model: Float64Array;
  /** measured − model. */
  readonly residual: Float64Array;
  /** Setpoint changes applied to the model at this update. */
  readonly applied: number;
  /** The source's magnet supplies with a readback: readback channel, setpoint, readback, tolerance (NaN: none), hardware units. */
  readonly supplies?: { readonly channels: readonly string[]; readonly setpoint: Float64Array; readonly readback: Float64Array; readonly tolerance: Float64Array };
}

export interface ShadowOptions {
  /** Time of the updates (default the host's). */
  readonly clock?: Clock;
  /** Also read the source's magnet setpoints and readbacks at each update (stuck and out-of-tolerance supplies; default true). */
  readonly supplies?: boolean;
}

export class Shadow {
  private readonly subject: Subject<ShadowUpdate>;
  readonly updates$: Observable<ShadowUpdate>;
  private readonly pending = new Map<string, number>();
  /** The last value of each setpoint the shadow has (shadow channel). */
  private readonly known = new Map<string, number>();
  private readonly subscriptions: Subscription[] = [];
  private readonly links: { source: string; shadow: string }[] = [];
  private readonly observables: { family: string; kind: ShadowObservable }[] = [];
  private readonly supplyFamilies: string[] = [];
  private readonly clock: Clock;
  private readonly twin: TwinControlSystem;

  /** `shadow` is an accelerator on a twin of the same facility (its lattice may carry errors: the model of the machine). */
  constructor(
    private readonly source: Accelerator,
    private readonly shadow: Accelerator,
    options: ShadowOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    const cs = shadow.controlSystem as Partial<TwinControlSystem>;
    if (cs.isDigitalTwin !== true || typeof cs.batch !== 'function') throw new MlayerError(`shadow: the shadow accelerator (mode '${shadow.mode}') is not on a twin`);
    this.twin = cs as TwinControlSystem;
    this.twin.noiseless = true;
    const { Subject } = rxSubjects();
    this.subject = new Subject<ShadowUpdate>();
    this.updates$ = this.subject.asObservable();
    for (const [name, fam] of Object.entries(shadow.facility.config.families)) {
      const role = familyRole(fam);
      if ((role === 'magnet' || role === 'rf') && fam.fields.setpoint) {
        const src = source.family(name).channels('setpoint');
        const dst = shadow.family(name).channels('setpoint');
        src.forEach((s, i) => this.links.push({ source: s, shadow: dst[i] }));
        if (role === 'magnet' && fam.fields.readback && options.supplies !== false) this.supplyFamilies.push(name);
      } else if ((role === 'bpm' || role === 'tune' || role === 'current') && shadow.family(name).readField !== 'setpoint' && fam.fields[shadow.family(name).readField]?.dataType !== 'array') {
        this.observables.push({ family: name, kind: role });
      }
    }
  }

  /** Setpoint channels followed (source name, shadow name). */
  get followed(): readonly { source: string; shadow: string }[] {
    return this.links;
  }

  /** Subscribes to every magnet and RF setpoint of the source; resolves when each gave its first value (applied at the next update). */
  async start(): Promise<this> {
    // Values the shadow's twin has already (design setpoints on both sides; monitors repeat them at each update) are not written again.
    const own = await this.twin.read(this.links.map((l) => l.shadow));
    this.links.forEach((l, i) => {
      if (typeof own[i].value === 'number') this.known.set(l.shadow, own[i].value);
    });
    const first = this.links.map(
      (link) =>
        new Promise<void>((resolve, reject) => {
          this.subscriptions.push(
            this.source.controlSystem.monitor(link.source).subscribe({
              next: (s) => {
                if (typeof s.value === 'number' && s.value !== this.known.get(link.shadow)) {
                  this.pending.set(link.shadow, s.value);
                  this.known.set(link.shadow, s.value);
                }
                resolve();
              },
              error: reject,
            }),
          );
        }),
    );
    await Promise.all(first);
    return this;
  }

  /** One update: the setpoint changes since the last into the model (one batch), then measured, model and residuals published. */
  async update(): Promise<ShadowUpdate> {
    const writes = [...this.pending].map(([channel, value]) => ({ channel, value }));
    this.pending.clear();
    if (writes.length > 0) await this.twin.batch(() => this.twin.write(writes));
    const channels: string[] = [];
    const kinds: ShadowObservable[] = [];
    const measured: number[] = [];
    const model: number[] = [];
    for (const o of this.observables) {
      const src = this.source.family(o.family);
      const [m, s] = await Promise.all([src.get(), this.shadow.family(o.family).get()]);
      const names = src.channels(src.readField);
      names.forEach((n, i) => {
        channels.push(n);
        kinds.push(o.kind);
        measured.push(m[i]);
        model.push(s[i]);
      });
    }
    let supplies: ShadowUpdate['supplies'];
    if (this.supplyFamilies.length > 0) {
      const rows = { channels: [] as string[], setpoint: [] as number[], readback: [] as number[], tolerance: [] as number[] };
      for (const name of this.supplyFamilies) {
        const f = this.source.family(name);
        const [sp, rb] = await Promise.all([f.get({ field: 'setpoint' }), f.get({ field: 'readback' })]);
        rows.channels.push(...f.channels('readback'));
        rows.setpoint.push(...sp);
        rows.readback.push(...rb);
        rows.tolerance.push(...Array.from(sp, () => f.tolerance ?? Number.NaN));
      }
      supplies = { channels: rows.channels, setpoint: Float64Array.from(rows.setpoint), readback: Float64Array.from(rows.readback), tolerance: Float64Array.from(rows.tolerance) };
    }
    const update: ShadowUpdate = {
      time: this.clock.now(),
      channels,
      kinds,
      measured: Float64Array.from(measured),
      model: Float64Array.from(model),
      residual: Float64Array.from(measured, (v, i) => v - model[i]),
      applied: writes.length,
      ...(supplies ? { supplies } : {}),
    };
    this.subject.next(update);
    return update;
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    this.subject.complete();
  }
}
