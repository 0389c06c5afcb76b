/**
 * Drift and anomaly detection on a shadow's residuals (issue 24 item 2): each residual's
 * mean and noise are learnt on a quiet window of updates; then an exponentially smoothed
 * residual (weight `alpha` on the newest) that leaves the learnt mean by more than k σ of
 * the smoothed noise (σ·√(α/(2−α))) raises a 'drift' alarm. A channel whose measured value
 * is NaN, or does not change over `deadUpdates` updates although it had noise while learning,
 * raises 'dead' (a dead BPM). One
 * alarm per channel and kind until the condition has cleared. Supplies (the update's setpoints
 * and readbacks): 'tolerance' when the readback stays outside the tolerance of the setpoint for
 * `toleranceUpdates` updates, 'stuck' when the readback keeps one value for `stuckUpdates`
 * updates while the setpoint moved. The beam current (a shadow channel of kind 'current': the
 * DCCT family) is not compared with the model (a real beam decays, the twin's does not): its
 * level and noise are learnt on the quiet window, then 'beam-loss' is raised when it falls below
 * `currentFraction` of that level, or when the lifetime fitted on ln(current) over the last
 * `lifetimeUpdates` updates (least squares; a decay significant at k σ of the learnt noise) is
 * shorter than `minLifetime` s.
 */
import { rxSubjects, type Observable, type Subject } from '@mlayer/core/rx';
import { MlayerError, type LoadedFacility } from '@mlayer/core';
import type { ShadowUpdate } from './shadow.js';

export interface DriftAlarm {
  readonly kind: 'drift' | 'dead' | 'tolerance' | 'stuck' | 'beam-loss';
  readonly channel: string;
  /** drift: the smoothed residual's distance from its learnt mean in σ of the smoothed noise; dead, stuck: the updates without a change (NaN: 0); tolerance: |readback − setpoint| / tolerance; beam-loss: the current / its learnt level. */
  readonly size: number;
  /** ms, the update's time. */
  readonly time: number;
  /** beam-loss: the lifetime (s) fitted over the last updates, where the decay is significant. */
  readonly lifetime?: number;
}

export interface DriftThresholds {
  /** Updates of the quiet window the noise is learnt on (default 100). */
  readonly learn?: number;
  /** Alarm at k σ of the smoothed residual (default 6). */
  readonly k?: number;
  /** Weight of the newest residual in the smoothing, (0, 1] (default 0.3). */
  readonly alpha?: number;
  /** Updates without a change of a measured value that make it dead (default 20). */
  readonly deadUpdates?: number;
  /** Updates a readback may stay outside its tolerance (a ramp) before the alarm (default 3). */
  readonly toleranceUpdates?: number;
  /** Updates a readback may keep its value after its setpoint moved before 'stuck' (default 5). */
  readonly stuckUpdates?: number;
  /** Beam-loss alarm when the beam current falls below this fraction of its learnt level, (0, 1) (default 0.5). */
  readonly currentFraction?: number;
  /** Beam-loss alarm when the fitted beam lifetime is shorter than this, s (default 600). */
  readonly minLifetime?: number;
  /** Updates the beam lifetime is fitted over (default 10). */
  readonly lifetimeUpdates?: number;
}

interface SupplyState {
  last: number;
  frozenAt: number;
  moved: boolean;
  same: number;
  outside: number;
  alarmed: Set<DriftAlarm['kind']>;
}

interface ChannelState {
  n: number;
  mean: number;
  m2: number;
  sigma: number;
  smooth: number;
  last: number;
  same: number;
  alarmed: Set<DriftAlarm['kind']>;
  /** Beam current: the last readings after learning (time ms, value). */
  history?: { t: number; v: number }[];
}

export class DriftDetector {
  private readonly subject: Subject<DriftAlarm>;
  readonly alarms$: Observable<DriftAlarm>;
  private readonly state = new Map<string, ChannelState>();
  private readonly learn: number;
  private readonly k: number;
  private readonly alpha: number;
  private readonly deadUpdates: number;
  private readonly toleranceUpdates: number;
  private readonly stuckUpdates: number;
  private readonly currentFraction: number;
  private readonly minLifetime: number;
  private readonly lifetimeUpdates: number;
  private readonly supplies = new Map<string, SupplyState>();
  private updates = 0;

  constructor(thresholds: DriftThresholds = {}) {
    this.learn = thresholds.learn ?? 100;
    this.k = thresholds.k ?? 6;
    this.alpha = thresholds.alpha ?? 0.3;
    this.deadUpdates = thresholds.deadUpdates ?? 20;
    this.toleranceUpdates = thresholds.toleranceUpdates ?? 3;
    this.stuckUpdates = thresholds.stuckUpdates ?? 5;
    this.currentFraction = thresholds.currentFraction ?? 0.5;
    this.minLifetime = thresholds.minLifetime ?? 600;
    this.lifetimeUpdates = thresholds.lifetimeUpdates ?? 10;
    if (!(Number.isInteger(this.learn) && this.learn >= 2)) throw new MlayerError(`drift detection: learn must be an integer >= 2 (got ${thresholds.learn})`);
    if (!(this.k > 0)) throw new MlayerError(`drift detection: k must be > 0 (got ${thresholds.k})`);
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new MlayerError(`drift detection: alpha must be in (0, 1] (got ${thresholds.alpha})`);
    if (!(this.currentFraction > 0 && this.currentFraction < 1)) throw new MlayerError(`drift detection: currentFraction must be in (0, 1) (got ${thresholds.currentFraction})`);
    if (!(this.minLifetime > 0 && Number.isFinite(this.minLifetime))) throw new MlayerError(`drift detection: minLifetime must be a finite number > 0 (got ${thresholds.minLifetime})`);
    if (!(Number.isInteger(this.lifetimeUpdates) && this.lifetimeUpdates >= 2)) throw new MlayerError(`drift detection: lifetimeUpdates must be an integer >= 2 (got ${thresholds.lifetimeUpdates})`);
    const { Subject } = rxSubjects();
    this.subject = new Subject<DriftAlarm>();
    this.alarms$ = this.subject.asObservable();
  }

  /** A detector with the thresholds of the facility file (shadow.detection), `overrides` on top. */
  static forFacility(facility: LoadedFacility, overrides: DriftThresholds = {}): DriftDetector {
    return new DriftDetector({ ...(facility.config.shadow?.detection ?? {}), ...overrides });
  }

  /** The thresholds in use. */
  get thresholds(): Required<DriftThresholds> {
    return { learn: this.learn, k: this.k, alpha: this.alpha, deadUpdates: this.deadUpdates, toleranceUpdates: this.toleranceUpdates, stuckUpdates: this.stuckUpdates, currentFraction: this.currentFraction, minLifetime: this.minLifetime, lifetimeUpdates: this.lifetimeUpdates };
  }

  /** True once the quiet window is over (alarms can be raised). */
  get learnt(): boolean {
    return this.updates >= this.learn;
  }

  /** The learnt noise (σ of one residual) per channel. */
  get sigmas(): ReadonlyMap<string, number> {
    return new Map([...this.state].map(([c, s]) => [c, s.sigma]));
  }

  /** Takes one shadow update; returns the alarms it raised (also on alarms$). */
  push(u: ShadowUpdate): DriftAlarm[] {
    const raised: DriftAlarm[] = [];
    const learning = this.updates < this.learn;
    this.updates++;
    const smoothSigma = Math.sqrt(this.alpha / (2 - this.alpha));
    u.channels.forEach((channel, i) => {
      let s = this.state.get(channel);
      if (!s) {
        s = { n: 0, mean: 0, m2: 0, sigma: 0, smooth: 0, last: Number.NaN, same: 0, alarmed: new Set() };
        this.state.set(channel, s);
      }
      const measured = u.measured[i];
      const r = u.residual[i];
      // Dead: NaN, or the same value update after update (a live reading has noise).
      s.same = Number.isNaN(measured) ? this.deadUpdates : measured === s.last ? s.same + 1 : 0;
      s.last = measured;
      // A constant reading is dead only on a channel whose noise was seen while learning (a noise-free twin's readings are constant).
      this.flag(s, 'dead', Number.isNaN(measured) || (s.sigma > 0 && s.same >= this.deadUpdates), channel, Number.isNaN(measured) ? 0 : s.same, u.time, raised, learning);
      if (u.kinds[i] === 'current') {
        this.pushCurrent(s, channel, measured, u.time, raised, learning);
        return;
      }
      if (!Number.isFinite(r)) return;
      if (learning) {
        learn(s, r);
        s.smooth = s.mean;
        return;
      }
      s.smooth += this.alpha * (r - s.smooth);
      // A noise-free residual (sigma 0) alarms at any change beyond rounding.
      const scale = Math.max(s.sigma * smoothSigma, 1e-12 * Math.max(1, Math.abs(s.mean)));
      const size = Math.abs(s.smooth - s.mean) / scale;
      this.flag(s, 'drift', size > this.k, channel, size, u.time, raised, false);
    });
    if (u.supplies) this.pushSupplies(u.supplies, u.time, raised);
    for (const a of raised) this.subject.next(a);
    return raised;
  }

  close(): void {
    this.subject.complete();
  }

  /** The beam current: level and noise learnt, then beam-loss on a low level or a short fitted lifetime. */
  private pushCurrent(s: ChannelState, channel: string, v: number, time: number, raised: DriftAlarm[], learning: boolean): void {
    if (!Number.isFinite(v)) return;
    if (learning) {
      learn(s, v);
      return;
    }
    const level = s.mean;
    if (!(level > 0)) return; // no beam while learning: nothing to lose
    const h = (s.history ??= []);
    h.push({ t: time, v });
    if (h.length > this.lifetimeUpdates) h.shift();
    let lifetime = Number.POSITIVE_INFINITY;
    if (h.length >= 2 && h.every((p) => p.v > 0)) {
      // Least-squares slope of ln(current) against time (s); its standard error from the learnt relative noise.
      const ts = h.map((p) => (p.t - h[0].t) / 1000);
      const ys = h.map((p) => Math.log(p.v));
      const tm = ts.reduce((a, b) => a + b, 0) / ts.length;
      const ym = ys.reduce((a, b) => a + b, 0) / ys.length;
      let stt = 0;
      let sty = 0;
      ts.forEach((t, j) => {
        stt += (t - tm) ** 2;
        sty += (t - tm) * (ys[j] - ym);
      });
      if (stt > 0) {
        const slope = sty / stt;
        const se = Math.max(s.sigma / level, 1e-12) / Math.sqrt(stt);
        if (slope < 0 && -slope > this.k * se) lifetime = -1 / slope;
      }
    }
    const on = v < this.currentFraction * level || lifetime < this.minLifetime;
    this.flag(s, 'beam-loss', on, channel, v / level, time, raised, false, Number.isFinite(lifetime) ? lifetime : undefined);
  }

  private pushSupplies(p: NonNullable<ShadowUpdate['supplies']>, time: number, raised: DriftAlarm[]): void {
    p.channels.forEach((channel, i) => {
      const sp = p.setpoint[i];
      const rb = p.readback[i];
      const tol = p.tolerance[i];
      let s = this.supplies.get(channel);
      if (!s) {
        s = { last: rb, frozenAt: sp, moved: false, same: 0, outside: 0, alarmed: new Set() };
        this.supplies.set(channel, s);
      } else if (rb !== s.last) {
        Object.assign(s, { last: rb, frozenAt: sp, moved: false, same: 0 });
      } else {
        if (sp !== s.frozenAt) s.moved = true;
        if (s.moved) s.same++;
      }
      const off = Math.abs(rb - sp);
      s.outside = Number.isFinite(tol) && off > tol ? s.outside + 1 : 0;
      this.flag(s, 'tolerance', s.outside >= this.toleranceUpdates, channel, off / tol, time, raised, false);
      this.flag(s, 'stuck', s.same >= this.stuckUpdates, channel, s.same, time, raised, false);
    });
  }

  private flag(s: { alarmed: Set<DriftAlarm['kind']> }, kind: DriftAlarm['kind'], on: boolean, channel: string, size: number, time: number, out: DriftAlarm[], quiet: boolean, lifetime?: number): void {
    if (!on) {
      s.alarmed.delete(kind);
      return;
    }
    if (s.alarmed.has(kind) || quiet) return;
    s.alarmed.add(kind);
    out.push({ kind, channel, size, time, ...(lifetime === undefined ? {} : { lifetime }) });
  }
}

/** Welford: one more sample of the quiet window into the channel's mean and standard deviation. */
function learn(s: ChannelState, v: number): void {
  s.n++;
  const d = v - s.mean;
  s.mean += d / s.n;
  s.m2 += d * (v - s.mean);
  s.sigma = s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0;
}
