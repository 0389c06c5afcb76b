/**
 * The `optics` message: what a display needs of the lattice model and the facility, so that
 * the web control room computes nothing itself. The lattice as a synoptic strip (dipoles,
 * quadrupoles, sextupoles, BPMs, correctors, cavities with s and length), the model optics
 * at each element's entrance (beta, dispersion, phase; the design model, and in twin mode
 * the machine's errored one beside it), the families a display shows (BPM and corrector
 * families of the facility's tools, beam current, tunes, RF, tune and chromaticity knobs)
 * with the s of each device and whether it is enabled, and the golden orbit in the BPM
 * readings' hardware units.
 */
import { type Accelerator, type ElementKind, type LatticeModel, MlayerError, elementKind, facilityTools, isDigitalTwin, readBpmReference } from '@mlayer/core';


export interface OpticsCurves {
  readonly s: number[];
  readonly betax: number[];
  readonly betay: number[];
  readonly dispx: number[];
  readonly dispy: number[];
  /** Phase advance from the start / 2π (tune units). */
  readonly mux: number[];
  readonly muy: number[];
  readonly tunes: [number, number];
}

export interface OpticsView {
  readonly circumference: number;
  readonly elements: { s: number[]; length: number[]; kind: ElementKind[]; name: string[] };
  readonly design: OpticsCurves;
  /** The twin's machine model (errors and setpoints); null online, or when it has no stable optics (machineError says why). */
  readonly machine: OpticsCurves | null;
  readonly machineError?: string;
  readonly roles: {
    bpm: string[];
    corrector: string[];
    current: string | null;
    tune: string | null;
    rf: string | null;
    tuneKnobs: string[];
    chromaticityKnobs: string[];
  };
  /** Per family of the roles bound to lattice elements: the s of each device's element centre, and whether it is enabled. */
  readonly devices: Record<string, { s: (number | null)[]; enabled: boolean[] }>;
  /** Golden orbit per BPM family, hardware units of its reading (zeros when the facility names none). */
  readonly golden: Record<string, number[]>;
}


const round = (v: number, digits = 6): number => Number(v.toPrecision(digits));

function curves(model: LatticeModel): OpticsCurves {
  const all = Array.from({ length: model.length }, (_, i) => i);
  const o = model.optics(all);
  const t = model.tunes();
  const twoPi = 2 * Math.PI;
  return {
    s: o.map((p) => round(p.s, 8)),
    betax: o.map((p) => round(p.beta[0])),
    betay: o.map((p) => round(p.beta[1])),
    dispx: o.map((p) => round(p.dispersion[0])),
    dispy: o.map((p) => round(p.dispersion[2])),
    mux: o.map((p) => round(p.mu[0] / twoPi)),
    muy: o.map((p) => round(p.mu[1] / twoPi)),
    tunes: [t.qx, t.qy],
  };
}

function firstOfClass(acc: Accelerator, elementClass: string): string | null {
  return acc.familyNames().find((n) => acc.family(n).elementClass.toLowerCase() === elementClass.toLowerCase()) ?? null;
}

/** What does not change while the server runs: the strip, the design optics, the roles, device positions, the golden orbit. */
const fixedViews = new WeakMap<Accelerator, Omit<OpticsView, 'machine' | 'machineError'>>();

/** The optics view of the served accelerator (an MlayerError when it has no lattice model); only the twin's machine optics are computed again. */
export function opticsView(acc: Accelerator): OpticsView {
  const fixed = fixedViews.get(acc) ?? fixedView(acc);
  fixedViews.set(acc, fixed);
  let machine: OpticsCurves | null = null;
  let machineError: string | undefined;
  const cs = acc.controlSystem;
  if (isDigitalTwin(cs)) {
    try {
      machine = curves(cs.machineModel);
    } catch (e) {
      machineError = (e as Error).message;
    }
  }
  return { ...fixed, machine, ...(machineError ? { machineError } : {}) };
}

function fixedView(acc: Accelerator): Omit<OpticsView, 'machine' | 'machineError'> {
  const facility = acc.facility;
  const model = acc.model;
  if (!model) throw new MlayerError(`optics: facility '${facility.config.name}' in mode '${acc.mode}' has no lattice model (facility.yaml lattice)`);
  const elements: OpticsView['elements'] = { s: [], length: [], kind: [], name: [] };
  for (let i = 0; i < model.length; i++) {
    const e = model.element(i);
    const kind = elementKind(e.className, e.passMethod);
    if (!kind || kind === 'bpm' || kind === 'corrector') continue;
    elements.s.push(round(e.s, 8));
    elements.length.push(round(e.length, 6));
    elements.kind.push(kind);
    elements.name.push(e.famName);
  }
  const tools = facilityTools(facility);
  const names = new Set(acc.familyNames());
  const known = (list: readonly string[] | undefined): string[] => (list ?? []).filter((n) => names.has(n));
  const roles: OpticsView['roles'] = {
    bpm: known(tools.modelBpms).length > 0 ? known(tools.modelBpms) : acc.familyNames().filter((n) => acc.family(n).elementClass === 'BPM'),
    corrector: known(tools.modelCorrectors),
    current: firstOfClass(acc, 'DCCT'),
    tune: firstOfClass(acc, 'Tune'),
    rf: firstOfClass(acc, 'RF'),
    tuneKnobs: known(tools.tuneFamilies),
    chromaticityKnobs: known(tools.chromaticityFamilies),
  };
  const devices: OpticsView['devices'] = {};
  const drawn = new Set<string>();
  for (const name of [...roles.bpm, ...roles.corrector]) {
    const f = acc.family(name);
    const enabled = new Set(f.enabled().names);
    let s: (number | null)[];
    try {
      s = f.latticeElements(model).map((i) => {
        const e = model.element(i);
        return round(e.s + e.length / 2, 8);
      });
    } catch {
      s = f.names.map(() => null);
    }
    devices[name] = { s, enabled: f.names.map((n) => enabled.has(n)) };
    // The strip shows each BPM and corrector of the roles (in this lattice they may be markers or sextupole windings).
    const kind: ElementKind = roles.bpm.includes(name) ? 'bpm' : 'corrector';
    s.forEach((at, i) => {
      if (at === null || drawn.has(`${kind} ${f.names[i]}`)) return;
      drawn.add(`${kind} ${f.names[i]}`);
      elements.s.push(at);
      elements.length.push(0);
      elements.kind.push(kind);
      elements.name.push(f.names[i]);
    });
  }
  const golden: OpticsView['golden'] = {};
  const ref = tools.golden ? readBpmReference(tools.golden, facility.config, 'golden orbit') : undefined;
  for (const name of roles.bpm) {
    const f = acc.family(name);
    const values = ref?.families.get(name);
    const physics = f.names.map((n) => values?.get(n) ?? 0);
    golden[name] = Array.from(f.toHardware(physics, f.readField));
  }
  return { circumference: model.circumference, elements, design: curves(model), roles, devices, golden };
}
