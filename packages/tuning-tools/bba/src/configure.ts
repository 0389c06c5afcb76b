/**
 * BBA configuration from the facility and the model (issue 21 item 1): each BPM
 * paired with the nearest individually powered quadrupole, the corrector per plane
 * that moves the beam most at the BPM (model ORM through the LatticeModel port),
 * the corrector step for a chosen amplitude and the quadrupole change for a chosen
 * modulation, √(β_bpm β_q)/(2|sin πQ|) · ΔK L · amplitude. Everything overridable.
 */
import type { Accelerator, DeviceId, Family, LatticeModel } from '@mlayer/core';
import { BbaError } from './errors.js';

export type Plane = 'x' | 'y';
export const PLANES: readonly Plane[] = ['x', 'y'];

/** One device of a family. */
export interface DeviceRef {
  readonly family: string;
  readonly device: DeviceId;
  readonly name: string;
  /** Lattice element. */
  readonly element: number;
}

export interface BbaPair {
  readonly plane: Plane;
  readonly bpm: DeviceRef;
  readonly quad: DeviceRef;
  readonly corrector: DeviceRef;
  /** Distance along s from the BPM to the quadrupole's centre, m. */
  readonly distance: number;
  /** Half range of the corrector scan, physics units of the corrector's setpoint. */
  readonly correctorStep: number;
  /** ± change of the quadrupole, physics units of its setpoint. */
  readonly quadStep: number;
  /** Orbit change expected at the BPM per unit corrector step (model, BPM physics unit per corrector physics unit). */
  readonly response: number;
  /** Set when the modulation asked for needed a larger quadrupole change than maxQuadChange allows: the change was capped there. */
  readonly capped?: boolean;
  /**
   * Set on a pair of PlanOptions.everyQuad: a quadrupole that is not the nearest of any BPM, with its nearest BPM. Its
   * offset is that BPM's reading when the beam passes through this quadrupole's centre (for planCentring); the BPM's
   * own offset stays the one of its nearest quadrupole.
   */
  readonly extra?: boolean;
}

/** A BPM without an individually powered quadrupole within reach, or without a corrector. */
export interface UnpairedBpm {
  readonly plane: Plane;
  readonly bpm: DeviceRef;
  readonly reason: string;
}

export interface BbaPlan {
  readonly facility: string;
  /** Orbit amplitude at the BPM (m) and modulation at the BPM for that amplitude (m) the steps were chosen for. */
  readonly amplitude: number;
  readonly modulation: number;
  /** Corrector steps across ±correctorStep per pair. */
  readonly steps: number;
  readonly pairs: readonly BbaPair[];
  readonly unpaired: readonly UnpairedBpm[];
}

/** Per BPM name, what the user fixes instead of the model's choice. */
export interface PairOverride {
  readonly quad?: string;
  readonly corrector?: string;
  readonly correctorStep?: number;
  readonly quadStep?: number;
}

export interface PlanOptions {
  readonly planes?: readonly Plane[];
  /** BPM family per plane (default: the facility's BPM family of that plane). */
  readonly bpmFamilies?: Partial<Record<Plane, string>>;
  /** BPM device names to align (default: all enabled). */
  readonly bpms?: readonly string[];
  /** Corrector family per plane (default: members of HCM / VCM, or the Corrector family of the plane). */
  readonly correctorFamilies?: Partial<Record<Plane, string>>;
  /** Quadrupole families (default: element class Quadrupole or group QUAD). */
  readonly quadFamilies?: readonly string[];
  /** Orbit amplitude at the BPM, m (default 0.5 mm). */
  readonly amplitude?: number;
  /** Orbit change at the BPM when the beam is `amplitude` off the quadrupole centre, m (default 50 µm). */
  readonly modulation?: number;
  /** Corrector steps (default 5). */
  readonly steps?: number;
  /** Largest quadrupole change as a fraction of its gradient (default 0.05): a larger one is capped (the pair says so). */
  readonly maxQuadChange?: number;
  /** Farthest quadrupole centre from a BPM, m (default 3). */
  readonly maxDistance?: number;
  /**
   * Pair every individually powered quadrupole, not only the nearest of each BPM: the others each with their nearest
   * BPM (within maxDistance), as extra pairs (default false). A BPM then has an offset per quadrupole; the orbit is
   * steered through every centre with planCentring.
   */
  readonly everyQuad?: boolean;
  /** By BPM device name. */
  readonly overrides?: Readonly<Record<string, PairOverride>>;
  readonly model?: LatticeModel;
}

const isClass = (f: Family, cls: string, group: string): boolean => f.elementClass.toLowerCase() === cls || f.memberOf.some((g) => g.toLowerCase() === group);

function familyOfPlane(acc: Accelerator, cls: string, plane: Plane, preferGroup?: string): string {
  const found = acc.familyNames().filter((n) => {
    const f = acc.family(n);
    return isClass(f, cls, cls) && acc.facility.config.families[n]?.plane === plane;
  });
  if (found.length === 1) return found[0];
  const pref = preferGroup ? found.filter((n) => acc.family(n).memberOf.some((g) => g.toLowerCase() === preferGroup)) : [];
  if (pref.length === 1) return pref[0];
  throw new BbaError(`${acc.name}: ${found.length === 0 ? 'no' : `several (${found.join(', ')})`} ${cls} families of plane ${plane}; name the one to use`);
}

/** Quadrupole devices with a setpoint channel no other device shares (their own supply or shunt). */
export function individualQuads(acc: Accelerator, families?: readonly string[], model: LatticeModel | undefined = acc.model): { refs: DeviceRef[]; shared: string[] } {
  if (!model) throw new BbaError(`${acc.name}: no lattice model; quadrupoles are paired through their lattice elements`);
  const names = families ?? acc.familyNames().filter((n) => isClass(acc.family(n), 'quadrupole', 'quad') && acc.family(n).fields.includes('setpoint'));
  const count = new Map<string, number>();
  for (const n of names) for (const c of acc.family(n).channels('setpoint')) count.set(c, (count.get(c) ?? 0) + 1);
  const refs: DeviceRef[] = [];
  const shared: string[] = [];
  for (const n of names) {
    const f = acc.family(n);
    if (!f.modelBinding) continue;
    const ch = f.channels('setpoint');
    const el = f.latticeElements(model);
    f.deviceList.forEach((d, i) => {
      if (count.get(ch[i]) === 1) refs.push({ family: n, device: d, name: f.names[i], element: el[i] });
      else shared.push(`${n} ${f.names[i]}`);
    });
  }
  return { refs, shared };
}

function check(name: string, v: number | undefined, def: number, integer = false): number {
  const x = v ?? def;
  if (!(x > 0) || !Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new BbaError(`${name} must be a ${integer ? 'positive integer' : 'finite number > 0'} (got ${v})`);
  return x;
}

/** Pairs BPMs with quadrupoles and correctors and sizes the steps. Nothing is written. */
export function planBba(acc: Accelerator, options: PlanOptions = {}): BbaPlan {
  const model = options.model ?? acc.model;
  if (!model) throw new BbaError(`${acc.name}: no lattice model; BBA pairs BPMs and quadrupoles from the model`);
  const lm: LatticeModel = model;
  const amplitude = check('amplitude', options.amplitude, 0.5e-3);
  const modulation = check('modulation', options.modulation, 50e-6);
  const steps = check('steps', options.steps, 5, true);
  if (steps < 3) throw new BbaError(`steps must be at least 3 for a line fit with an error (got ${steps})`);
  const maxDistance = check('maxDistance', options.maxDistance, 3);
  const maxQuadChange = check('maxQuadChange', options.maxQuadChange, 0.05);
  const planes = options.planes ?? PLANES;
  const quads = individualQuads(acc, options.quadFamilies, model);
  const quadCentre = (q: DeviceRef) => model.element(q.element).s + model.element(q.element).length / 2;
  const tunes = model.tunes();
  const circumference = model.circumference * model.periodicity;
  const pairs: BbaPair[] = [];
  const unpaired: UnpairedBpm[] = [];
  const overrides = options.overrides ?? {};
  for (const plane of planes) {
    const p = plane === 'x' ? 0 : 1;
    const bpmFam = acc.family(options.bpmFamilies?.[plane] ?? familyOfPlane(acc, 'bpm', plane));
    const corFam = acc.family(options.correctorFamilies?.[plane] ?? familyOfPlane(acc, 'corrector', plane, plane === 'x' ? 'hcm' : 'vcm')).enabled();
    let bpms = bpmFam.enabled();
    if (options.bpms) {
      const missing = options.bpms.filter((n) => !bpmFam.names.includes(n));
      if (missing.length > 0) throw new BbaError(`${bpmFam.name}: no BPM named ${missing.join(', ')}`);
      bpms = bpms.byName(...options.bpms.map((n) => new RegExp(`^${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)));
    }
    const bpmEl = bpms.latticeElements(model);
    const corEl = corFam.latticeElements(model);
    const corScale = corFam.modelParameters(model).map((s) => s.scale);
    const orm = model.orbitResponse(bpmEl, corEl);
    const block = plane === 'x' ? orm.Rxx : orm.Ryy;
    const rowOf = new Map(orm.bpms.map((e, i) => [e, i]));
    const colOf = new Map(orm.correctors.map((e, i) => [e, i]));
    const sinQ = Math.abs(Math.sin(Math.PI * (plane === 'x' ? tunes.qx : tunes.qy)));
    bpms.deviceList.forEach((d, i) => {
      const bpm: DeviceRef = { family: bpms.name, device: d, name: bpms.names[i], element: bpmEl[i] };
      const o = overrides[bpm.name] ?? {};
      const sB = model.element(bpm.element).s;
      let quad: DeviceRef | undefined;
      let distance = Infinity;
      if (o.quad) {
        quad = quads.refs.find((q) => q.name === o.quad);
        if (!quad) throw new BbaError(`overrides.${bpm.name}.quad: '${o.quad}' is not an individually powered quadrupole (${quads.shared.includes(o.quad) ? 'it shares its supply' : 'no such device'})`);
        distance = sB - quadCentre(quad);
      } else {
        for (const q of quads.refs) {
          let ds = sB - quadCentre(q);
          ds -= Math.round(ds / circumference) * circumference;
          if (Math.abs(ds) < Math.abs(distance)) {
            distance = ds;
            quad = q;
          }
        }
        if (!quad || Math.abs(distance) > maxDistance) {
          unpaired.push({ plane, bpm, reason: quad ? `the nearest individually powered quadrupole (${quad.name}) is ${Math.abs(distance).toFixed(2)} m away (> ${maxDistance} m)` : 'no individually powered quadrupole' });
          return;
        }
      }
      addPair(bpm, quad, distance, o);
    });
    if (options.everyQuad) {
      // Every other individually powered quadrupole with its nearest BPM of the plane (an extra pair: the BPM's
      // reading when the beam passes through that quadrupole's centre, for steering through every centre).
      const done = new Set(pairs.filter((q) => q.plane === plane).map((q) => q.quad.element));
      const sBpm = bpmEl.map((e) => model.element(e).s);
      for (const quad of quads.refs) {
        if (done.has(quad.element)) continue;
        done.add(quad.element);
        let best = -1;
        let distance = Infinity;
        sBpm.forEach((sB, i) => {
          let ds = sB - quadCentre(quad);
          ds -= Math.round(ds / circumference) * circumference;
          if (Math.abs(ds) < Math.abs(distance)) [best, distance] = [i, ds];
        });
        if (best < 0 || Math.abs(distance) > maxDistance) continue;
        const bpm: DeviceRef = { family: bpms.name, device: bpms.deviceList[best], name: bpms.names[best], element: bpmEl[best] };
        addPair(bpm, quad, distance, overrides[bpm.name] ?? {}, true);
      }
    }
    function addPair(bpm: DeviceRef, quad: DeviceRef, distance: number, o: PairOverride, extra = false): void {
      const row = block[rowOf.get(bpm.element)!];
      let j = -1;
      if (o.corrector) {
        j = corFam.names.indexOf(o.corrector);
        if (j < 0) throw new BbaError(`overrides.${bpm.name}.corrector: no enabled corrector '${o.corrector}' in ${corFam.name}`);
      } else {
        let best = 0;
        corEl.forEach((e, k) => {
          const r = Math.abs(row[colOf.get(e)!] * corScale[k]);
          if (r > best) {
            best = r;
            j = k;
          }
        });
      }
      if (j < 0) {
        unpaired.push({ plane, bpm, reason: `no corrector of ${corFam.name} moves the beam at the BPM` });
        return;
      }
      const response = row[colOf.get(corEl[j])!] * corScale[j];
      const corrector: DeviceRef = { family: corFam.name, device: corFam.deviceList[j], name: corFam.names[j], element: corEl[j] };
      const qf = acc.family(quad.family).devices([quad.device]);
      const [qParam] = qf.modelParameters(lm);
      const qScale = qParam.scale;
      const [ob, oq] = [lm.optics([bpm.element])[0], lm.optics([quad.element])[0]];
      const L = lm.element(quad.element).length || 1;
      const orbitPerKick = Math.sqrt(ob.beta[p] * oq.beta[p]) / (2 * sinQ);
      let dK = modulation / (orbitPerKick * L * amplitude);
      const k1 = Math.abs(lm.getParameter(qParam.ref));
      const capped = o.quadStep === undefined && k1 > 0 && dK > maxQuadChange * k1;
      if (capped) dK = maxQuadChange * k1;
      pairs.push({
        ...(capped ? { capped } : {}),
        plane,
        bpm,
        quad,
        corrector,
        distance,
        correctorStep: o.correctorStep ?? amplitude / Math.abs(response),
        quadStep: o.quadStep ?? dK / Math.abs(qScale),
        response,
        ...(extra ? { extra } : {}),
      });
    }
  }
  return { facility: acc.name, amplitude, modulation, steps, pairs, unpaired };
}
