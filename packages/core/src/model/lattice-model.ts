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

/**
 * MML's ClosedOrbitType. 'fixed-momentum': a corrector kick leaves the momentum
 * unchanged (the 4D closed orbit at the given dp; what the engine's
 * orbitResponse computed before this option existed, and still its default).
 * 'fixed-path-length': the RF frequency, hence the path length, is fixed, so a
 * kick that lengthens the orbit lowers the momentum: the response gains the
 * dispersion term -eta_i * dC_j / (alpha_c L), dC_j = eta_j theta_j for a thin
 * corrector (derivation in the engine's physics/fixed-path-length.ts). As MML, the
 * path length is held, with alpha_c (not the slip factor alpha_c - 1/gamma^2).
 * The twin's correctors act at fixed momentum (its dp follows the RF frequency only).
 */
export type ClosedOrbitType = 'fixed-path-length' | 'fixed-momentum';

export interface OrbitResponseOptions extends ModelOptions {
  /** Default 'fixed-momentum'. */
  readonly orbitType?: ClosedOrbitType;
}

export interface JacobianOptions extends ModelOptions {
  /** Also the derivative of the dispersion at the BPMs (the RF column): d(eta)/dp per parameter. */
  readonly dispersion?: boolean;
  /**
   * MML ClosedOrbitType: whether a corrector kick changes the momentum at fixed RF
   * (path length fixed) or not. Default 'fixed-momentum' (what orbitResponse computes by default).
   */
  readonly orbitType?: ClosedOrbitType;
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

/** d(ORM)/d(parameter) for many parameter groups at once (the LOCO Jacobian). */
export interface OrbitResponseJacobian {
  /** One entry per parameter group, blocks as in OrbitResponse (m/rad per unit of the parameter). */
  readonly orm: OrbitResponse[];
  /** When asked: per group, [dDx, dDy] at the BPMs (m per unit parameter; D in m). */
  readonly dispersion?: (readonly [Float64Array, Float64Array])[];
  /**
   * With `dispersion`: per group, d(alpha_c)/d(parameter) of the lattice as given
   * (momentumCompaction()); the RF column D / ((1/gamma^2 - alpha_c) f_RF) moves with it.
   */
  readonly momentumCompaction?: Float64Array;
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

/** Equilibrium of the ring's 6D model (radiation and RF cavities on; Ohmi envelope at element 0). */
export interface RingEquilibrium {
  /** Energy loss per turn [eV]. */
  readonly U0: number;
  /** Synchrotron tune. */
  readonly Qs: number;
  /** Ring tunes of the 6D model, with integer part. */
  readonly tunes: readonly [number, number];
  /** Mode emittances [x, y, z] in m (z: sigma_ct x sigma_delta units). */
  readonly emittances: readonly [number, number, number];
  readonly energySpread: number;
  /** sigma_ct [m]. */
  readonly bunchLength: number;
  /** Damping times [x, y, z] in s. */
  readonly dampingTimes: readonly [number, number, number];
}

/** What LatticeModel.dynamicAperture tracks. */
export interface DynamicApertureRequest {
  /** Largest x and y of the grid (m). */
  readonly amplitudes: readonly [number, number];
  /** Radii and angles (from π to 0) of the grid. */
  readonly npoints: readonly [number, number];
  readonly nturns: number;
}

/** The last surviving grid point [x, y] (m, from the closed orbit) along each angle, from π to 0. */
export interface DynamicApertureBoundary {
  readonly boundary: readonly (readonly [number, number])[];
}

/** Coordinates of one particle [x, px/p0, y, py/p0, delta, ct] in m and rad (pyAT's order). */
export type Coordinates6 = ArrayLike<number>;

/** Where a tracked particle was lost: the element (0-based index) and the turn (0-based) of the loss. */
export interface LossPoint {
  readonly element: number;
  readonly turn: number;
}

export interface TrajectoryOptions {
  /**
   * Coordinates (6) at the entrance of the start element. Default: zeros (an open
   * line's orbit), with delta = the model option dp.
   */
  readonly initial?: Coordinates6;
  /**
   * Element at whose entrance the particle starts (the injection point; default 0). The
   * particle passes the elements in order, wrapping from the last to 0; turn t is its
   * t-th pass (0-based) from the start, and reading t of a BPM is its t-th passage there.
   */
  readonly start?: number;
  /** Turns to track (a ring: the first turns after injection; an open line: 1). Default 1. */
  readonly turns?: number;
  /** Momentum offset used for the default initial coordinates (default 0). */
  readonly dp?: number;
}

/**
 * The trajectory of one particle (the beam centroid) through the lattice from given
 * coordinates, with the lattice's apertures (and the model's default aperture).
 * Readings are turn-major: the reading of BPM i on turn t is at [t * bpms.length + i].
 */
export interface Trajectory {
  readonly bpms: readonly number[];
  readonly turns: number;
  /** x at the entrance of each BPM element per turn (m); NaN at and downstream of the loss. */
  readonly x: Float64Array;
  /** y likewise (m). */
  readonly y: Float64Array;
  /** Element at whose entrance the particle started. */
  readonly start: number;
  /** Where the particle was lost (turn counted from the start); undefined when it survived every turn. */
  readonly lost?: LossPoint;
  /** Coordinates (6) after the last turn, back at the start element; NaN when lost. */
  readonly final: Float64Array;
}

/**
 * The trajectory around which the response is linearised, as for `trajectory`; `turns`: the
 * turns over which the BPMs read (1 or 2 for threading; an open line: 1).
 */
export type TrajectoryResponseOptions = TrajectoryOptions;

/**
 * Trajectory response matrices in m/rad: the blocks of OrbitResponse with
 * turns x bpms rows, turn-major (row t * bpms.length + i is BPM i on turn t).
 * A corrector's kick moves only the readings downstream of it along the particle's
 * path from the start (on the first turn, the BPMs after the corrector; later turns,
 * every BPM). A corrector keeps its kick on every turn. Rows at and downstream of the reference trajectory's loss
 * point (see `lost`) are NaN.
 */
export interface TrajectoryResponse extends OrbitResponse {
  readonly turns: number;
  readonly start: number;
  /** Where the reference trajectory was lost, if it was. */
  readonly lost?: LossPoint;
}

/**
 * Initial conditions of an open line (pyAT linopt6 twiss_in, uncoupled): at the
 * entrance of element 0.
 */
export interface TwissInput {
  readonly beta: readonly [number, number];
  readonly alpha: readonly [number, number];
  /** [Dx, D'x, Dy, D'y] (default zeros). */
  readonly dispersion?: readonly [number, number, number, number];
  /** Orbit (6, or 4 transverse) at the entrance (default zeros). */
  readonly orbit?: Coordinates6;
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
  /**
   * Set when the model is an open line (transfer line, linac): its initial Twiss and
   * orbit. Then optics, closedOrbit and dispersion are the line's (from these initial
   * conditions), orbitResponse is the trajectory response, tunes are the phase
   * advances over the line / 2 pi, and the ring-only quantities (chromaticity,
   * momentum compaction, responses of tunes and ORM, equilibrium) throw MlayerError.
   */
  readonly openLine?: TwissInput;

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
  orbitResponse(bpms: ElementSelector, correctors: ElementSelector, options?: OrbitResponseOptions): OrbitResponse;
  /** Dispersion [Dx, Dy] at the selected elements (m). */
  dispersion(refpts: ElementSelector, options?: ModelOptions): Float64Array[];
  /** d(qx, qy)/d(parameter) for each parameter group (a group changes together, e.g. a family). */
  tuneResponse(groups: readonly (readonly ParameterRef[])[], options?: ModelOptions): Float64Array[];
  /** d(xi_x, xi_y)/d(parameter) for each parameter group. */
  chromaticityResponse(groups: readonly (readonly ParameterRef[])[], options?: ModelOptions): Float64Array[];
  /** d(ORM)/d(parameter) for one parameter group, blocks as in OrbitResponse. */
  orbitResponseDerivative(bpms: ElementSelector, correctors: ElementSelector, group: readonly ParameterRef[], options?: ModelOptions): OrbitResponse;
  /**
   * d(ORM)/d(parameter) for every group (a group's parameters move together, e.g.
   * the quadrupoles on one power supply), and optionally d(dispersion)/d(parameter)
   * at the BPMs: the LOCO Jacobian in one pass.
   */
  orbitResponseJacobian(
    bpms: ElementSelector,
    correctors: ElementSelector,
    groups: readonly (readonly ParameterRef[])[],
    options?: JacobianOptions,
  ): OrbitResponseJacobian;
  /**
   * Trajectory of one particle (the beam centroid) from given coordinates through the
   * lattice (an open line) or the first `turns` turns of a ring, read at the BPMs
   * (entrance of the selected elements), with where it is lost on the apertures.
   */
  trajectory(bpms: ElementSelector, options?: TrajectoryOptions): Trajectory;
  /**
   * Trajectory response (BPM readings per corrector kick, m/rad) along a line or over
   * the first `turns` turns of a ring, from the transfer matrices along the reference
   * trajectory (as the ORM is from those along the closed orbit).
   */
  trajectoryResponse(bpms: ElementSelector, correctors: ElementSelector, options?: TrajectoryResponseOptions): TrajectoryResponse;
  /**
   * Open-line optics from given initial Twiss (pyAT linopt6 with twiss_in): beta,
   * alpha, phase advance, dispersion and orbit at the entrance of the selected
   * elements (N = the end of the line); closedOrbit holds the line's orbit.
   */
  lineOptics(twissIn: TwissInput, refpts: ElementSelector): OpticsAt[];
  /** Equilibrium of the 6D model (emittances, U0, Qs, ...); throws MlayerError when the lattice has no RF cavity. */
  ringEquilibrium(): RingEquilibrium;
  /**
   * Dynamic aperture by tracking the 4D model (pyAT get_acceptance, radial grid): nr radii from 0 to the amplitudes
   * along ntheta angles from π to 0, around the closed orbit at element 0; a particle survives nturns turns or not.
   */
  dynamicAperture(request: DynamicApertureRequest): DynamicApertureBoundary;
  /** An independent copy (the design model stays untouched when the copy is errored). */
  clone(): LatticeModel;
}
