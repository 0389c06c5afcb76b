/**
 * MAD-X element classes to AT elements, as pyAT's `load_madx` builds them
 * (see README.md of this folder for each choice). Attributes a class does not
 * use are reported as losses (unless their value is 0), never dropped silently.
 */
import type { AtElement, FieldValue } from '../../lattice.js';
import { buildElement, type AtClassName } from '../element-classes.js';
import { setTilt } from '../element-tilt.js';

/** The attributes of one element (definition, inheritance and placement overrides merged). */
export interface MadxParams {
  has(name: string): boolean;
  num(name: string, dflt: number): number;
  array(name: string): number[] | undefined;
  /** Every attribute name given. */
  names(): string[];
  /** Whether an attribute is given and not 0 (arrays: some element not 0; words: given). */
  nonZero(name: string): boolean;
}

export interface ConvertContext {
  /** OPTION, RBARC (default true): rbend L is the chord. */
  readonly rbarc: boolean;
  /** Ring energy [eV], for the cavities. */
  readonly energy: number;
}

type Build = (name: string, p: MadxParams, ctx: ConvertContext) => AtElement[];

interface ClassSpec {
  /** Attributes the conversion reads. */
  readonly keys: readonly string[];
  readonly build: Build;
  /** `tilt` becomes R1/R2. */
  readonly tilt?: boolean;
}

/** pyAT's polyn: MAD-X integrated coefficients knl[n] to AT PolynomB[n] = knl[n]/n!. */
function polyn(a: readonly number[]): number[] {
  let f = 1;
  return a.map((t, n) => {
    const v = t / f;
    f *= n + 1;
    return v;
  });
}

const el = (cls: AtClassName, fields: Record<string, FieldValue>): AtElement => buildElement(cls, fields);

/** Arc length of a rectangular bend of chord `l` (pyAT: l * (angle/2) / sin(angle/2)). */
export function rbendArc(l: number, angle: number): number {
  const h = 0.5 * angle;
  return h === 0 ? l : (l * h) / Math.sin(h);
}

function sbendElement(name: string, p: MadxParams, l: number, e1: number, e2: number): AtElement {
  const k1 = p.num('k1', 0);
  const f: Record<string, FieldValue> = { FamName: name, Length: l, BendingAngle: p.num('angle', 0), K: k1, EntranceAngle: e1, ExitAngle: e2 };
  if (p.has('k2')) f.PolynomB = [0, k1, p.num('k2', 0) / 2];
  if (p.has('k1s')) f.PolynomA = [0, p.num('k1s', 0)];
  if (p.has('hgap')) {
    const fint = p.num('fint', 0);
    f.FullGap = 2 * p.num('hgap', 0);
    f.FringeInt1 = fint;
    f.FringeInt2 = p.has('fintx') ? p.num('fintx', 0) : fint;
  }
  return el('Dipole', f);
}

const BEND_KEYS = ['l', 'angle', 'e1', 'e2', 'k1', 'k2', 'k1s', 'hgap', 'fint', 'fintx', 'tilt'];
const ignored = (keys: string[] = ['l']): ClassSpec => ({
  keys,
  build: (name, p) => [p.num('l', 0) === 0 ? el('Marker', { FamName: name }) : el('Drift', { FamName: name, Length: p.num('l', 0) })],
});
const monitor: ClassSpec = {
  keys: ['l'],
  build: (name, p) => {
    const l = p.num('l', 0);
    if (l === 0) return [el('Monitor', { FamName: name })];
    const hl = 0.5 * l;
    return [el('Drift', { FamName: `${name}.1`, Length: hl }), el('Monitor', { FamName: name }), el('Drift', { FamName: `${name}.1`, Length: hl })];
  },
};
const kicker = (h: string | undefined, v: string | undefined): ClassSpec => ({
  keys: ['l', ...(h ? [h] : []), ...(v && v !== h ? [v] : []), 'tilt'],
  tilt: true,
  build: (name, p) => [el('Corrector', { FamName: name, Length: p.num('l', 0), KickAngle: [h ? p.num(h, 0) : 0, v ? p.num(v, 0) : 0] })],
});

const SPECS: Record<string, ClassSpec> = {
  drift: { keys: ['l'], build: (name, p) => [el('Drift', { FamName: name, Length: p.num('l', 0) })] },
  marker: { keys: [], build: (name) => [el('Marker', { FamName: name })] },
  quadrupole: {
    keys: ['l', 'k1', 'k1s', 'tilt'],
    tilt: true,
    build: (name, p) => {
      const f: Record<string, FieldValue> = { FamName: name, Length: p.num('l', 0), K: p.num('k1', 0) };
      if (p.has('k1s')) f.PolynomA = [0, p.num('k1s', 0)];
      return [el('Quadrupole', f)];
    },
  },
  sextupole: {
    keys: ['l', 'k2', 'k2s', 'tilt'],
    tilt: true,
    build: (name, p) => {
      const f: Record<string, FieldValue> = { FamName: name, Length: p.num('l', 0), H: p.num('k2', 0) / 2 };
      if (p.has('k2s')) f.PolynomA = [0, 0, p.num('k2s', 0) / 2];
      return [el('Sextupole', f)];
    },
  },
  octupole: {
    keys: ['l', 'k3', 'k3s', 'tilt'],
    tilt: true,
    build: (name, p) => {
      const f: Record<string, FieldValue> = { FamName: name, Length: p.num('l', 0), O: p.num('k3', 0) / 6 };
      if (p.has('k3s')) f.PolynomA = [0, 0, 0, p.num('k3s', 0) / 6];
      return [el('Octupole', f)];
    },
  },
  multipole: {
    keys: ['knl', 'ksl', 'tilt'],
    tilt: true,
    build: (name, p) => [el('ThinMultipole', { FamName: name, PolynomA: polyn(p.array('ksl') ?? []), PolynomB: polyn(p.array('knl') ?? []) })],
  },
  sbend: { keys: BEND_KEYS, tilt: true, build: (name, p) => [sbendElement(name, p, p.num('l', 0), p.num('e1', 0), p.num('e2', 0))] },
  rbend: {
    keys: BEND_KEYS,
    tilt: true,
    build: (name, p, ctx) => {
      const angle = p.num('angle', 0);
      const h = 0.5 * angle;
      const l = ctx.rbarc ? rbendArc(p.num('l', 0), angle) : p.num('l', 0);
      return [sbendElement(name, p, l, h + p.num('e1', 0), h + p.num('e2', 0))];
    },
  },
  kicker: kicker('hkick', 'vkick'),
  hkicker: kicker('kick', undefined),
  vkicker: kicker(undefined, 'kick'),
  rfcavity: {
    keys: ['l', 'volt', 'freq', 'harmon'],
    build: (name, p, ctx) => {
      const l = p.num('l', 0);
      return [
        el('RFCavity', {
          FamName: name,
          Length: l,
          Voltage: 1e6 * p.num('volt', 0),
          Frequency: 1e6 * p.num('freq', Number.NaN),
          HarmNumber: p.num('harmon', 0),
          Energy: ctx.energy,
          PassMethod: l === 0 ? 'IdentityPass' : 'DriftPass',
        }),
      ];
    },
  },
  // MAD-X KS = Bs/(B rho) is AT's K (SolenoidLinearPass); pyAT reads solenoid as a Drift (README).
  // A thin solenoid (l = 0, ksi) has no AT element: a Marker, ks/ksi reported.
  solenoid: {
    keys: ['l', 'ks'],
    build: (name, p) => {
      const l = p.num('l', 0);
      return [l === 0 ? el('Marker', { FamName: name }) : el('Solenoid', { FamName: name, Length: l, K: p.num('ks', 0) })];
    },
  },
  monitor,
  hmonitor: monitor,
  vmonitor: monitor,
  instrument: monitor,
};

/** Class names read as a Drift (or a Marker when L = 0), as pyAT does; their other attributes are reported. */
const AS_DRIFT = ['tkicker', 'rfmultipole', 'crabcavity', 'elseparator', 'collimator', 'rcollimator', 'ecollimator', 'placeholder', 'twcavity', 'hacdipole', 'vacdipole', 'wire', 'nllens'];
for (const c of AS_DRIFT) SPECS[c] = ignored();
/** Thin transformations AT has no element for: a Marker, all attributes reported. */
for (const c of ['srotation', 'yrotation', 'xrotation', 'translation', 'dipedge', 'beambeam', 'matrix', 'changeref']) SPECS[c] = ignored([]);

/** What replaces a class that AT has no equivalent for (for the loss report), or undefined. */
export function replacedClass(cls: string): string | undefined {
  if (AS_DRIFT.includes(cls)) return 'read as a Drift (Marker if L = 0), as pyAT does';
  if (!(cls in SPECS) || SPECS[cls].keys.length > 0 || cls === 'marker') return undefined;
  return 'no AT element: read as a Marker';
}

/** The length an element occupies in a sequence (rbend: the arc; multipole: 0, it is thin). */
export function madxLength(cls: string, p: MadxParams, rbarc: boolean): number {
  if (cls === 'multipole' || !(cls in SPECS) || (SPECS[cls].keys.length === 0 && cls !== 'drift')) return 0;
  if (cls === 'rbend' && rbarc) return rbendArc(p.num('l', 0), p.num('angle', 0));
  return p.num('l', 0);
}

/** Attributes of MAD-X that carry no physics for AT and are not reported. */
const BOOKKEEPING = new Set(['at', 'from', 'refpos', 'slot_id', 'assembly_id', 'mech_sep', 'v_pos', 'comments', 'kmax', 'kmin', 'calib', 'polarity', 'type']);

/**
 * Converts one MAD-X element to AT elements; `lost(attribute, reason)` receives
 * every given attribute the conversion does not carry.
 */
export function madxToAt(cls: string, name: string, p: MadxParams, ctx: ConvertContext, lost: (attribute: string, reason: string) => void): AtElement[] {
  const spec = SPECS[cls];
  const elems = spec.build(name, p, ctx);
  const used = new Set(spec.keys);
  for (const k of p.names()) {
    if (used.has(k) || BOOKKEEPING.has(k) || !p.nonZero(k)) continue;
    if (cls === 'multipole' && k === 'l') lost(k, 'a MAD-X multipole is thin: its length is ignored (pyAT)');
    else if (cls === 'rfcavity' && k === 'lag') lost(k, 'RF phase not converted (pyAT drops it; AT TimeLag = 0)');
    else lost(k, `not used by the ${cls} conversion: dropped`);
  }
  if (cls === 'solenoid' && p.num('l', 0) === 0 && p.nonZero('ks')) {
    lost('ks', 'a thin solenoid (l = 0) has no AT element: read as a Marker');
  }
  if (cls === 'rfcavity' && !p.has('freq')) {
    lost('freq', 'not given: the frequency is computed from harmon and the revolution frequency');
  }
  if (spec.tilt && p.nonZero('tilt')) setTilt(elems[0], p.num('tilt', 0));
  return elems;
}

/** Whether the reader knows a MAD-X class. */
export function isConvertible(cls: string): boolean {
  return cls in SPECS;
}
