/**
 * Compiling lattices to the kernel's tables: one header per element (shared by all
 * configurations) and one parameter block per configuration (float64 values split into
 * float32 hi/lo pairs). Configurations must have the same structure (pass methods, slice
 * counts, edge models, wiggler harmonics); optional parts are unified (a misalignment or
 * aperture present in one configuration is given to all, neutral where absent; MaxOrder
 * is the largest, with zero coefficients), which leaves the physics unchanged.
 */
import type { CompiledElement, CompiledLattice } from '../tracking/types.js';
import type { Frame } from '../tracking/frame.js';
import type { DriftParams, IdentityParams, ApertureParams, Matrix66Params, CorrectorParams } from '../tracking/passes/simple.js';
import type { StrMultipoleParams } from '../tracking/passes/str-multipole.js';
import type { BendMultipoleParams } from '../tracking/passes/bend-multipole.js';
import type { BendE2Params } from '../tracking/passes/bend-e2.js';
import type { ThinMultipoleParams } from '../tracking/passes/thin-multipole.js';
import type { WigglerParams } from '../tracking/passes/wiggler.js';
import { type CavityParams, C0, TWOPI as CAVITY_TWOPI } from '../tracking/passes/cavity.js';
import type { BendEdge, E2Edge, LinearQuadFringe } from '../tracking/fringe.js';
import type { QuadFringeSetup } from '../tracking/passes/quad-fringe-fields.js';
import { KICK1, KICK2 } from '../tracking/passes/multipole-fields.js';
import { FLAG, HEADER_WORDS, NO_SLOT, OP } from './wgsl/layout.js';
import { GpuConfigurationMismatchError, GpuUnsupportedElementError } from './errors.js';

/** Pass methods the kernel implements (by the compiled method's name). */
export const GPU_PASS_METHODS: ReadonlySet<string> = new Set([
  'IdentityPass',
  'DriftPass',
  'StrMPoleSymplectic4Pass',
  'BndMPoleSymplectic4Pass',
  'BndMPoleSymplectic4E2Pass',
  'ThinMPolePass',
  'CorrectorPass',
  'AperturePass',
  'Matrix66Pass',
  'GWigSymplecticPass',
  // 6D (pyAT's enable_6d): radiating integrators, cavities; the two non-radiating Rad variants as their base
  'StrMPoleSymplectic4RadPass',
  'BndMPoleSymplectic4RadPass',
  'BndMPoleSymplectic4E2RadPass',
  'Matrix66RadPass',
  'GWigSymplecticRadPass',
  'RFCavityPass',
  'CavityPass',
]);

/** Radiation constant of a ...RadPass element (0 for the non-radiating methods). */
function cradOf(p: unknown): number {
  const c = (p as { crad?: number }).crad;
  return typeof c === 'number' ? c : 0;
}

export interface LatticeTables {
  readonly nElem: number;
  /** Headers (HEADER_WORDS per element) followed by nElem+1 record slots (filled by withRefpts). */
  readonly headers: Uint32Array;
  /** Parameter values of all configurations, float64, configs * paramsPerConfig. */
  readonly params: Float64Array;
  readonly paramsPerConfig: number;
  readonly configs: number;
  /**
   * Upper bound of the shader loop iterations one particle spends in each element
   * (largest over the configurations); see LOOP_COST_* and webgpu-tracker.ts.
   */
  readonly loopCost: Float64Array;
}

const GWIG_EPS = 1e-6;

/** What one element of one configuration contributes. */
interface ElementPart {
  op: number;
  steps: number;
  maxOrder: number;
  aux: number;
  /** Flags other than the frame's (aperture convention, fringes). */
  flags: number;
  apEntry: boolean;
  apExit: boolean;
  frame: Frame | undefined;
  /** Physics parameters for a given (unified) MaxOrder. */
  physics(maxOrder: number): number[];
  /** Structure that must be equal across configurations. */
  key: string;
  /** Upper bound of loop iterations in the kernel for one particle through this element. */
  loopCost: number;
}

/**
 * Loop iterations of one sinCos/sinhCosh in the kernel: at most 6 halvings (and their exit
 * test), the 9 series terms and 6 doublings; arguments beyond 16 lose accuracy rather than loop longer.
 */
const TRIG_LOOPS = 23;

function sliceLoops(steps: number, mo: number): number {
  return 1 + steps * (1 + 3 * (mo + 1));
}

function label(el: CompiledElement): string {
  const f = el.element.FamName;
  return `element #${el.index} '${typeof f === 'string' ? f : String(f)}'`;
}

function padded(v: Float64Array, mo: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= mo; k++) out.push(k < v.length ? v[k] : 0);
  return out;
}

function linBlocks(fr: QuadFringeSetup): { flags: number; values: number[] } {
  let flags = 0;
  const values: number[] = [];
  if (fr.entrance) flags |= FLAG.QF_ENTRY;
  if (fr.exit) flags |= FLAG.QF_EXIT;
  const add = (l: LinearQuadFringe | undefined, bit: number): void => {
    if (!l) return;
    flags |= bit;
    values.push(...l.first, ...l.second);
  };
  add(fr.entrance ? fr.linearEntrance : undefined, FLAG.LIN_ENTRY);
  add(fr.exit ? fr.linearExit : undefined, FLAG.LIN_EXIT);
  return { flags, values };
}

function bendEdgeValues(e: BendEdge): number[] {
  return [e.fx, Math.tan(e.angle - e.fringecorr), e.fringecorr, e.irho];
}

function e2EdgeValues(e: E2Edge): number[] {
  return [e.fx, e.fy, e.T111, e.T234, e.T414, e.T212, e.T313, e.T133, e.T423, e.T211, e.T233, e.T413];
}

function wigglerPart(el: CompiledElement, p: WigglerParams): ElementPart {
  const { H, V } = p;
  if (H.count > 255 || V.count > 255) throw new GpuUnsupportedElementError(el.index, label(el), 'GWigSymplecticPass', 'more than 255 harmonics');
  const harm: number[] = [];
  for (let i = 0; i < H.count; i++) {
    const kx = H.kx[i], ky = H.ky[i], kz = H.kz[i];
    if (ky === 0 || kz === 0) throw new GpuUnsupportedElementError(el.index, label(el), 'GWigSymplecticPass', `horizontal harmonic ${i} has ky or kz = 0 (the CPU result is not finite)`);
    const c1 = H.cw[i] * (p.kw / kz);
    harm.push(c1, kx, ky, kx / ky, (kx / ky) * (kx / ky), Math.abs(kx / p.kw) > GWIG_EPS ? 0 : 1, 0, 0);
  }
  for (let i = 0; i < V.count; i++) {
    const kx = V.kx[i], ky = V.ky[i], kz = V.kz[i];
    if (kx === 0 || kz === 0) throw new GpuUnsupportedElementError(el.index, label(el), 'GWigSymplecticPass', `vertical harmonic ${i} has kx or kz = 0 (the CPU result is not finite)`);
    const c1 = V.cw[i] * (p.kw / kz);
    harm.push(c1, kx, ky, ky / kx, (ky / kx) * (ky / kx), Math.abs(ky / p.kw) > GWIG_EPS ? 0 : 1, 0, 0);
  }
  let nonzero = 0;
  for (let j = 0; j < harm.length; j += 8) if (Math.fround(harm[j]) !== 0) nonzero++;
  // z is the same for all particles: sin(kz z + tz) of every map and harmonic, as the CPU accumulates z.
  const sz: number[] = [];
  const maps = p.order === 2 ? [p.dl] : [p.dl * KICK1, p.dl * KICK2, p.dl * KICK1];
  let z = 0;
  for (let s = 1; s <= p.steps; s++) {
    for (const dl of maps) {
      const dl2 = 0.5e0 * dl;
      const zm = z + dl2;
      for (let i = 0; i < H.count; i++) sz.push(Math.sin(H.kz[i] * zm + H.tz[i]));
      for (let i = 0; i < V.count; i++) sz.push(Math.sin(V.kz[i] * zm + V.tz[i]));
      z = zm + dl2;
    }
  }
  return {
    op: OP.WIGGLER,
    steps: p.steps,
    maxOrder: 0,
    aux: H.count | (V.count << 8) | ((p.order === 4 ? 1 : 0) << 16),
    flags: 0,
    apEntry: false,
    apExit: false,
    frame: p.frame,
    physics: () => [p.dl * KICK1, p.dl * KICK2, p.dl, ...harm, ...sz],
    key: `wig:${p.steps}:${p.order}:${H.count}:${V.count}`,
    loopCost: 1 + p.steps * (1 + (p.order === 2 ? 1 : 3) * 6 * (2 + nonzero * (1 + 2 * TRIG_LOOPS) + (H.count + V.count - nonzero))),
  };
}

function elementPart(el: CompiledElement): ElementPart {
  const name = el.method.name;
  if (el.identity) {
    return { op: OP.SKIP, steps: 0, maxOrder: 0, aux: 0, flags: 0, apEntry: false, apExit: false, frame: undefined, physics: () => [], key: 'skip', loopCost: 0 };
  }
  switch (name) {
    case 'IdentityPass': {
      const p = el.params as IdentityParams;
      return { op: OP.IDENTITY, steps: 0, maxOrder: 0, aux: 0, flags: 0, apEntry: true, apExit: false, frame: p.frame, physics: () => [], key: 'id', loopCost: 0 };
    }
    case 'DriftPass': {
      const p = el.params as DriftParams;
      return { op: OP.DRIFT, steps: 0, maxOrder: 0, aux: 0, flags: 0, apEntry: true, apExit: true, frame: p.frame, physics: () => [p.length], key: 'drift', loopCost: 0 };
    }
    case 'StrMPoleSymplectic4Pass':
    case 'StrMPoleSymplectic4RadPass': {
      const p = el.params as StrMultipoleParams;
      const lin = linBlocks(p.fringe);
      const rad = name.endsWith('RadPass') ? FLAG.RAD : 0;
      return {
        op: OP.STR, steps: p.steps, maxOrder: p.maxOrder, aux: 0, flags: lin.flags | rad, apEntry: true, apExit: true, frame: p.frame,
        physics: (mo) => [p.L1, p.L2, p.K1, p.K2, p.B[1], cradOf(p), ...padded(p.A, mo), ...padded(p.B, mo), ...lin.values],
        key: `str:${p.steps}:${lin.flags & (FLAG.LIN_ENTRY | FLAG.LIN_EXIT)}:${rad}`,
        loopCost: sliceLoops(p.steps, p.maxOrder),
      };
    }
    case 'BndMPoleSymplectic4Pass':
    case 'BndMPoleSymplectic4RadPass': {
      const p = el.params as BendMultipoleParams;
      const lin = linBlocks(p.fringe);
      const aux = (p.edgeEntrance.method & 15) | ((p.edgeExit.method & 15) << 4);
      const rad = name.endsWith('RadPass') ? FLAG.RAD : 0;
      return {
        op: OP.BEND, steps: p.steps, maxOrder: p.maxOrder, aux, flags: lin.flags | rad, apEntry: true, apExit: true, frame: p.frame,
        physics: (mo) => [
          p.L1, p.L2, p.K1, p.K2, p.B[1], p.irho, cradOf(p), ...padded(p.A, mo), ...padded(p.B, mo),
          ...bendEdgeValues(p.edgeEntrance), ...bendEdgeValues(p.edgeExit), ...lin.values,
        ],
        key: `bend:${p.steps}:${aux}:${lin.flags & (FLAG.LIN_ENTRY | FLAG.LIN_EXIT)}:${rad}`,
        loopCost: sliceLoops(p.steps, p.maxOrder) + 2 * TRIG_LOOPS,
      };
    }
    case 'BndMPoleSymplectic4E2Pass':
    case 'BndMPoleSymplectic4E2RadPass': {
      const p = el.params as BendE2Params;
      const q1 = p.B[1];
      const q2 = p.maxOrder >= 2 ? p.B[2] : 0;
      const c6 = (p.h / 6.0) * q1 - q2 / 3.0;
      const rad = name.endsWith('RadPass') ? FLAG.RAD : 0;
      return {
        op: OP.E2, steps: p.steps, maxOrder: p.maxOrder, aux: 0, flags: rad, apEntry: true, apExit: true, frame: p.frame,
        physics: (mo) => [p.L1, p.L2, p.K1, p.K2, p.h, q1, q2, c6, (4.0 / 3.0) * q2, cradOf(p), ...padded(p.B, mo), ...e2EdgeValues(p.edgeEntrance), ...e2EdgeValues(p.edgeExit)],
        key: `e2:${p.steps}:${p.maxOrder >= 2 ? 'q2' : ''}:${rad}`,
        loopCost: sliceLoops(p.steps, p.maxOrder),
      };
    }
    case 'ThinMPolePass': {
      const p = el.params as ThinMultipoleParams;
      return {
        op: OP.THIN, steps: 0, maxOrder: p.maxOrder, aux: 0, flags: 0, apEntry: true, apExit: false, frame: p.frame,
        physics: (mo) => [p.bax, p.bay, ...padded(p.A, mo), ...padded(p.B, mo)],
        key: 'thin',
        loopCost: p.maxOrder + 1,
      };
    }
    case 'CorrectorPass': {
      const p = el.params as CorrectorParams;
      return { op: OP.CORRECTOR, steps: 0, maxOrder: 0, aux: 0, flags: 0, apEntry: false, apExit: false, frame: undefined, physics: () => [p.length, p.xkick, p.ykick], key: 'corr', loopCost: 0 };
    }
    case 'AperturePass': {
      const p = el.params as ApertureParams;
      return { op: OP.APERTURE, steps: 0, maxOrder: 0, aux: 0, flags: 0, apEntry: false, apExit: false, frame: undefined, physics: () => [...p.limits], key: 'aper', loopCost: 0 };
    }
    case 'Matrix66Pass':
    case 'Matrix66RadPass': {
      const p = el.params as Matrix66Params;
      return { op: OP.MATRIX66, steps: 0, maxOrder: 0, aux: 0, flags: 0, apEntry: false, apExit: false, frame: p.frame, physics: () => [...p.m], key: 'm66', loopCost: 0 };
    }
    case 'GWigSymplecticPass':
    case 'GWigSymplecticRadPass':
      return wigglerPart(el, el.params as WigglerParams);
    case 'RFCavityPass':
    case 'CavityPass': {
      // [length/2, V/E, 2pi f/c, TimeLag, 2pi f (h/f - T0) (phase per turn), Phi0] (engine/tracking/passes/cavity.ts)
      const p = el.params as CavityParams;
      const dph = p.harmonic === 0 ? 0 : CAVITY_TWOPI * p.frequency * (p.harmonic / p.frequency - p.T0);
      return {
        op: OP.CAVITY, steps: 0, maxOrder: 0, aux: 0, flags: 0, apEntry: false, apExit: false, frame: undefined,
        physics: () => [p.length / 2, p.nv, (CAVITY_TWOPI * p.frequency) / C0, p.timeLag, dph, p.phi0],
        key: 'cav',
        loopCost: TRIG_LOOPS + 2,
      };
    }
    default:
      throw new GpuUnsupportedElementError(el.index, label(el), name, `pass method not implemented on the GPU (supported: ${[...GPU_PASS_METHODS].join(', ')})`);
  }
}

const NO_LIMIT = 1e30;
const IDENTITY66 = Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0));

function frameFlags(f: Frame | undefined): number {
  if (!f) return 0;
  return (f.T1 ? FLAG.T1 : 0) | (f.R1 ? FLAG.R1 : 0) | (f.T2 ? FLAG.T2 : 0) | (f.R2 ? FLAG.R2 : 0) | (f.RApertures ? FLAG.RAP : 0) | (f.EApertures ? FLAG.EAP : 0);
}

function frameValues(f: Frame | undefined, flags: number): number[] {
  const out: number[] = [];
  if (flags & FLAG.T1) out.push(...(f?.T1 ?? new Float64Array(6)));
  if (flags & FLAG.R1) out.push(...(f?.R1 ?? IDENTITY66));
  if (flags & FLAG.T2) out.push(...(f?.T2 ?? new Float64Array(6)));
  if (flags & FLAG.R2) out.push(...(f?.R2 ?? IDENTITY66));
  // A neutral aperture (no limit within float32 range, and finite so that the float-float arithmetic stays finite).
  if (flags & FLAG.RAP) out.push(...(f?.RApertures ?? [-NO_LIMIT, NO_LIMIT, -NO_LIMIT, NO_LIMIT]));
  if (flags & FLAG.EAP) out.push(...(f?.EApertures ?? [NO_LIMIT, NO_LIMIT]));
  return out;
}

/** Builds the tables for one or more configurations of the same lattice structure. */
export function buildTables(configs: readonly CompiledLattice[]): LatticeTables {
  if (configs.length === 0) throw new GpuConfigurationMismatchError('no lattice configuration given');
  const nElem = configs[0].elements.length;
  for (const [c, cfg] of configs.entries()) {
    if (cfg.elements.length !== nElem) {
      throw new GpuConfigurationMismatchError(`configuration ${c} has ${cfg.elements.length} elements; configuration 0 has ${nElem}`);
    }
  }
  const parts = configs.map((cfg) => cfg.elements.map(elementPart));
  const headers = new Uint32Array(nElem * HEADER_WORDS + nElem + 1).fill(NO_SLOT);
  const layout: { frameFlags: number; mo: number; frameSize: number; physSize: number; frameOff: number; physOff: number }[] = [];
  let offset = 0;
  for (let e = 0; e < nElem; e++) {
    let ref = parts[0][e];
    // An element that is an identity in one configuration but not in another takes the
    // non-identity structure (IdentityPass with the frame of those that have one).
    for (let c = 1; c < configs.length && ref.op === OP.SKIP; c++) if (parts[c][e].op !== OP.SKIP) ref = parts[c][e];
    let ff = 0;
    let mo = 0;
    for (let c = 0; c < configs.length; c++) {
      let p = parts[c][e];
      if (p.op === OP.SKIP && ref.op === OP.IDENTITY) {
        p = { ...ref, frame: undefined };
        parts[c][e] = p;
      }
      if (p.key !== ref.key) {
        throw new GpuConfigurationMismatchError(
          `${label(configs[c].elements[e])}: configuration ${c} has the structure '${p.key}', configuration 0 '${ref.key}' (pass method, NumIntSteps, edge models and linear fringes must agree)`,
        );
      }
      ff |= frameFlags(p.frame);
      mo = Math.max(mo, p.maxOrder);
    }
    const physSize = ref.physics(mo).length;
    const frameSize = frameValues(undefined, ff).length;
    let flags = ff | ref.flags;
    for (let c = 1; c < configs.length; c++) flags |= parts[c][e].flags & (FLAG.QF_ENTRY | FLAG.QF_EXIT);
    const hasAperture = (ff & (FLAG.RAP | FLAG.EAP)) !== 0;
    if (hasAperture && ref.apEntry) flags |= FLAG.AP_ENTRY;
    if (hasAperture && ref.apExit) flags |= FLAG.AP_EXIT;
    const h = e * HEADER_WORDS;
    headers[h] = ref.op;
    headers[h + 1] = flags;
    headers[h + 2] = offset;
    headers[h + 3] = offset + frameSize;
    headers[h + 4] = ref.steps;
    headers[h + 5] = mo;
    headers[h + 6] = ref.aux;
    headers[h + 7] = 0;
    layout.push({ frameFlags: ff, mo, frameSize, physSize, frameOff: offset, physOff: offset + frameSize });
    offset += frameSize + physSize;
  }
  const loopCost = new Float64Array(nElem);
  for (let e = 0; e < nElem; e++) for (let c = 0; c < configs.length; c++) loopCost[e] = Math.max(loopCost[e], parts[c][e].loopCost);
  const paramsPerConfig = Math.max(offset, 1);
  const params = new Float64Array(paramsPerConfig * configs.length);
  for (let c = 0; c < configs.length; c++) {
    const base = c * paramsPerConfig;
    for (let e = 0; e < nElem; e++) {
      const L = layout[e];
      const p = parts[c][e];
      const fv = frameValues(p.frame, L.frameFlags);
      params.set(fv, base + L.frameOff);
      const pv = p.physics(L.mo);
      if (pv.length !== L.physSize) {
        throw new GpuConfigurationMismatchError(`${label(configs[c].elements[e])}: configuration ${c} has ${pv.length} parameters; expected ${L.physSize}`);
      }
      params.set(pv, base + L.physOff);
    }
  }
  return { nElem, headers, params, paramsPerConfig, configs: configs.length, loopCost };
}

/** Header table with the record slots of the given refpts (sorted, unique, each in [0, nElem]). */
export function withRefpts(tables: LatticeTables, refpts: readonly number[]): Uint32Array {
  const t = tables.headers.slice();
  const recOff = tables.nElem * HEADER_WORDS;
  t.fill(NO_SLOT, recOff);
  refpts.forEach((r, slot) => {
    t[recOff + r] = slot;
  });
  return t;
}

/** float64 -> interleaved float32 (hi, lo) pairs. */
export function splitFloat64(values: Float64Array, out = new Float32Array(2 * values.length)): Float32Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const hi = Math.fround(v);
    out[2 * i] = hi;
    out[2 * i + 1] = Number.isFinite(hi) ? Math.fround(v - hi) : 0;
  }
  return out;
}
