/**
 * The twin's beam (issue 22): no beam, the first turns after an injection, or stored.
 * An injection tracks a bunch (injection.ts); in the first-turns state the BPMs read the
 * centroid of the surviving particles of the last shot (turn 1 for a single reading,
 * every turn in the turn-by-turn buffers, NaN downstream of a total loss), with the
 * shot's single-shot noise; the current monitor reads 0 (nothing is stored yet).
 * When enough particles survive every tracked turn and the machine has a closed orbit
 * the beam is stored: the BPMs read the closed orbit as before, the current is the
 * stored charge times the revolution frequency (later shots add theirs). An open line
 * (facility openLine) has its BPMs read the trajectory of the line's beam centroid.
 */
import { MlayerError, type InjectionConfig, type LoadedFacility, type OpenLineConfig } from '@mlayer/core';
import type { EngineLatticeModel, Lattice } from '@mlayer/engine';
import { injectBunch, type BeamState, type InjectionShot, type InjectionSimulation } from './injection.js';
import { Random } from './random.js';

const C_LIGHT = 299792458;

/** A lattice element named by the facility (index or FamName, its first occurrence). */
function resolveElement(lattice: Lattice, element: string | number, where: string): number {
  if (typeof element === 'number') {
    if (element >= lattice.elements.length) throw new MlayerError(`${where}: element index ${element} is past the end of the lattice (${lattice.elements.length} elements)`);
    return element;
  }
  const i = lattice.elements.findIndex((e) => e.FamName === element);
  if (i < 0) throw new MlayerError(`${where}: no lattice element named '${element}'`);
  return i;
}

export class TwinBeam {
  state: BeamState;
  /** The last shot (first-turns state; kept when stored, for its buffers). */
  shot: InjectionShot | undefined;
  /** Charge stored (C); undefined while the start-up 'stored' beam has the settings' current. */
  storedCharge: number | undefined;
  /** Number of injections since start. */
  injections = 0;
  readonly injection: (InjectionConfig & { elementIndex: number }) | undefined;
  readonly openLine: OpenLineConfig | undefined;
  private rng: Random;
  private lineCache: { version: number; error: string; readings: Map<number, [number, number]> } | undefined;

  constructor(
    facility: LoadedFacility,
    lattice: Lattice,
    private readonly simulation: InjectionSimulation,
    initial: 'stored' | 'none',
    seed: number,
  ) {
    const { config } = facility;
    this.injection = config.injection ? { ...config.injection, elementIndex: resolveElement(lattice, config.injection.element, `${facility.file}: injection.element`) } : undefined;
    this.openLine = config.openLine;
    this.state = initial;
    this.rng = new Random(seed ^ 0x1a1ec7);
  }

  reseed(seed: number): void {
    this.rng = new Random(seed ^ 0x1a1ec7);
  }

  /** One injection into the machine model; `hasClosedOrbit` says whether a stored beam could circulate. */
  inject(machine: EngineLatticeModel, error: readonly [number, number, number, number], bpms: readonly number[], hasClosedOrbit: () => boolean): InjectionShot {
    if (!this.injection) throw new MlayerError('the facility has no injection section: the twin cannot inject (see the facility schema: injection)');
    const shot = injectBunch(machine, { element: this.injection.elementIndex, beam: this.injection, error, bpms, simulation: this.simulation, rng: this.rng });
    this.injections++;
    const last = shot.survivors[shot.survivors.length - 1];
    const charge = (this.injection.charge * last) / shot.particles;
    if (this.state === 'stored') {
      // Accumulation: what survives adds to the stored charge.
      this.storedCharge = (this.storedCharge ?? 0) + charge;
      return shot;
    }
    this.shot = shot;
    if (last >= this.simulation.storeFraction * shot.particles && hasClosedOrbit()) {
      this.state = 'stored';
      this.storedCharge = charge;
    } else this.state = 'first-turns';
    return shot;
  }

  /** Back to no beam (a lost stored beam, or a reset). */
  dump(): void {
    this.state = 'none';
    this.shot = undefined;
    this.storedCharge = undefined;
  }

  /** Beam current in A: the start-up current, or the stored charge circulating; 0 without a stored beam (first turns store nothing). */
  current(startCurrent: number, circumference: number): number {
    if (this.state !== 'stored') return 0;
    return this.storedCharge === undefined ? startCurrent : (this.storedCharge * C_LIGHT) / circumference;
  }

  /** [x, y] of a BPM on a turn of the last shot (m), with the shot's single-shot noise in units of sigma; NaN where no particle passed. */
  shotReading(element: number, turn: number): { x: number; y: number; nx: number; ny: number } {
    const c = this.shot?.centroids.get(element);
    const noise = this.shot?.noise.get(element);
    if (!c || !noise || turn >= c.x.length) return { x: Number.NaN, y: Number.NaN, nx: 0, ny: 0 };
    return { x: c.x[turn], y: c.y[turn], nx: noise[turn], ny: noise[c.x.length + turn] };
  }

  /** An open line's BPM reading [x, y] (m): the beam centroid tracked through the line, NaN downstream of its loss. */
  lineReading(machine: EngineLatticeModel, element: number, bpms: readonly number[], error: readonly [number, number, number, number]): [number, number] {
    const o = this.openLine!.twiss.orbit;
    const key = error.join(',');
    if (!this.lineCache || this.lineCache.version !== machine.version || this.lineCache.error !== key) {
      // The engine's trajectory through the line (apertures included), from the line's orbit plus the static injection error.
      const bpmList = [...new Set(bpms)].sort((a, b) => a - b);
      const t = machine.trajectory(bpmList, { initial: [o[0] + error[0], o[1] + error[1], o[2] + error[2], o[3] + error[3], 0, 0], turns: 1 });
      const readings = new Map<number, [number, number]>();
      bpmList.forEach((b, i) => readings.set(b, [t.x[i], t.y[i]]));
      this.lineCache = { version: machine.version, error: key, readings };
    }
    return this.lineCache.readings.get(element) ?? [Number.NaN, Number.NaN];
  }
}
