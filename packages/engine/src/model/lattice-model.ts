/**
 * The engine's implementation of the LatticeModel port of @mlayer/core.
 *
 * The model owns a deep copy of the lattice. Every parameter write bumps a
 * version counter and recompiles that one element; computed results (closed
 * orbit, transfer matrices, optics, corrector kicks) are cached per dp and
 * dropped as soon as the version changes.
 */
import { MlayerError } from '@mlayer/core';
import type {
  ElementInfo,
  ElementSelector,
  JacobianOptions,
  LatticeModel,
  ModelOptions,
  OpticsAt,
  OrbitResponse,
  OrbitResponseJacobian,
  OrbitResponseOptions,
  ParameterRef,
  RingEquilibrium,
  DynamicApertureRequest,
  DynamicApertureBoundary,
  Trajectory,
  TrajectoryOptions,
  TrajectoryResponse,
  TrajectoryResponseOptions,
  Tunes,
  TwissInput,
} from '@mlayer/core';
import type { Lattice } from '../lattice.js';
import { compileLattice } from '../tracking/index.js';
import type { CompiledElement, CompiledLattice } from '../tracking/index.js';
import { compileElementAs } from '../physics/element-maps.js';
import { ClosedOrbitError } from '../physics/errors.js';
import { computeLinearState, type LinearState } from '../physics/linear-state.js';
import { solveOrbits4 } from '../physics/orbit.js';
import { cellChromaticity, linoptLine, ringOptics, type OpticsPoint, type OpticsTable } from '../physics/linear.js';
import { trackTrajectory, trajectoryResponse, trajectoryState, type TrajectoryState } from '../physics/trajectory.js';
import { getMcf } from '../physics/mcf.js';
import { readParameter, writeParameter } from '../physics/parameters.js';
import { sPositions, trackObserved } from '../physics/propagate.js';
import { addFixedPathLengthTerm, kickPathLengths, pathLengthSlope } from '../physics/fixed-path-length.js';
import { orbitResponseDerivative, orbitResponseJacobian } from '../physics/orm-jacobian.js';
import {
  OrbitGreen,
  chromaticityResponse,
  correctorSources,
  tuneResponse,
} from '../physics/response.js';
import { selectElements } from './selectors.js';
import { applyChamber, type ChamberSpec } from './chamber.js';
import { ringEquilibrium } from '../physics/ring-parameters.js';
import { dynamicAperture } from '../physics/acceptance.js';

/** Options of createLatticeModel. */
export interface LatticeModelOptions {
  /**
   * Vacuum-chamber apertures for the elements that have no EApertures/RApertures of
   * their own (per AT class, else the default); the model's copy of the lattice gets them.
   */
  readonly chamber?: ChamberSpec;
  /** The lattice is an open line with these initial conditions (see LatticeModel.openLine). */
  readonly openLine?: TwissInput;
}

/** The engine model: the LatticeModel port plus access to the engine's data. */
export interface EngineLatticeModel extends LatticeModel {
  /** Incremented on every parameter write. */
  readonly version: number;
  /** The compiled lattice of the current version (for tracking). */
  compiled(): CompiledLattice;
  /** A deep copy of the current lattice data. */
  lattice(): Lattice;
  clone(): EngineLatticeModel;
}

type Source = ReturnType<typeof correctorSources>[number];

/** Number of momentum deviations whose results are kept. */
const MAX_CACHED_DP = 8;

interface DpCache {
  state?: LinearState;
  /** Closed orbit (6 per position 0..N) alone, when it was asked for before the linear state. */
  orbits?: Float64Array;
  optics?: { tunes: [number, number]; table: OpticsTable };
  chromState?: LinearState;
  green?: OrbitGreen;
  /** Momentum compaction at this dp (fixed-path-length responses). */
  mcf?: number;
  /** An open line's optics at every position 0..N. */
  line?: OpticsPoint[];
  sources: Map<number, Source>;
}

class Model implements EngineLatticeModel {
  private readonly data: Lattice;
  private elements: CompiledElement[];
  private current: CompiledLattice;
  private s: Float64Array;
  private ver = 0;
  private cacheVersion = 0;
  private readonly cache = new Map<number, DpCache>();
  private mcf?: number;
  /**
   * Elements this model may change in place (1), or shares with a clone (0) and copies
   * before its first write (copy on write); undefined: all its own (never cloned).
   */
  private owned?: Uint8Array;
  readonly openLine?: TwissInput;

  constructor(lattice: Lattice, from?: Model, options?: LatticeModelOptions) {
    if (from) {
      this.openLine = from.openLine;
      // A clone: the same compiled elements and element data, each copied when either model first writes it.
      this.data = { ...from.data, elements: from.data.elements.slice(), properties: structuredClone(from.data.properties) };
      this.elements = from.elements.slice();
      this.current = { lattice: this.data, elements: this.elements.slice(), ring: from.current.ring };
      this.s = from.s;
      this.owned = new Uint8Array(this.data.elements.length);
      from.owned = new Uint8Array(this.data.elements.length);
      return;
    }
    if (!lattice || !Array.isArray(lattice.elements) || !lattice.properties) {
      throw new MlayerError('createLatticeModel: expected a Lattice {elements, properties}');
    }
    this.data = structuredClone(lattice);
    if (options?.chamber) applyChamber(this.data, options.chamber);
    if (options?.openLine) this.openLine = checkTwissInput(options.openLine, 'openLine');
    const compiled = compileLattice(this.data);
    this.elements = compiled.elements.slice();
    this.current = compiled;
    this.s = sPositions(compiled);
  }

  get version(): number {
    return this.ver;
  }
  get length(): number {
    return this.data.elements.length;
  }
  get circumference(): number {
    return this.s[this.length];
  }
  get periodicity(): number {
    const p = this.data.properties.periodicity;
    return typeof p === 'number' && p > 0 ? p : 1;
  }
  get energy(): number {
    return this.data.properties.energy;
  }

  compiled(): CompiledLattice {
    return this.current;
  }

  lattice(): Lattice {
    return structuredClone(this.data);
  }

  element(index: number): ElementInfo {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`element index ${index} is outside 0..${this.length - 1}`);
    }
    const e = this.data.elements[index];
    return {
      index,
      famName: e.FamName,
      passMethod: e.PassMethod,
      className: typeof e.Class === 'string' ? e.Class : undefined,
      s: this.s[index],
      length: e.Length,
    };
  }

  find(selector: ElementSelector): number[] {
    return selectElements(this.data.elements, selector, true);
  }

  private checkRef(ref: ParameterRef): void {
    if (!Number.isInteger(ref.element) || ref.element < 0 || ref.element >= this.length) {
      throw new RangeError(`parameter element index ${ref.element} is outside 0..${this.length - 1}`);
    }
  }

  getParameter(ref: ParameterRef): number {
    this.checkRef(ref);
    return readParameter(this.data.elements[ref.element], ref);
  }

  setParameter(ref: ParameterRef, value: number): void {
    this.checkRef(ref);
    if (this.owned && !this.owned[ref.element]) {
      this.data.elements[ref.element] = structuredClone(this.data.elements[ref.element]);
      this.owned[ref.element] = 1;
    }
    const el = this.data.elements[ref.element];
    const backup = structuredClone(el);
    writeParameter(el, ref, value);
    let ring = this.current.ring;
    try {
      if (ref.field === 'Length') {
        const compiled = compileLattice(this.data);
        this.elements = compiled.elements.slice();
        this.s = sPositions(compiled);
        ring = compiled.ring;
      } else {
        this.elements[ref.element] = compileElementAs(this.current, ref.element, el);
      }
    } catch (err) {
      // Keep the model consistent: restore the element when its new fields are rejected.
      for (const k of Object.keys(el)) delete el[k];
      Object.assign(el, backup);
      throw err;
    }
    this.current = { lattice: this.data, elements: this.elements.slice(), ring };
    this.ver++;
  }

  private dpCache(options?: ModelOptions): DpCache {
    if (this.cacheVersion !== this.ver) {
      this.cache.clear();
      this.mcf = undefined;
      this.cacheVersion = this.ver;
    }
    const dp = options?.dp ?? 0;
    if (!Number.isFinite(dp)) throw new MlayerError(`model option dp ${dp} is not a finite number`);
    let c = this.cache.get(dp);
    if (!c) {
      c = { sources: new Map() };
      // Keep the results of the last few momentum deviations only (a dp scan must not grow memory).
      if (this.cache.size >= MAX_CACHED_DP) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(dp, c);
    }
    return c;
  }

  private state(options?: ModelOptions): LinearState {
    const c = this.dpCache(options);
    c.state ??= computeLinearState(this.current, { dp: options?.dp ?? 0, dispersion: true });
    return c.state;
  }

  private optics0(options?: ModelOptions): { tunes: [number, number]; table: OpticsTable } {
    const c = this.dpCache(options);
    if (!c.optics) {
      const { tunes, table } = ringOptics(this.state(options));
      c.optics = { tunes, table };
    }
    return c.optics;
  }

  private green(options?: ModelOptions): OrbitGreen {
    const c = this.dpCache(options);
    c.green ??= new OrbitGreen(this.state(options));
    return c.green;
  }

  private sources(correctors: readonly number[], options?: ModelOptions): Source[] {
    const c = this.dpCache(options);
    const g = this.green(options);
    const missing = correctors.filter((k) => !c.sources.has(k));
    if (missing.length) correctorSources(g, missing).forEach((s, i) => c.sources.set(missing[i], s));
    return correctors.map((k) => c.sources.get(k)!);
  }

  /** Throws for a ring-only quantity of an open-line model. */
  private ringOnly(what: string): void {
    if (this.openLine) throw new MlayerError(`${what}: the model is an open line (no periodic solution); ${what} is defined for a ring only`);
  }

  /** The open line's optics at every position (cached per dp). */
  private lineTable(options?: ModelOptions): OpticsPoint[] {
    const c = this.dpCache(options);
    if (!c.line) {
      const tw = this.openLine!;
      const orbit = lineOrbit(tw, options?.dp);
      const all = Array.from({ length: this.length + 1 }, (_, i) => i);
      c.line = linoptLine(this.current, { beta: tw.beta, alpha: tw.alpha, dispersion: tw.dispersion, closedOrbit: orbit }, { refpts: all });
    }
    return c.line;
  }

  tunes(options?: ModelOptions): Tunes {
    if (this.openLine) {
      const end = this.lineTable(options)[this.length];
      return { qx: end.mu[0] / (2 * Math.PI), qy: end.mu[1] / (2 * Math.PI) };
    }
    const { table } = this.optics0(options);
    const N = this.length;
    const P = this.periodicity;
    return { qx: (table.mu[2 * N] / (2 * Math.PI)) * P, qy: (table.mu[2 * N + 1] / (2 * Math.PI)) * P };
  }

  chromaticity(options?: ModelOptions): readonly [number, number] {
    this.ringOnly('chromaticity');
    const c = this.dpCache(options);
    c.chromState ??= computeLinearState(this.current, { dp: options?.dp ?? 0, offMomentum: true });
    const x = cellChromaticity(c.chromState);
    return [x[0] * this.periodicity, x[1] * this.periodicity];
  }

  momentumCompaction(): number {
    this.ringOnly('momentum compaction');
    this.dpCache();
    this.mcf ??= getMcf(this.current);
    return this.mcf;
  }

  optics(refpts: ElementSelector, options?: ModelOptions): OpticsAt[] {
    const idx = this.find(refpts);
    if (this.openLine) {
      const t = this.lineTable(options);
      return idx.map((p) => opticsAt(t[p]));
    }
    const st = this.state(options);
    const { table } = this.optics0(options);
    const d = st.dispersion!;
    const o = st.orbits;
    return idx.map((p) => ({
      index: p,
      s: table.s[p],
      beta: [table.beta[2 * p], table.beta[2 * p + 1]] as const,
      alpha: [table.alpha[2 * p], table.alpha[2 * p + 1]] as const,
      mu: [table.mu[2 * p], table.mu[2 * p + 1]] as const,
      dispersion: [d[4 * p], d[4 * p + 1], d[4 * p + 2], d[4 * p + 3]] as const,
      closedOrbit: [o[6 * p], o[6 * p + 1], o[6 * p + 2], o[6 * p + 3]] as const,
    }));
  }

  closedOrbit(refpts: ElementSelector, options?: ModelOptions): Float64Array[] {
    const idx = this.find(refpts);
    if (this.openLine) {
      const t = this.lineTable(options);
      return idx.map((p) => t[p].closedOrbit.slice(0, 4));
    }
    const o = this.orbits(options);
    return idx.map((p) => o.slice(6 * p, 6 * p + 4));
  }

  /**
   * The closed orbit at every position: the linear state's when it is there, else the
   * Newton search of the state and one particle tracked (the state's orbit particle, the
   * same numbers) without the transfer matrices and dispersion a reading of the orbit
   * does not need.
   */
  private orbits(options?: ModelOptions): Float64Array {
    const c = this.dpCache(options);
    if (c.state) return c.state.orbits;
    if (!c.orbits) {
      const dp = options?.dp ?? 0;
      const [{ orbit }] = solveOrbits4(this.current, [dp]);
      const n = this.current.elements.length;
      const orbits = new Float64Array(6 * (n + 1));
      const coords = Float64Array.from(orbit);
      const all = Array.from({ length: n + 1 }, (_, i) => i);
      const ok = trackObserved(this.current, coords, 1, all, (p, co) => orbits.set(co, 6 * p));
      if (!ok) throw new ClosedOrbitError(dp, 'particle lost while propagating the closed orbit');
      c.orbits = orbits;
    }
    return c.orbits;
  }

  dispersion(refpts: ElementSelector, options?: ModelOptions): Float64Array[] {
    const idx = this.find(refpts);
    if (this.openLine) {
      const t = this.lineTable(options);
      return idx.map((p) => Float64Array.of(t[p].dispersion[0], t[p].dispersion[2]));
    }
    const d = this.state(options).dispersion!;
    return idx.map((p) => Float64Array.of(d[4 * p], d[4 * p + 2]));
  }

  private correctorList(correctors: ElementSelector): number[] {
    return selectElements(this.data.elements, correctors, false);
  }

  orbitResponse(bpms: ElementSelector, correctors: ElementSelector, options?: OrbitResponseOptions): OrbitResponse {
    const orbitType = checkOrbitType(options?.orbitType);
    if (this.openLine) {
      if (orbitType === 'fixed-path-length') this.ringOnly("orbitType 'fixed-path-length'");
      const r = this.trajectoryResponse(bpms, correctors, { initial: lineOrbit(this.openLine, options?.dp) });
      return { bpms: r.bpms, correctors: r.correctors, Rxx: r.Rxx, Rxy: r.Rxy, Ryx: r.Ryx, Ryy: r.Ryy };
    }
    const b = this.find(bpms);
    const c = this.correctorList(correctors);
    const st = this.state(options);
    const src = this.sources(c, options);
    const nb = b.length, nc = c.length;
    const Rxx = rows(nb, nc), Rxy = rows(nb, nc), Ryx = rows(nb, nc), Ryy = rows(nb, nc);
    const ms = st.ms;
    for (let j = 0; j < nc; j++) {
      const s = src[j];
      for (let i = 0; i < nb; i++) {
        const p = b[i];
        const o = 16 * p;
        const yx = p >= s.px ? s.sx.after : s.sx.before;
        const yy = p >= s.px ? s.sy.after : s.sy.before;
        Rxx[i][j] = ms[o] * yx[0] + ms[o + 1] * yx[1] + ms[o + 2] * yx[2] + ms[o + 3] * yx[3];
        Ryx[i][j] = ms[o + 8] * yx[0] + ms[o + 9] * yx[1] + ms[o + 10] * yx[2] + ms[o + 11] * yx[3];
        Rxy[i][j] = ms[o] * yy[0] + ms[o + 1] * yy[1] + ms[o + 2] * yy[2] + ms[o + 3] * yy[3];
        Ryy[i][j] = ms[o + 8] * yy[0] + ms[o + 9] * yy[1] + ms[o + 10] * yy[2] + ms[o + 11] * yy[3];
      }
    }
    if (orbitType === 'fixed-path-length') {
      const d = st.dispersion!;
      const { cx, cy } = kickPathLengths(st, src);
      addFixedPathLengthTerm(
        { Rxx, Rxy, Ryx, Ryy },
        b.map((p) => d[4 * p]),
        b.map((p) => d[4 * p + 2]),
        cx,
        cy,
        this.pathLengthSlope(options),
      );
    }
    return { bpms: b, correctors: c, Rxx, Rxy, Ryx, Ryy };
  }

  /** alpha_c L at dp of the lattice as given (a cell closed on itself for a periodic lattice). */
  private pathLengthSlope(options?: ModelOptions): number {
    const dp = options?.dp ?? 0;
    if (dp === 0) return pathLengthSlope(this.momentumCompaction(), this.circumference);
    const c = this.dpCache(options);
    c.mcf ??= getMcf(this.current, { dp });
    return pathLengthSlope(c.mcf, this.circumference);
  }

  orbitResponseJacobian(
    bpms: ElementSelector,
    correctors: ElementSelector,
    groups: readonly (readonly ParameterRef[])[],
    options?: JacobianOptions,
  ): OrbitResponseJacobian {
    this.ringOnly('the orbit-response Jacobian');
    const orbitType = checkOrbitType(options?.orbitType);
    groups.forEach((g) => g.forEach((r) => this.checkRef(r)));
    const b = this.find(bpms);
    const c = this.correctorList(correctors);
    const r = orbitResponseJacobian(b, c, groups, {
      green: this.green(options),
      sources: this.sources(c, options),
      dispersion: !!options?.dispersion,
      orbitType,
      pathLengthSlope: orbitType === 'fixed-path-length' ? this.pathLengthSlope(options) : undefined,
    });
    const orm = r.orm.map((m) => ({ bpms: b, correctors: c, Rxx: m.Rxx, Rxy: m.Rxy, Ryx: m.Ryx, Ryy: m.Ryy }));
    if (!r.dispersion) return { orm };
    const L = this.circumference;
    return { orm, dispersion: r.dispersion, momentumCompaction: r.pathLengthSlope!.map((d) => d / L) };
  }

  tuneResponse(groups: readonly (readonly ParameterRef[])[], options?: ModelOptions): Float64Array[] {
    this.ringOnly('the tune response');
    groups.forEach((g) => g.forEach((r) => this.checkRef(r)));
    return tuneResponse(this.current, groups, { state: this.state(options) });
  }

  chromaticityResponse(groups: readonly (readonly ParameterRef[])[], options?: ModelOptions): Float64Array[] {
    this.ringOnly('the chromaticity response');
    groups.forEach((g) => g.forEach((r) => this.checkRef(r)));
    return chromaticityResponse(this.current, groups, { dp: options?.dp ?? 0 });
  }

  orbitResponseDerivative(
    bpms: ElementSelector,
    correctors: ElementSelector,
    group: readonly ParameterRef[],
    options?: ModelOptions,
  ): OrbitResponse {
    this.ringOnly('the orbit-response derivative');
    group.forEach((r) => this.checkRef(r));
    const b = this.find(bpms);
    const c = this.correctorList(correctors);
    const r = orbitResponseDerivative(this.current, b, c, group, {
      green: this.green(options),
      sources: this.sources(c, options),
    });
    return { bpms: b, correctors: c, Rxx: r.Rxx, Rxy: r.Rxy, Ryx: r.Ryx, Ryy: r.Ryy };
  }

  ringEquilibrium(): RingEquilibrium {
    this.ringOnly('the ring equilibrium');
    return ringEquilibrium(this.data);
  }

  dynamicAperture(request: DynamicApertureRequest): DynamicApertureBoundary {
    this.ringOnly('the dynamic aperture');
    const r = dynamicAperture(this.current, { amplitudes: request.amplitudes, npoints: request.npoints, nturns: request.nturns, sixD: false });
    return { boundary: r.boundary };
  }

  trajectory(bpms: ElementSelector, options?: TrajectoryOptions): Trajectory {
    const b = this.find(bpms);
    return trackTrajectory(this.current, b, this.initialCoordinates(options), options?.turns ?? 1, options?.start ?? 0);
  }

  /**
   * The last few reference trajectories linearised, per turns and initial coordinates, for
   * this version (the threading study asks for the same ones again and again).
   */
  private trajStates = new Map<string, TrajectoryState>();
  private trajVersion = -1;

  trajectoryResponse(bpms: ElementSelector, correctors: ElementSelector, options?: TrajectoryResponseOptions): TrajectoryResponse {
    const b = this.find(bpms);
    const c = this.correctorList(correctors);
    const initial = this.initialCoordinates(options);
    const turns = options?.turns ?? 1;
    const start = options?.start ?? 0;
    const key = `${turns}:${start}:${Array.from(initial).join(',')}`;
    if (this.trajVersion !== this.ver) {
      this.trajStates.clear();
      this.trajVersion = this.ver;
    }
    let state = this.trajStates.get(key);
    if (!state) {
      state = trajectoryState(this.current, initial, turns, start);
      if (this.trajStates.size >= 4) this.trajStates.delete(this.trajStates.keys().next().value as string);
      this.trajStates.set(key, state);
    }
    return trajectoryResponse(state, b, c);
  }

  lineOptics(twissIn: TwissInput, refpts: ElementSelector): OpticsAt[] {
    const idx = this.find(refpts);
    const tw = checkTwissInput(twissIn, 'lineOptics twissIn');
    const pts = linoptLine(this.current, { beta: tw.beta, alpha: tw.alpha, dispersion: tw.dispersion, closedOrbit: lineOrbit(tw) }, { refpts: idx });
    return pts.map(opticsAt);
  }

  /** Initial coordinates of a trajectory: given; else an open line's orbit, or zeros, with delta = dp. */
  private initialCoordinates(options?: { initial?: ArrayLike<number>; dp?: number }): Float64Array {
    if (!options?.initial && this.openLine) return lineOrbit(this.openLine, options?.dp);
    return initialCoordinates(options);
  }

  clone(): EngineLatticeModel {
    return new Model(this.data, this);
  }
}

function opticsAt(p: OpticsPoint): OpticsAt {
  return {
    index: p.index,
    s: p.s,
    beta: p.beta,
    alpha: p.alpha,
    mu: p.mu,
    dispersion: p.dispersion,
    closedOrbit: [p.closedOrbit[0], p.closedOrbit[1], p.closedOrbit[2], p.closedOrbit[3]] as const,
  };
}

/** Checks initial Twiss (beta > 0, finite numbers, an orbit of 4 or 6). */
function checkTwissInput(t: TwissInput, what: string): TwissInput {
  const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  const pair = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every(finite);
  if (!pair(t?.beta, 2) || !(t.beta[0] > 0 && t.beta[1] > 0)) throw new MlayerError(`${what}: beta ${JSON.stringify(t?.beta)} must be [beta_x, beta_y] > 0 (m)`);
  if (!pair(t.alpha, 2)) throw new MlayerError(`${what}: alpha ${JSON.stringify(t.alpha)} must be [alpha_x, alpha_y]`);
  if (t.dispersion !== undefined && !pair(t.dispersion, 4)) throw new MlayerError(`${what}: dispersion ${JSON.stringify(t.dispersion)} must be [Dx, D'x, Dy, D'y]`);
  if (t.orbit !== undefined) {
    const o = Array.from(t.orbit);
    if ((o.length !== 4 && o.length !== 6) || !o.every(finite)) throw new MlayerError(`${what}: orbit ${JSON.stringify(o)} must be 4 or 6 finite numbers`);
  }
  return t;
}

/** The 6-vector orbit at the entrance of a line: the given orbit (4 or 6), delta = dp when the orbit has none. */
function lineOrbit(t: TwissInput, dp?: number): Float64Array {
  const r = new Float64Array(6);
  if (t.orbit) for (let k = 0; k < t.orbit.length; k++) r[k] = t.orbit[k];
  if (dp !== undefined) {
    if (!Number.isFinite(dp)) throw new MlayerError(`model option dp ${dp} is not a finite number`);
    r[4] += dp;
  }
  return r;
}

function checkOrbitType(t: unknown): 'fixed-momentum' | 'fixed-path-length' {
  if (t === undefined || t === 'fixed-momentum') return 'fixed-momentum';
  if (t === 'fixed-path-length') return t;
  throw new MlayerError(`model option orbitType '${String(t)}' is not 'fixed-momentum' or 'fixed-path-length'`);
}

/** Initial coordinates of a trajectory: given, or zeros with delta = dp. */
function initialCoordinates(options?: { initial?: ArrayLike<number>; dp?: number }): Float64Array {
  if (options?.initial) {
    if (options.initial.length !== 6) {
      throw new MlayerError(`trajectory option initial must have 6 coordinates [x, px, y, py, delta, ct], got ${options.initial.length}`);
    }
    return Float64Array.from(options.initial);
  }
  const dp = options?.dp ?? 0;
  if (!Number.isFinite(dp)) throw new MlayerError(`trajectory option dp ${dp} is not a finite number`);
  const r = new Float64Array(6);
  r[4] = dp;
  return r;
}

function rows(n: number, m: number): Float64Array[] {
  return Array.from({ length: n }, () => new Float64Array(m));
}

/**
 * A LatticeModel on a deep copy of `lattice` (4D, RF cavities off as pyAT's disable_6d),
 * with the options' chamber apertures, and an open line when `openLine` is given.
 */
export function createLatticeModel(lattice: Lattice, options?: LatticeModelOptions): EngineLatticeModel {
  return new Model(lattice, undefined, options);
}
