import { AbortedError, type ConversionContext, type StandardisationPlan, type UnitConversion } from '@mlayer/core';
import type { Curve } from './curve.js';
import { ConversionRangeError, CurveDefinitionError } from './errors.js';
import { solveMonotonic } from './solve.js';

/** One branch of a hysteresis loop: hardware → physics, monotonic on the standardisation range. */
export interface HysteresisBranch {
  readonly label: string;
  toPhysics(hardware: number): number;
  slope(hardware: number): number;
}

export interface StandardisationSettings {
  readonly min: number;
  readonly max: number;
  readonly cycles: number;
  /** 'min': the cycle ends at min (magnet then on the up branch); 'max': ends at max (down branch). */
  readonly endAt: 'min' | 'max';
  /** Seconds to wait after each step. */
  readonly dwell: number;
}

/** The history a hysteresis conversion remembers. */
export interface HysteresisState {
  /** Whether the branch the magnet is on is known (after standardisation or after reaching min or max). */
  readonly known: boolean;
  /** Whether a standardisation has been completed (or declared with markStandardised). */
  readonly standardised: boolean;
  /** Direction of the last move: 'up' (hardware rising) or 'down'; undefined while unknown. */
  readonly direction: 'up' | 'down' | undefined;
  /** Hardware value of the last extreme (turning point); undefined while unknown. */
  readonly lastExtreme: number | undefined;
  /** Physics value at the last extreme. */
  readonly physicsAtExtreme: number | undefined;
  /** Last committed hardware value (undefined before the first commit). */
  readonly hardware: number | undefined;
}

/** What core (family.set) and the twin need of a history-dependent conversion. */
export interface Standardisable {
  readonly standardisation: StandardisationSettings;
  /** Hardware setpoints of the standardisation cycle, in order. */
  standardisationSteps(): number[];
  /**
   * Runs the standardisation: for each step, `apply(step)` (writes the hardware and
   * waits for it), then commits it. Resolves with the final, known state.
   */
  standardise(apply: (hardware: number) => void | Promise<void>, options?: { signal?: AbortSignal }): Promise<HysteresisState>;
  /** Declares the magnet standardised by someone else and now at the cycle's end point. */
  markStandardised(): void;
  hysteresisState(): HysteresisState;
  /** Restores a state (e.g. shared between the twin and the live machine, or persisted). */
  restoreState(state: HysteresisState): void;
}

export interface HysteresisOptions {
  readonly id: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  readonly up: HysteresisBranch;
  readonly down: HysteresisBranch;
  readonly standardisation: StandardisationSettings;
  /** Largest change (hardware units) allowed while not standardised. */
  readonly threshold: number;
}

/**
 * A hysteretic magnet: up and down branches over the standardisation range
 * [min, max]. The state (direction, last extreme) is updated by `commit`.
 *
 * Model: moving in the current direction, the magnet follows the current path;
 * at a reversal at hardware I_r (physics B_r) it starts a path towards the other
 * branch, B(I) = branch(I) + (B_r − branch(I_r)) · w(I), with w linear, 1 at I_r and 0
 * at the far end of the range (max for 'up', min for 'down'). The path is
 * continuous, and reaching min or max puts the magnet on the major loop. A
 * reversal at max therefore gives the down branch exactly when the branches meet
 * at max (and likewise at min). While the state is unknown (never standardised,
 * never at min or max) the conversion uses the mean of the branches.
 */
export class HysteresisConversion implements UnitConversion, Standardisable {
  readonly id: string;
  readonly hardwareUnits: string;
  readonly physicsUnits: string;
  readonly standardisation: StandardisationSettings;
  readonly threshold: number;
  readonly up: HysteresisBranch;
  readonly down: HysteresisBranch;
  /** +1 when the branches increase with hardware. */
  readonly direction: 1 | -1;
  private state: HysteresisState = {
    known: false,
    standardised: false,
    direction: undefined,
    lastExtreme: undefined,
    physicsAtExtreme: undefined,
    hardware: undefined,
  };

  constructor(o: HysteresisOptions) {
    this.id = o.id;
    this.hardwareUnits = o.hardwareUnits;
    this.physicsUnits = o.physicsUnits;
    this.up = o.up;
    this.down = o.down;
    this.standardisation = o.standardisation;
    this.threshold = o.threshold;
    const { min, max } = o.standardisation;
    if (!(min < max)) {
      throw new CurveDefinitionError(o.id, `standardisation needs min < max, got [${min}, ${max}]`, 'standardisation', [min, max]);
    }
    // Both branches must be strictly monotonic in the same direction on [min, max].
    const dir = Math.sign(o.up.toPhysics(max) - o.up.toPhysics(min));
    const samples = 512;
    for (const [name, b] of [
      ['up', o.up],
      ['down', o.down],
    ] as const) {
      let prev = b.toPhysics(min);
      for (let k = 1; k <= samples; k++) {
        const h = min + ((max - min) * k) / samples;
        const v = b.toPhysics(h);
        if (Math.sign(v - prev) !== dir || dir === 0) {
          throw new CurveDefinitionError(
            o.id,
            `the ${name} branch is not monotonic like the up branch on [${min}, ${max}] (near hardware ${h})`,
            name,
            undefined,
            b.label,
          );
        }
        prev = v;
      }
    }
    this.direction = dir > 0 ? 1 : -1;
  }

  hysteresisState(): HysteresisState {
    return { ...this.state };
  }

  restoreState(state: HysteresisState): void {
    this.state = { ...state };
  }

  toPhysics(hardware: number, _context?: ConversionContext): number {
    this.checkRange(hardware);
    const s = this.state;
    if (!s.known || s.hardware === undefined) return this.mean(hardware);
    const p = this.pathTowards(hardware);
    return this.path(p.direction, p.extreme, p.physics, hardware);
  }

  toHardware(physics: number, _context?: ConversionContext): number {
    const { min, max } = this.standardisation;
    const s = this.state;
    if (!s.known || s.hardware === undefined) {
      return this.solve((h) => this.mean(h), (h) => 0.5 * (this.up.slope(h) + this.down.slope(h)), physics, min, max);
    }
    const ic = s.hardware;
    const here = this.path(s.direction!, s.lastExtreme!, s.physicsAtExtreme!, ic);
    if (physics === here) return ic;
    const goUp = (physics - here) * this.direction > 0;
    const p = this.pathFor(goUp);
    const f = (h: number) => this.path(p.direction, p.extreme, p.physics, h);
    const df = (h: number) => this.pathSlope(p.direction, p.extreme, p.physics, h);
    return goUp ? this.solve(f, df, physics, ic, max) : this.solve(f, df, physics, min, ic);
  }

  commit(hardware: number): void {
    const { min, max } = this.standardisation;
    const s = this.state;
    if (hardware >= max) {
      // Saturated at max: on the up branch's end.
      this.state = { ...s, known: true, direction: 'up', lastExtreme: min, physicsAtExtreme: this.up.toPhysics(min), hardware: max };
      return;
    }
    if (hardware <= min) {
      this.state = { ...s, known: true, direction: 'down', lastExtreme: max, physicsAtExtreme: this.down.toPhysics(max), hardware: min };
      return;
    }
    if (!s.known || s.hardware === undefined) {
      this.state = { ...s, hardware };
      return;
    }
    const p = this.pathTowards(hardware);
    this.state = { ...s, direction: p.direction, lastExtreme: p.extreme, physicsAtExtreme: p.physics, hardware };
  }

  checkChange(from: number, to: number): string | undefined {
    if (this.state.standardised) return undefined;
    const delta = Math.abs(to - from);
    if (delta <= this.threshold) return undefined;
    const { min, max, cycles } = this.standardisation;
    const u = this.hardwareUnits ? ` ${this.hardwareUnits}` : '';
    return (
      `unit conversion '${this.id}': the magnet is not standardised and the change ${from} → ${to}${u} ` +
      `(|Δ| = ${delta}${u}) exceeds the threshold ${this.threshold}${u}; standardise it first ` +
      `(${cycles} cycle(s) between ${min} and ${max}${u})`
    );
  }

  standardisationSteps(): number[] {
    const { min, max, cycles, endAt } = this.standardisation;
    const steps: number[] = [];
    for (let c = 0; c < cycles; c++) {
      if (endAt === 'min') steps.push(max, min);
      else steps.push(min, max);
    }
    return steps;
  }

  async standardise(
    apply: (hardware: number) => void | Promise<void>,
    options: { signal?: AbortSignal } = {},
  ): Promise<HysteresisState> {
    const dwellMs = this.standardisation.dwell * 1000;
    for (const step of this.standardisationSteps()) {
      if (options.signal?.aborted) throw new AbortedError(`standardisation of '${this.id}' aborted`);
      await apply(step);
      this.commit(step);
      if (dwellMs > 0) await sleep(dwellMs, options.signal);
    }
    this.state = { ...this.state, standardised: true };
    return this.hysteresisState();
  }

  /** Core's port: the cycle for `family.standardise()` (core writes and commits each step). */
  standardisationPlan(): StandardisationPlan {
    return {
      steps: this.standardisationSteps(),
      dwell: this.standardisation.dwell,
      complete: () => {
        this.state = { ...this.state, standardised: true };
      },
    };
  }

  markStandardised(): void {
    const end = this.standardisation.endAt === 'min' ? this.standardisation.min : this.standardisation.max;
    this.commit(end);
    this.state = { ...this.state, standardised: true };
  }

  /** Physics value of the up and down branches at a hardware value. */
  branches(hardware: number): { up: number; down: number } {
    this.checkRange(hardware);
    return { up: this.up.toPhysics(hardware), down: this.down.toPhysics(hardware) };
  }

  private mean(h: number): number {
    return 0.5 * (this.up.toPhysics(h) + this.down.toPhysics(h));
  }

  /** The path the magnet follows when moving from the committed value to `target`. */
  private pathTowards(target: number): { direction: 'up' | 'down'; extreme: number; physics: number } {
    const s = this.state;
    if (target === s.hardware) return { direction: s.direction!, extreme: s.lastExtreme!, physics: s.physicsAtExtreme! };
    return this.pathFor(target > s.hardware!);
  }

  /** The path followed when moving up (or down) from the committed value: the same path, or a reversal there. */
  private pathFor(up: boolean): { direction: 'up' | 'down'; extreme: number; physics: number } {
    const s = this.state;
    const dir = s.direction!;
    if ((dir === 'up') === up) return { direction: dir, extreme: s.lastExtreme!, physics: s.physicsAtExtreme! };
    const ic = s.hardware!;
    return { direction: up ? 'up' : 'down', extreme: ic, physics: this.path(dir, s.lastExtreme!, s.physicsAtExtreme!, ic) };
  }

  private weight(direction: 'up' | 'down', extreme: number, h: number): number {
    const { min, max } = this.standardisation;
    const end = direction === 'up' ? max : min;
    if (extreme === end) return 0;
    return (end - h) / (end - extreme);
  }

  private path(direction: 'up' | 'down', extreme: number, physics: number, h: number): number {
    const b = direction === 'up' ? this.up : this.down;
    return b.toPhysics(h) + (physics - b.toPhysics(extreme)) * this.weight(direction, extreme, h);
  }

  private pathSlope(direction: 'up' | 'down', extreme: number, physics: number, h: number): number {
    const { min, max } = this.standardisation;
    const b = direction === 'up' ? this.up : this.down;
    const end = direction === 'up' ? max : min;
    const dw = extreme === end ? 0 : -1 / (end - extreme);
    return b.slope(h) + (physics - b.toPhysics(extreme)) * dw;
  }

  private solve(f: (h: number) => number, df: (h: number) => number, target: number, a: number, b: number): number {
    const fa = f(a);
    const fb = f(b);
    if (!(target >= Math.min(fa, fb) && target <= Math.max(fa, fb))) {
      throw new ConversionRangeError(this.id, 'hysteresis path', 'toHardware', target, [Math.min(fa, fb), Math.max(fa, fb)], this.physicsUnits);
    }
    return solveMonotonic(f, df, target, a, b);
  }

  private checkRange(h: number): void {
    const { min, max } = this.standardisation;
    if (!(h >= min && h <= max)) {
      throw new ConversionRangeError(this.id, 'hysteresis model', 'toPhysics', h, [min, max], this.hardwareUnits);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new AbortedError('standardisation aborted'));
      },
      { once: true },
    );
  });
}

/** Branches of the 'lens' model: mean curve ∓ halfWidth·4u(1−u), u = (h − min)/(max − min). */
export function lensBranches(center: Curve, halfWidth: number, min: number, max: number): { up: HysteresisBranch; down: HysteresisBranch } {
  const span = max - min;
  const s = center.direction;
  const gap = (h: number) => {
    const u = (h - min) / span;
    return 4 * halfWidth * u * (1 - u);
  };
  const gapSlope = (h: number) => (4 * halfWidth * (1 - (2 * (h - min)) / span)) / span;
  return {
    up: {
      label: `${center.label} (lens model, up)`,
      toPhysics: (h) => center.toPhysics(h) - s * gap(h),
      slope: (h) => center.slope(h) - s * gapSlope(h),
    },
    down: {
      label: `${center.label} (lens model, down)`,
      toPhysics: (h) => center.toPhysics(h) + s * gap(h),
      slope: (h) => center.slope(h) + s * gapSlope(h),
    },
  };
}

/** The Standardisable behind a conversion (itself, or inside a rigidity wrapper), if any. */
export function findStandardisable(conversion: UnitConversion): Standardisable | undefined {
  let c: unknown = conversion;
  for (let depth = 0; depth < 8 && c; depth++) {
    if (c instanceof HysteresisConversion) return c;
    c = (c as { inner?: unknown }).inner;
  }
  return undefined;
}
