/**
 * Trajectory correction (issue 22): the BPMs read a trajectory (a shot through a transfer
 * line, or the first turns of a ring after an injection) instead of a closed orbit. What is
 * shared by `correctTrajectory` (lines, first turn) and `threadBeam` (rings): the families,
 * a shot (injection through the control system, then the BPM readings in lattice order), the
 * model trajectory response over the BPMs the beam reaches, and one Tikhonov-regularised step
 * within the corrector limits.
 */
import { type Accelerator, type DeviceId, type Family, type LatticeModel, type MeasurementContext, injectionFamily } from '@mlayer/core';
import { type LimitPolicy, type Matrix, type PlannedWrite, type StepPlan, planStep, rms, solveSystem, svd } from '@mlayer/tuning-common';
import { OrbitError } from './errors.js';
import { type FamilyRef, resolveOrbitFamilies } from './orbit-families.js';
import { type PerPlane, type Plane, PLANES } from './orm.js';

/** The families of a trajectory correction, BPMs and correctors in lattice order. */
export interface TrajectoryFamilies {
  /** BPMs per plane (enabled devices), sorted by lattice element. */
  readonly bpms: PerPlane<Family>;
  readonly bpmElements: PerPlane<number[]>;
  readonly correctors: PerPlane<Family>;
  readonly correctorElements: PerPlane<number[]>;
  /** The family whose write injects one shot (none: the BPMs are read as they are). */
  readonly injection?: Family;
  /** Turn-by-turn buffers per plane (same devices as the BPMs, by name), when the facility has them. */
  readonly turnByTurn?: PerPlane<Family>;
  /** The beam-current monitor, when the facility has one. */
  readonly current?: Family;
}

export interface TrajectoryFamilyOptions {
  readonly bpms?: PerPlane<FamilyRef>;
  readonly correctors?: PerPlane<FamilyRef>;
  /** The injection family (default: the facility's injection.family, else its family of element class Injection). */
  readonly injection?: FamilyRef | false;
  /** Turn-by-turn BPM families per plane (default: the families of element class TurnByTurnBPM of each plane). */
  readonly turnByTurn?: PerPlane<FamilyRef> | false;
  /** The beam-current monitor (default: the facility's DCCT family, when it has exactly one). */
  readonly current?: FamilyRef | false;
}

const fam = (acc: Accelerator, ref: FamilyRef): Family => (typeof ref === 'string' ? acc.family(ref) : ref);

/** A selection sorted by the lattice element of its devices (the order the beam passes them). */
function sortedByElement(f: Family, model: LatticeModel): { family: Family; elements: number[] } {
  const els = f.latticeElements(model);
  const order = els.map((e, i) => [e, i] as const).sort((a, b) => a[0] - b[0]);
  const list = f.deviceList;
  return { family: f.devices(order.map(([, i]) => list[i] as DeviceId)), elements: order.map(([e]) => e) };
}

/** Resolves the families and their lattice elements. */
export function trajectoryFamilies(acc: Accelerator, model: LatticeModel, options: TrajectoryFamilyOptions): TrajectoryFamilies {
  const planes: Plane[] = ['x', 'y'];
  const base = resolveOrbitFamilies(acc, { bpms: options.bpms, correctors: options.correctors }, planes, { bpms: true, correctors: true });
  const bpms: Partial<Record<Plane, Family>> = {};
  const bpmElements: Partial<Record<Plane, number[]>> = {};
  const correctors: Partial<Record<Plane, Family>> = {};
  const correctorElements: Partial<Record<Plane, number[]>> = {};
  for (const p of planes) {
    const b = sortedByElement(base.bpms[p]!, model);
    bpms[p] = b.family;
    bpmElements[p] = b.elements;
    const c = sortedByElement(base.correctors[p]!, model);
    correctors[p] = c.family;
    correctorElements[p] = c.elements;
    for (const [what, f, want] of [['BPM', b.family, 'm'], ['corrector', c.family, 'rad']] as const) {
      const unit = what === 'BPM' ? f.units().physics : f.units('setpoint').physics;
      if (unit !== want) throw new OrbitError(`${f.name}: trajectory correction needs ${what} physics units in ${want} (the model's), the family has '${unit}'`);
    }
  }
  let injection: Family | undefined;
  if (options.injection !== false) {
    const name = options.injection ?? injectionFamily(acc.facility.config);
    injection = name === undefined ? undefined : fam(acc, name);
  }
  let turnByTurn: PerPlane<Family> | undefined;
  if (options.turnByTurn !== false) {
    const tbt: Partial<Record<Plane, Family>> = {};
    for (const p of planes) {
      const ref = options.turnByTurn?.[p];
      let f: Family | undefined;
      if (ref !== undefined) f = fam(acc, ref);
      else {
        const found = acc.familyNames().filter((n) => acc.family(n).elementClass.toLowerCase() === 'turnbyturnbpm' && acc.facility.config.families[n]?.plane === p);
        if (found.length === 1) f = acc.family(found[0]);
      }
      // The buffers of the BPMs used, in the same (lattice) order, matched by device name.
      if (f) tbt[p] = f.byName(...bpms[p]!.names);
    }
    if (tbt.x && tbt.y) turnByTurn = tbt;
  }
  let current: Family | undefined;
  if (options.current !== false) {
    if (options.current !== undefined) current = fam(acc, options.current);
    else {
      const found = acc.familyNames().filter((n) => ['dcct', 'current'].includes(acc.family(n).elementClass.toLowerCase()));
      if (found.length === 1) current = acc.family(found[0]);
    }
  }
  return { bpms, bpmElements, correctors, correctorElements, injection, turnByTurn, current };
}

/** One shot: the BPM readings (physics units, lattice order) per turn; NaN where the beam did not pass. */
export interface Shot {
  /** readings[p][t][i]: BPM i of plane p on turn t (t = 0: the single readings; later turns from the buffers). */
  readonly readings: PerPlane<Float64Array[]>;
  /** BPMs passed on each turn (both planes finite), counted from the first in lattice order until the first that is not. */
  readonly reached: readonly number[];
  /** Turns the beam went round completely (every BPM of the turn read). */
  readonly turns: number;
  /** Beam current after the shot (A; undefined without a current monitor). */
  readonly current?: number;
}

/**
 * Fires one injection (when the facility has an injection family), then reads the BPMs; with
 * `shots` > 1, that many, the readings averaged per BPM and turn (NaN where one shot missed it).
 */
export async function takeShot(m: MeasurementContext, f: TrajectoryFamilies, options: { inject: boolean; shot: number; turns?: number; shots?: number }): Promise<Shot> {
  const n = options.shots ?? 1;
  if (n <= 1) return takeOneShot(m, f, options);
  const all: Shot[] = [];
  for (let k = 0; k < n; k++) all.push(await takeOneShot(m, f, { ...options, shot: options.shot + k }));
  const readings: Partial<Record<Plane, Float64Array[]>> = {};
  for (const p of PLANES) {
    const turns = Math.min(...all.map((s) => s.readings[p]!.length));
    readings[p] = Array.from({ length: turns }, (_t, t) => all[0].readings[p]![t].map((_v, i) => all.reduce((acc, s) => acc + s.readings[p]![t][i], 0) / n));
  }
  return shotOf(readings as PerPlane<Float64Array[]>, all[n - 1].current);
}

async function takeOneShot(m: MeasurementContext, f: TrajectoryFamilies, options: { inject: boolean; shot: number; turns?: number }): Promise<Shot> {
  if (options.inject && f.injection) await f.injection.set(options.shot, { signal: m.signal });
  const readings: Partial<Record<Plane, Float64Array[]>> = {};
  for (const p of PLANES) readings[p] = [physics(f.bpms[p]!, await f.bpms[p]!.get({ signal: m.signal }))];
  const maxTurns = options.turns ?? 1;
  if (f.turnByTurn && maxTurns > 1) {
    for (const p of PLANES) {
      const tb = f.turnByTurn[p]!;
      const samples = await tb.read({ signal: m.signal });
      const length = Math.min(maxTurns, ...samples.map((s) => (s.value instanceof Float64Array ? s.value.length : 1)));
      for (let t = 1; t < length; t++) readings[p]!.push(physics(tb, Float64Array.from(samples, (s) => (s.value instanceof Float64Array ? s.value[t] : Number.NaN))));
    }
  }
  const current = f.current ? (await f.current.get({ units: 'physics', signal: m.signal }))[0] : undefined;
  return shotOf(readings as PerPlane<Float64Array[]>, current);
}

/** A shot from its readings: how far the beam got on each turn. */
function shotOf(readings: PerPlane<Float64Array[]>, current: number | undefined): Shot {
  const turnsRead = Math.min(readings.x!.length, readings.y!.length);
  const reached: number[] = [];
  for (let t = 0; t < turnsRead; t++) {
    const n = Math.min(firstNaN(readings.x![t]), firstNaN(readings.y![t]));
    reached.push(n);
    if (n < readings.x![t].length || n < readings.y![t].length) break;
  }
  let turns = 0;
  while (turns < reached.length && reached[turns] === Math.min(readings.x![0].length, readings.y![0].length)) turns++;
  return { readings, reached, turns, current };
}

/** Hardware readings in physics units; a BPM without beam (NaN) stays NaN (conversions are not asked to convert it). */
function physics(f: Family, hw: Float64Array): Float64Array {
  const out = f.toPhysics(hw.map((v) => (Number.isFinite(v) ? v : 0)), f.readField);
  hw.forEach((v, i) => {
    if (!Number.isFinite(v)) out[i] = Number.NaN;
  });
  return out;
}

function firstNaN(v: Float64Array): number {
  const i = v.findIndex((x) => !Number.isFinite(x));
  return i < 0 ? v.length : i;
}

/** Turns a stitching step uses at most (turn 1 and the turns after it, each made to match turn 1). */
const STITCH_TURNS = 4;

export interface StepSettings {
  /** Tikhonov α relative to the largest singular value of the system. */
  readonly alpha: number;
  readonly gain: number;
  readonly onLimit: LimitPolicy;
}

/** The step settings of correctTrajectory and threadBeam, checked: each option, else its default. */
export function stepSettings(options: Partial<StepSettings>, defaults: { alpha: number; gain: number }): StepSettings {
  const alpha = options.alpha ?? defaults.alpha;
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new OrbitError(`alpha must be a finite number >= 0 (got ${options.alpha})`);
  const gain = options.gain ?? defaults.gain;
  if (!(gain > 0 && gain <= 1)) throw new OrbitError(`gain must be in (0, 1] (got ${options.gain})`);
  const onLimit = options.onLimit ?? 'scale';
  if (onLimit !== 'scale' && onLimit !== 'stop') throw new OrbitError(`onLimit must be 'scale' or 'stop' (got ${String(onLimit)})`);
  return { alpha, gain, onLimit };
}

/** The correctors' setpoints per plane (lattice order), the `current` of planTrajectoryStep. */
export async function correctorSetpoints(f: TrajectoryFamilies, signal?: AbortSignal): Promise<PerPlane<Float64Array>> {
  return { x: await f.correctors.x!.get({ field: 'setpoint', signal }), y: await f.correctors.y!.get({ field: 'setpoint', signal }) };
}

export interface TrajectoryStepPlan {
  /** BPM rows used per plane (turn-major count). */
  readonly rows: PerPlane<number>;
  /** Correctors used per plane. */
  readonly columns: PerPlane<number>;
  /** rms of the readings used per plane (m), and the rms the model predicts after the step. */
  readonly rms: PerPlane<number>;
  readonly rmsPredicted: PerPlane<number>;
  /** rms corrector change per plane (rad). */
  readonly kick: PerPlane<number>;
  readonly scale: number;
  readonly writes: readonly PlannedWrite[];
  /** Correctors left out because the step would take them past their limits. */
  readonly excluded: number;
}

/**
 * One correction step from a shot: per plane, the readings of the BPMs the beam reached
 * (turn 1 up to the loss; with `stitch`, turn 2's as far as it got, made to match turn 1's),
 * the correctors upstream of the last of them, the model trajectory response over `turns`
 * turns, Tikhonov-regularised; the step scaled within the corrector limits.
 */
export function planTrajectoryStep(f: TrajectoryFamilies, model: LatticeModel, shot: Shot, settings: StepSettings, current: PerPlane<Float64Array>, options: { start: TrajectoryStart; stitch: boolean }): TrajectoryStepPlan {
  // Stitching: every turn read after a complete one (at most STITCH_TURNS), each made to match turn 1.
  const turns = options.stitch ? Math.max(2, Math.min(shot.reached.length, STITCH_TURNS)) : 1;
  const bpmEls = [...new Set([...f.bpmElements.x!, ...f.bpmElements.y!])].sort((a, b) => a - b);
  const corEls = [...new Set([...f.correctorElements.x!, ...f.correctorElements.y!])].sort((a, b) => a - b);
  const resp = model.trajectoryResponse(bpmEls, corEls, { turns, initial: options.start.initial, start: options.start.element });
  const nb = bpmEls.length;
  const rows: Partial<Record<Plane, number>> = {};
  const columns: Partial<Record<Plane, number>> = {};
  const rmsBefore: Partial<Record<Plane, number>> = {};
  const rmsAfter: Partial<Record<Plane, number>> = {};
  const kick: Partial<Record<Plane, number>> = {};
  const systems: Partial<Record<Plane, { used: { row: number[]; value: number }[]; cols: { c: number; j: number }[]; n: number }>> = {};
  for (const p of PLANES) {
    const block = p === 'x' ? resp.Rxx : resp.Ryy;
    const bEl = f.bpmElements[p]!;
    const cEl = f.correctorElements[p]!;
    const rowIdx = bEl.map((e) => bpmEls.indexOf(e));
    const colIdx = cEl.map((e) => corEls.indexOf(e));
    // Readings used: turn 1 up to the loss; with stitch, turn 2 (as far as it got) minus turn 1.
    const r1 = shot.readings[p]![0];
    const used: { row: number[]; value: number }[] = [];
    const reach1 = shot.reached[0] ?? 0;
    for (let i = 0; i < Math.min(reach1, r1.length); i++) used.push({ row: Array.from(block[rowIdx[i]]), value: r1[i] });
    let lastElement = bEl[Math.min(reach1, bEl.length) - 1] ?? -1;
    for (let t = 1; options.stitch && t < turns && t < shot.readings[p]!.length && (shot.reached[t - 1] ?? 0) >= bEl.length; t++) {
      const rt = shot.readings[p]![t];
      const reach = shot.reached[t] ?? 0;
      for (let i = 0; i < Math.min(reach, rt.length); i++) {
        const a = block[t * nb + rowIdx[i]];
        const b = block[rowIdx[i]];
        used.push({ row: Array.from(a, (v, j) => v - b[j]), value: rt[i] - r1[i] });
      }
      lastElement = Number.POSITIVE_INFINITY;
    }
    // Correctors upstream of the last BPM used (a kick after it moves nothing the beam showed).
    const cols = colIdx.map((c, j) => ({ c, j })).filter(({ j }) => cEl[j] < lastElement);
    rows[p] = used.length;
    rmsBefore[p] = rms(Float64Array.from(used, (u) => u.value));
    systems[p] = { used, cols, n: cEl.length };
  }
  // Solved with the correctors at their limits left out (the rest of the step is not shrunk by them).
  const excluded: Record<Plane, Set<number>> = { x: new Set(), y: new Set() };
  const deltas: Partial<Record<Plane, Float64Array>> = {};
  let plan: StepPlan | undefined;
  for (let round = 0; round < 20; round++) {
    for (const p of PLANES) {
      const { used, cols: all, n } = systems[p]!;
      const cols = all.filter(({ j }) => !excluded[p].has(j));
      columns[p] = cols.length;
      const d = new Float64Array(n);
      if (used.length > 0 && cols.length > 0) {
        const a: Matrix = used.map((u) => Float64Array.from(cols, ({ c }) => u.row[c]));
        const b = Float64Array.from(used, (u) => -u.value);
        // One decomposition: the largest singular value scales alpha, the solver reuses it.
        const dec = svd(a);
        const sol = solveSystem(a, b, { type: 'tikhonov', alpha: settings.alpha * (dec.s[0] ?? 0) }, () => dec);
        cols.forEach(({ j }, k) => (d[j] = settings.gain * sol.x[k]));
        const after = used.map((u, i) => u.value + cols.reduce((acc, { j }, k) => acc + a[i][k] * d[j], 0));
        rmsAfter[p] = rms(Float64Array.from(after));
      } else rmsAfter[p] = rmsBefore[p];
      deltas[p] = d;
      kick[p] = rms(d);
    }
    plan = planStep(
      PLANES.map((p) => ({ family: f.correctors[p]!, current: current[p]!, deltas: deltas[p]!, units: 'physics' as const })),
      settings.onLimit,
    );
    if (plan.scale >= 1 || settings.onLimit !== 'scale') break;
    let more = false;
    for (const v of plan.limitedBy) {
      for (const p of PLANES) {
        const j = f.correctors[p]!.name === v.family ? f.correctors[p]!.names.indexOf(v.name) : -1;
        if (j >= 0 && !excluded[p].has(j)) {
          excluded[p].add(j);
          more = true;
        }
      }
    }
    if (!more) break;
  }
  return { rows, columns, rms: rmsBefore, rmsPredicted: rmsAfter, kick, scale: plan!.scale, writes: plan!.writes, excluded: PLANES.reduce((n, p) => n + excluded[p].size, 0) };
}

/** Writes a planned step (each family through the measurement: restored on abort or failure). */
export async function applyStep(m: MeasurementContext, acc: Accelerator, writes: readonly PlannedWrite[]): Promise<void> {
  for (const w of writes) await m.set(acc.family(w.family).devices(w.devices as DeviceId[]), w.target);
  for (const w of writes) await m.settle(acc.family(w.family).devices(w.devices as DeviceId[]));
}

/** Undoes a step (the setpoints before it). */
export async function undoStep(m: MeasurementContext, acc: Accelerator, writes: readonly PlannedWrite[]): Promise<void> {
  for (const w of writes) await m.set(acc.family(w.family).devices(w.devices as DeviceId[]), w.current);
  for (const w of writes) await m.settle(acc.family(w.family).devices(w.devices as DeviceId[]));
}

/** Where the model trajectory starts: the injection point (element 0 for an open line) and the 6 coordinates there. */
export interface TrajectoryStart {
  readonly element: number;
  readonly initial: readonly number[];
}

/** The model trajectory's start: the facility's injection point and injected orbit, or its open line's entrance and orbit. */
export function trajectoryStart(acc: Accelerator, model: LatticeModel): TrajectoryStart {
  const { injection, openLine } = acc.facility.config;
  const o = openLine?.twiss.orbit ?? injection?.twiss.orbit ?? [0, 0, 0, 0];
  let element = 0;
  const at = openLine ? undefined : injection?.element;
  if (typeof at === 'number') element = at;
  else if (typeof at === 'string') {
    const found = model.find(`famname:^${at.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    if (found.length === 0) throw new OrbitError(`${acc.facility.file}: injection.element: no lattice element named '${at}' in the model`);
    element = found[0];
  }
  return { element, initial: [o[0], o[1], o[2], o[3], 0, 0] };
}
