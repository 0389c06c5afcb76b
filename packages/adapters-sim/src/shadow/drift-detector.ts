/**
 * Drift and anomaly detection on a shadow's residuals (issue 24 item 2): each residual's
 * mean and noise are learnt on a quiet window of updates; then an exponentially smoothed
 * residual (weight `alpha` on the newest) that leaves the learnt mean by more than k σ of
 * the smoothed noise (σ·√(α/(2−α))) raises a 'drift' alarm. A channel whose measured value
 * is NaN, or does not change over `deadUpdates` updates, raises 'dead' (a dead BPM). One
 * alarm per channel and kind until the condition has cleared.
 */
import { rxSubjects, type Observable, type Subject } from '@mlayer/core/rx';
import { MlayerError } from '@mlayer/core';
import type { ShadowUpdate } from './shadow.js';

export interface DriftAlarm {
  readonly kind: 'drift' | 'dead';
  readonly channel: string;
  /** drift: the smoothed residual's distance from its learnt mean in σ of the smoothed noise; dead: the updates without a change (NaN: 0). */
  readonly size: number;
  /** ms, the update's time. */
  readonly time: number;
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
}

export class DriftDetector {
  private readonly subject: Subject<DriftAlarm>;
  readonly alarms$: Observable<DriftAlarm>;
  private readonly state = new Map<string, ChannelState>();
  private readonly learn: number;
  private readonly k: number;
  private readonly alpha: number;
  private readonly deadUpdates: number;
  private updates = 0;

  constructor(thresholds: DriftThresholds = {}) {
    this.learn = thresholds.learn ?? 100;
    this.k = thresholds.k ?? 6;
    this.alpha = thresholds.alpha ?? 0.3;
    this.deadUpdates = thresholds.deadUpdates ?? 20;
    if (!(Number.isInteger(this.learn) && this.learn >= 2)) throw new MlayerError(`drift detection: learn must be an integer >= 2 (got ${thresholds.learn})`);
    if (!(this.k > 0)) throw new MlayerError(`drift detection: k must be > 0 (got ${thresholds.k})`);
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new MlayerError(`drift detection: alpha must be in (0, 1] (got ${thresholds.alpha})`);
    const { Subject } = rxSubjects();
    this.subject = new Subject<DriftAlarm>();
    this.alarms$ = this.subject.asObservable();
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
      this.flag(s, 'dead', s.same >= this.deadUpdates, channel, Number.isNaN(measured) ? 0 : s.same, u.time, raised, learning);
      if (!Number.isFinite(r)) return;
      if (learning) {
        // Welford: mean and variance of the quiet window.
        s.n++;
        const d = r - s.mean;
        s.mean += d / s.n;
        s.m2 += d * (r - s.mean);
        s.sigma = s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0;
        s.smooth = s.mean;
        return;
      }
      s.smooth += this.alpha * (r - s.smooth);
      // A noise-free residual (sigma 0) alarms at any change beyond rounding.
      const scale = Math.max(s.sigma * smoothSigma, 1e-12 * Math.max(1, Math.abs(s.mean)));
      const size = Math.abs(s.smooth - s.mean) / scale;
      this.flag(s, 'drift', size > this.k, channel, size, u.time, raised, false);
    });
    for (const a of raised) this.subject.next(a);
    return raised;
  }

  close(): void {
    this.subject.complete();
  }

  private flag(s: ChannelState, kind: DriftAlarm['kind'], on: boolean, channel: string, size: number, time: number, out: DriftAlarm[], quiet: boolean): void {
    if (!on) {
      s.alarmed.delete(kind);
      return;
    }
    if (s.alarmed.has(kind) || quiet) return;
    s.alarmed.add(kind);
    out.push({ kind, channel, size, time });
  }
}
