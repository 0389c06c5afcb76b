/**
 * Writing an AT lattice as PALS YAML, with the mapping of the shared
 * reference writer (../shared/lattices/formats/tools/pals_at.py, listed in
 * this folder's README): element definitions (one per distinct FamName and
 * values; names that are not PALS names or that collide get a new name and
 * keep the FamName in MetaP.alias), a BeginningEle with the reference energy
 * and species, the cell BeamLine (ending with a Marker, as a PALS branch
 * must), the root BeamLine (`periodic: true`, the cell repeated
 * `periodicity` times) and the Lattice. What PALS (or this subset) cannot
 * carry is listed in the loss log, never dropped silently.
 */
import { BRANCH_END } from './pals-branch-end.js';
import type { AtElement, Lattice } from '../../lattice.js';
import type { ConversionLossLog } from '../conversion-report.js';
import { flattenNumbers } from '../element-classes.js';
import { writeTextFile } from '../text-file.js';
import { PALS_NAME } from './pals-schema.js';
import { Int, toYaml, type YamlValue } from './pals-yaml.js';
import { FACTORIAL } from '../factorial.js';

export interface PalsWriteOptions {
  /** Name of the root BeamLine (default: the lattice name, else 'ring'). */
  readonly use?: string;
  readonly losses?: ConversionLossLog;
}

type Loss = (attribute: string, reason: string) => void;
type Params = Record<string, YamlValue>;

function nums(v: unknown): number[] {
  return flattenNumbers(v as never) ?? [];
}
function num(v: unknown, d = 0): number {
  const f = nums(v);
  return f.length ? f[0] : d;
}

function multipoles(e: AtElement, thin: boolean, loss: Loss): Params | undefined {
  const out: Params = {};
  const suffix = thin ? 'L' : '';
  for (const [field, p] of [['PolynomB', 'Kn'], ['PolynomA', 'Ks']] as const) {
    nums(e[field]).forEach((v, n) => {
      if (v === 0) return;
      if (n >= FACTORIAL.length) loss(`${field}[${n}]`, `order ${n} is beyond what this writer handles: dropped`);
      else out[`${p}${n}${suffix}`] = v * FACTORIAL[n];
    });
  }
  return Object.keys(out).length ? out : undefined;
}

/** Fields each class writes (beside FamName, Class, PassMethod, Length, Energy). */
const WRITTEN: Readonly<Record<string, readonly string[]>> = {
  Dipole: ['BendingAngle', 'EntranceAngle', 'ExitAngle', 'FullGap', 'FringeInt1', 'FringeInt2', 'PolynomA', 'PolynomB', 'K', 'MaxOrder', 'NumIntSteps'],
  Quadrupole: ['PolynomA', 'PolynomB', 'K', 'MaxOrder', 'NumIntSteps'],
  Sextupole: ['PolynomA', 'PolynomB', 'H', 'MaxOrder', 'NumIntSteps'],
  Octupole: ['PolynomA', 'PolynomB', 'O', 'MaxOrder', 'NumIntSteps'],
  Multipole: ['PolynomA', 'PolynomB', 'MaxOrder', 'NumIntSteps'],
  ThinMultipole: ['PolynomA', 'PolynomB', 'MaxOrder'],
  Corrector: ['KickAngle'],
  RFCavity: ['Voltage', 'Frequency', 'HarmNumber', 'TimeLag'],
};

const UNUSED_BY_IDENTITY = ['PolynomA', 'PolynomB', 'MaxOrder', 'NumIntSteps', 'K', 'H', 'O'];

function definition(e: AtElement, periodicity: number, loss: Loss): Params {
  const L = e.Length;
  const mm = (thin: boolean) => multipoles(e, thin, loss);
  const withMM = (d: Params, thin: boolean): Params => {
    const m = mm(thin);
    if (m) d.MagneticMultipoleP = m;
    return d;
  };
  if (['Dipole', 'Quadrupole', 'Sextupole', 'Octupole', 'Multipole'].includes(e.Class ?? '') && num(e.NumIntSteps, 10) !== 10) {
    loss('NumIntSteps', `${num(e.NumIntSteps)}: PALS has no integration steps; read back as 10`);
  }
  switch (e.Class) {
    case 'Drift':
      return { kind: 'Drift', length: L };
    case 'Marker':
      return { kind: 'Marker' };
    case 'Monitor':
      if (L !== 0) {
        loss('Length', `${L}: a thick Instrument reads back as Drift(L/2), Monitor, Drift(L/2)`);
        return { kind: 'Instrument', length: L };
      }
      return { kind: 'Instrument' };
    case 'Quadrupole':
    case 'Sextupole':
    case 'Octupole':
      return withMM({ kind: e.Class, length: L }, false);
    case 'Multipole':
      return withMM({ kind: 'Multipole', length: L }, false);
    case 'ThinMultipole':
      return withMM({ kind: 'Multipole' }, true);
    case 'Dipole': {
      const angle = num(e.BendingAngle);
      const bp: Params = { angle_ref: angle, g_ref: L === 0 ? 0 : angle / L, e1: num(e.EntranceAngle), e2: num(e.ExitAngle) };
      const gap = num(e.FullGap);
      if (gap !== 0) {
        bp.edge_int1 = (num(e.FringeInt1) * gap) / 2;
        bp.edge_int2 = (num(e.FringeInt2) * gap) / 2;
      } else if (num(e.FringeInt1) !== 0 || num(e.FringeInt2) !== 0) loss('FringeInt1', 'FullGap is 0: the fringe integrals have no effect and are not written');
      return withMM({ kind: 'SBend', length: L, BendP: bp }, false);
    }
    case 'Corrector': {
      const [kx = 0, ky = 0] = nums(e.KickAngle);
      const d: Params = { kind: 'Kicker' };
      if (L !== 0) d.length = L;
      const m: Params = {};
      if (kx !== 0) m.Kn0L = -kx;
      if (ky !== 0) m.Ks0L = ky;
      if (Object.keys(m).length) d.MagneticMultipoleP = m;
      return d;
    }
    case 'RFCavity': {
      const d: Params = { kind: 'RFCavity' };
      if (L !== 0) d.length = L;
      if (num(e.TimeLag) !== 0) loss('TimeLag', `${num(e.TimeLag)}: not written`);
      d.RFP = { frequency: num(e.Frequency), voltage: num(e.Voltage), harmon: new Int(Math.round(num(e.HarmNumber) * periodicity)) };
      return d;
    }
    default:
      loss('', `AT class ${e.Class ?? '(none)'} has no PALS kind in this subset: written as a ${L > 0 ? 'Drift' : 'Marker'}`);
      return L > 0 ? { kind: 'Drift', length: L } : { kind: 'Marker' };
  }
}

function palsName(fam: string, used: Set<string>): string {
  let base = PALS_NAME.test(fam) ? fam : fam.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `E_${base}`;
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  return name;
}

/** The PALS list of one-key maps of a lattice. */
function palsItems(lattice: Lattice, opts: PalsWriteOptions): YamlValue[] {
  const p = lattice.properties;
  const used = new Set<string>(['Lattice']);
  const rootName = palsName(opts.use ?? (p.name || 'ring'), used);
  used.add(rootName);
  const cell = palsName(`${rootName}_cell`, used);
  used.add(cell);
  const begin = palsName(`${rootName}_beginning`, used);
  used.add(begin);
  const defs: Record<string, YamlValue>[] = [];
  const byKey = new Map<string, string>();
  const line: string[] = [];
  lattice.elements.forEach((e, index) => {
    const loss: Loss = (attribute, reason) => opts.losses?.add({ element: e.FamName, index, attribute, reason });
    const d = definition(e, p.periodicity, loss);
    const written = new Set(['FamName', 'Class', 'PassMethod', 'Length', 'Energy', ...(WRITTEN[e.Class ?? ''] ?? [])]);
    // Multipole fields on an element whose pass method does not use them (a Marker carrying PolynomB) are not lost.
    if (e.PassMethod === 'IdentityPass' || e.PassMethod === 'DriftPass') for (const k of UNUSED_BY_IDENTITY) written.add(k);
    for (const [k, v] of Object.entries(e)) {
      if (v === undefined || written.has(k)) continue;
      if ((k === 'T1' || k === 'T2') && nums(v).every((x) => x === 0)) continue;
      loss(k, 'not in the PALS subset written by mlayer: dropped');
    }
    const key = `${e.FamName}\u0000${JSON.stringify(d, (_k, v: unknown) => (v instanceof Int ? v.value : v))}`;
    let name = byKey.get(key);
    if (name === undefined) {
      name = palsName(e.FamName, used);
      used.add(name);
      byKey.set(key, name);
      if (name !== e.FamName) d.MetaP = { alias: e.FamName };
      defs.push({ [name]: d });
    }
    line.push(name);
  });
  const last = lattice.elements[lattice.elements.length - 1];
  if (!last || last.Class !== 'Marker') {
    const end = palsName(`${cell}_end`, used);
    used.add(end);
    defs.push({ [end]: { kind: 'Marker', MetaP: { description: BRANCH_END } } });
    line.push(end);
  }
  let species = p.particle.name;
  if (species === 'relativistic') species = 'electron';
  if (!['electron', 'positron', 'proton'].includes(species)) {
    opts.losses?.add({ element: p.name || '(lattice)', attribute: 'particle', reason: `${species} is not a species of this subset: written as electron` });
    species = 'electron';
  }
  const items: YamlValue[] = [
    ...defs,
    { [begin]: { kind: 'BeginningEle', ReferenceP: { species_ref: species, E_tot_ref: p.energy } } },
    { [cell]: { kind: 'BeamLine', line } },
    { [rootName]: { kind: 'BeamLine', periodic: true, line: [begin, p.periodicity === 1 ? cell : { [cell]: { repeat: new Int(p.periodicity) } }] } },
    { Lattice: [{ branches: [rootName] }] },
  ];
  const lastEl = lattice.elements[lattice.elements.length - 1];
  if (!lastEl || lastEl.Class !== 'Marker') {
    opts.losses?.add({ element: p.name || '(lattice)', attribute: '', reason: `a Marker ${line[line.length - 1]} is appended: a PALS branch ends with a Marker (its description marks it as mlayer's: mlayer reads it back as no element, other readers as a Marker)` });
  }
  return items;
}

/** The PALS YAML text of a lattice. */
export function formatPals(lattice: Lattice, opts: PalsWriteOptions = {}): string {
  const header = [
    '# PALS (Particle Accelerator Lattice Standard) lattice, YAML form, written by mlayer.',
    '# Spec followed: github.com/campa-consortium/pals @ 63cd39cc; schema of the subset: docs/pals-subset.schema.json.',
    '# Units: SI, energies in eV, angles in radians.',
  ];
  return `${header.join('\n')}\n${toYaml(palsItems(lattice, opts))}`;
}

/** The PALS JSON text of a lattice (the same list). */
export function formatPalsJson(lattice: Lattice, opts: PalsWriteOptions = {}): string {
  return `${JSON.stringify(palsItems(lattice, opts), (_k, v: unknown) => (v instanceof Int ? v.value : v), 2)}\n`;
}

/** Writes YAML, or JSON when the file name ends in .json. */
export function savePals(path: string, lattice: Lattice, opts: PalsWriteOptions = {}): void {
  writeTextFile(path, path.toLowerCase().endsWith('.json') ? formatPalsJson(lattice, opts) : formatPals(lattice, opts));
}
