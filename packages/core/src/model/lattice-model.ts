/**
 * The LatticeModel port: what tuning tools need from a model of the machine.
 * Implemented by @mlayer/engine; tools never import it
 * directly. Coordinates and conventions are pyAT's: SI units, optics at the
 * entrance of element i, refpt N is the end of the ring.
 */
import { MlayerError } from '../errors.js';

/** Selects elements: indices, or a selector string ('class:Monitor', 'pass:CorrectorPass', 'famname:REGEX'). */
export type ElementSelector = readonly number[] | string;

export type Plane = 'x' | 'y';

export interface ElementInfo {
  readonly index: number;
  readonly famName: string;
  readonly passMethod: string;
  /** AT class name when known (Quadrupole, Sextupole, Monitor, ...). */
  readonly className?: string;
  /** s at the element entrance in m. */
  readonly s: number;
  readonly length: number;
}

export interface Tunes {
  /** Total (integer + fractional) tunes of the whole ring, periodicity included. */
  readonly qx: number;
  readonly qy: number;
}

export interface OpticsAt {
  readonly index: number;
  readonly s: number;
  readonly beta: readonly [number, number];
  readonly alpha: readonly [number, number];
  /** Phase advance from the start in rad. */
  readonly mu: readonly [number, number];
  /** [Dx, D'x, Dy, D'y]. */
  readonly dispersion: readonly [number, number, number, number];
  /** Closed orbit [x, px, y, py] at the entrance. */
  readonly closedOrbit: readonly [number, number, number, number];
}

export interface ModelOptions {
  /** Momentum offset (default 0). */
  readonly dp?: number;
}

/** Orbit response matrices, rows = BPMs, columns = correctors, in m/rad. */
export interface OrbitResponse {
  readonly bpms: readonly number[];
  readonly correctors: readonly number[];
  readonly Rxx: Float64Array[];
  readonly Rxy: Float64Array[];
  readonly Ryx: Float64Array[];
  readonly Ryy: Float64Array[];
}

/** A change of an element parameter: field name as AT spells it, optional index into an array field. */
export interface ParameterRef {
  readonly element: number;
  /** 'K', 'PolynomB', 'PolynomA', 'KickAngle', 'Frequency', 'Voltage', 'T1', ... */
  readonly field: string;
  readonly index?: number;
}

/** The lattice (or the one-turn map at a point of it) has no stable periodic solution; the message says where. */
export class UnstableLatticeError extends MlayerError {
  constructor(message: string) {
    super(message);
  }
}

export interface LatticeModel {
  /** Number of elements. */
  readonly length: number;
  /** Circumference (of the lattice as given) in m. */
  readonly circumference: number;
  /** Number of times the lattice repeats to make the ring. */
  readonly periodicity: number;
  /** Total energy in eV. */
  readonly energy: number;

  element(index: number): ElementInfo;
  /** Indices of the elements matching a selector, in lattice order. */
  find(selector: ElementSelector): number[];

  getParameter(ref: ParameterRef): number;
  setParameter(ref: ParameterRef, value: number): void;

  tunes(options?: ModelOptions): Tunes;
  chromaticity(options?: ModelOptions): readonly [number, number];
  momentumCompaction(): number;
  /** Optics at the entrance of the selected elements (throws UnstableLatticeError when unstable). */
  optics(refpts: ElementSelector, options?: ModelOptions): OpticsAt[];
  /** 4D closed orbit [x, px, y, py] at the entrance of the selected elements. */
  closedOrbit(refpts: ElementSelector, options?: ModelOptions): Float64Array[];
  orbitResponse(bpms: ElementSelector, correctors: ElementSelector, options?: ModelOptions): OrbitResponse;
  /** Dispersion [Dx, Dy] at the selected elements (m). */
  dispersion(refpts: ElementSelector, options?: ModelOptions): Float64Array[];
  /** d(qx, qy)/d(parameter) for each parameter group (a group changes together, e.g. a family). */
  tuneResponse(groups: readonly (readonly ParameterRef[])[], options?: ModelOptions): Float64Array[];
  /** d(xi_x, xi_y)/d(parameter) for each parameter group. */
  chromaticityResponse(groups: readonly (readonly ParameterRef[])[], options?: ModelOptions): Float64Array[];
  /** d(ORM)/d(parameter) for one parameter group, blocks as in OrbitResponse. */
  orbitResponseDerivative(bpms: ElementSelector, correctors: ElementSelector, group: readonly ParameterRef[], options?: ModelOptions): OrbitResponse;
  /** An independent copy (the design model stays untouched when the copy is errored). */
  clone(): LatticeModel;
}
