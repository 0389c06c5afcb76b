/**
 * The tool call of each stage kind. A stage reads and writes the machine through
 * the accelerator (the same calls on the twin and on a live machine) and returns
 * the values it reports; what later stages need (the BBA offsets, the beam state,
 * the injections spent) is kept in the seed's state, saved with every stage.
 */
import { type Accelerator, Measurement, facilityTools } from '@mlayer/core';
import { type PlanOptions, analyseBba, measureBba, planBba, planCentring } from '@mlayer/bba';
import { setChromaticity } from '@mlayer/chromaticity';
import { type ThreadResult, correctOrbit, modelOrm, resolveOrbitFamilies, threadBeam } from '@mlayer/orbit';
import { setTunes } from '@mlayer/tune';
import { rms } from '@mlayer/tuning-common';
import type { FigureTargets } from './figures.js';
import type { BeamState, StageKind, StageParameters } from './stage-kinds.js';
import { CommissioningError, StageUnavailableError } from './errors.js';
import { locoStage } from './loco-stage.js';
import { rampSextupoles } from './sextupole-ramp.js';

/** What a seed carries from stage to stage (saved in each stage's checkpoint). */
export interface SeedState {
  beam: BeamState;
  injections: number;
  /** BPM offsets (physics units, m) by plane and BPM device name, from the last BBA stage (each BPM's nearest quadrupole). */
  bbaOffsets?: { x?: Record<string, number>; y?: Record<string, number> };
  /** The last BBA stage's plan options and every pair's offset (extra pairs included), for steering through the quadrupole centres. */
  bba?: { options: PlanOptions; pairs: { plane: 'x' | 'y'; bpm: string; quad: string; offset: number }[] };
  /** The sextupole ramp's target setpoints (hardware) by family, taken when the seed first ramps. */
  sextupoleTargets?: Record<string, number[]>;
  /** The golden orbit (physics units, m, by plane and BPM device name): the averaged readings after steering through the quadrupole centres. */
  golden?: { x?: Record<string, number>; y?: Record<string, number> };
}

export interface StageCall {
  readonly acc: Accelerator;
  readonly state: SeedState;
  readonly targets: FigureTargets;
  readonly signal?: AbortSignal;
}

type StageFunction<K extends StageKind> = (call: StageCall, p: StageParameters<K>) => Promise<Record<string, number>>;

const finiteOr = (v: number | undefined): number => (v === undefined || !Number.isFinite(v) ? Number.NaN : v);

/** Threads (and stores, if it gets that far) the beam; the seed's beam and injections follow the result. */
async function thread(call: StageCall, p: { injections: number; alpha?: number; gain?: number }): Promise<ThreadResult> {
  const r = await threadBeam(call.acc, { maxInjections: p.injections, alpha: p.alpha, gain: p.gain, closeOrbit: false, signal: call.signal });
  call.state.injections += r.injections;
  if (r.status === 'stored') call.state.beam = 'stored';
  else if (r.reachedFinal >= r.bpms && call.state.beam === 'none') call.state.beam = 'threaded';
  return r;
}

const injectThread: StageFunction<'inject-thread'> = async (call, p) => {
  const r = await thread(call, p);
  if (call.state.beam === 'none') throw new CommissioningError(`beam not threaded after ${r.injections} injections: ${r.message}`);
  return { injections: r.injections, bpms_reached: r.reachedFinal };
};

const store: StageFunction<'store'> = async (call, p) => {
  if (call.state.beam === 'stored') return { injections: 0, bpms_reached: Number.NaN };
  const r = await thread(call, p);
  if (r.status !== 'stored') throw new CommissioningError(`beam not stored after ${r.injections} injections: ${r.message}`);
  return { injections: r.injections, bpms_reached: r.reachedFinal };
};

/**
 * One step through the centres of the quadrupoles the BBA stage just before measured (planCentring: from the orbit the
 * BBA started from, which its restore left), then the averaged readings as the golden orbit.
 */
async function centre(acc: Accelerator, state: SeedState, p: StageParameters<'orbit-correction'>, signal?: AbortSignal): Promise<Record<string, number>> {
  if (!state.bba) throw new CommissioningError('offsets: centres needs the pairs of a BBA stage just before');
  const plan = planBba(acc, state.bba.options);
  const found = new Map(state.bba.pairs.map((r) => [`${r.plane} ${r.bpm} ${r.quad}`, r.offset]));
  const result = { pairs: plan.pairs.map((q) => ({ offset: found.get(`${q.plane} ${q.bpm.name} ${q.quad.name}`) ?? Number.NaN })) };
  const cp = await planCentring(acc, plan, result, { rcond: p.svThreshold, average: p.average });
  for (const c of cp.correctors) {
    signal?.throwIfAborted();
    const f = acc.family(c.family).enabled();
    const now = await f.get({ units: 'physics', field: 'setpoint', signal });
    await f.set(now.map((v, i) => v + p.gain * c.change[i]), { units: 'physics', signal });
  }
  const golden: NonNullable<SeedState['golden']> = {};
  const rmsOf: Record<string, number> = {};
  const bpms = resolveOrbitFamilies(acc, {}, ['x', 'y'], { bpms: true }).bpms;
  for (const plane of ['x', 'y'] as const) {
    const f = bpms[plane];
    if (!f) continue;
    const v = await new Measurement(acc, { name: 'commissioning-golden', drives: [], signal }).run(async (m) => (await m.average(f, p.average, { units: 'physics' })).mean);
    golden[plane] = Object.fromEntries(f.names.map((n, i) => [n, v[i]]));
    rmsOf[plane] = rms(cp.quads.filter((q) => q.plane === plane).map((q) => q.after));
  }
  state.golden = golden;
  return { steps: 1, orbit_rms_x: Number.NaN, orbit_rms_y: Number.NaN, centring_model_rms_x: finiteOr(rmsOf.x), centring_model_rms_y: finiteOr(rmsOf.y) };
}

const orbitCorrection: StageFunction<'orbit-correction'> = async ({ acc, state, signal }, p) => {
  if (p.offsets === 'centres') return centre(acc, state, p, signal);
  const orm = await modelOrm(acc, { rf: p.rf });
  if (p.offsets === 'golden' && !state.golden) throw new CommissioningError('offsets: golden needs the golden orbit of an earlier orbit-correction with offsets: centres');
  const known = p.offsets === 'bba' ? state.bbaOffsets : p.offsets === 'golden' ? state.golden : undefined;
  const offsets = known ? { x: orm.bpms.x?.names.map((n) => known.x?.[n] ?? 0), y: orm.bpms.y?.names.map((n) => known.y?.[n] ?? 0) } : undefined;
  const r = await correctOrbit(acc, {
    orm,
    offsets,
    method: { type: 'svd', threshold: p.svThreshold },
    rf: p.rf,
    iterations: p.iterations,
    average: p.average,
    gain: p.gain,
    signal,
  });
  return { steps: r.steps.length, orbit_rms_x: finiteOr(r.rmsFinal.x), orbit_rms_y: finiteOr(r.rmsFinal.y), centring_model_rms_x: Number.NaN, centring_model_rms_y: Number.NaN };
};

const bba: StageFunction<'bba'> = async ({ acc, state, signal }, p) => {
  const options: PlanOptions = { planes: p.planes, bpms: p.bpms, amplitude: p.amplitude, modulation: p.modulation, steps: p.steps, everyQuad: p.quads === 'all' };
  const plan = planBba(acc, options);
  const data = await measureBba(acc, plan, { average: p.average, signal });
  const result = analyseBba(data);
  const offsets: NonNullable<SeedState['bbaOffsets']> = { ...state.bbaOffsets };
  let sigmaMax = 0;
  let pairs = 0;
  const all: NonNullable<SeedState['bba']>['pairs'] = [];
  for (const r of result.pairs) {
    if (!Number.isFinite(r.offset)) continue;
    all.push({ plane: r.plane, bpm: r.bpm, quad: r.quad, offset: r.offset });
    if (r.extra) continue;
    (offsets[r.plane] ??= {})[r.bpm] = r.offset;
    sigmaMax = Math.max(sigmaMax, r.sigma);
    pairs++;
  }
  state.bbaOffsets = offsets;
  state.bba = { options: JSON.parse(JSON.stringify(options)) as PlanOptions, pairs: all };
  return { bba_pairs: pairs, bba_sigma_max: sigmaMax };
};

const tuneCorrection: StageFunction<'tune-correction'> = async ({ acc, targets, signal }, p) => {
  const target = p.target ?? targets.tunes;
  const r = await setTunes(acc, [target[0], target[1]], { families: p.families ?? facilityTools(acc.facility).tuneFamilies, iterations: p.iterations, tolerance: p.tolerance, signal });
  return { tune_steps: r.steps.length };
};

const chromaticityCorrection: StageFunction<'chromaticity-correction'> = async ({ acc, targets, signal }, p) => {
  const target = p.target ?? targets.chromaticity;
  const r = await setChromaticity(acc, [target[0], target[1]], {
    families: p.families ?? facilityTools(acc.facility).chromaticityFamilies,
    iterations: p.iterations,
    tolerance: p.tolerance,
    measure: { points: p.points, dpRange: p.dpRange },
    signal,
  });
  return { chromaticity_steps: r.steps.length };
};

const loco: StageFunction<'loco'> = async ({ acc, signal }, p) => locoStage(acc, p, signal);

const figuresOnly: StageFunction<'figures'> = async () => ({});

const STAGES: Partial<{ [K in StageKind]: StageFunction<K> }> = {
  'inject-thread': injectThread,
  store,
  'orbit-correction': orbitCorrection,
  bba,
  'sextupole-ramp': ({ acc, state, signal }, p) => rampSextupoles(acc, state, p, signal),
  'tune-correction': tuneCorrection,
  'chromaticity-correction': chromaticityCorrection,
  loco,
  figures: figuresOnly,
};

/** The stage kinds this build can run. */
export function availableStages(): ReadonlySet<StageKind> {
  return new Set(Object.keys(STAGES) as StageKind[]);
}

/** Runs one attempt of a stage with its (parsed) parameters. */
export async function runStage(kind: StageKind, call: StageCall, parameters: Readonly<Record<string, unknown>>): Promise<Record<string, number>> {
  const fn = STAGES[kind] as StageFunction<StageKind> | undefined;
  if (!fn) throw new StageUnavailableError(`stage ${kind} is not available in this build (its tool has not landed)`);
  return fn(call, parameters as never);
}
