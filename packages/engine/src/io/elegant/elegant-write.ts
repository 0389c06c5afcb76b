/**
 * Writing an AT lattice as an elegant `.lte` file, in pyAT's `save_elegant`
 * layout: element definitions, then one LINE with every element (drifts
 * included, so the element count is kept). Elements with the same FamName and
 * different values get `.1`, `.2` suffixes; names elegant cannot hold bare
 * are quoted. Numbers are written with the shortest text that reads back to
 * the same double. What elegant cannot carry is listed in the loss log (see
 * the README of this folder).
 */
import type { AtElement, Lattice } from '../../lattice.js';
import type { ConversionLossLog } from '../conversion-report.js';
import { flattenNumbers } from '../element-classes.js';
import { tiltRotation } from '../element-tilt.js';
import { writeTextFile } from '../text-file.js';
import { FACTORIAL } from '../factorial.js';

export interface ElegantWriteOptions {
  /** Name of the LINE (default: the lattice name, else RING). */
  readonly use?: string;
  readonly losses?: ConversionLossLog;
}

const BARE = /^[A-Za-z][A-Za-z0-9_.$]*$/;

function num(v: unknown, d = 0): number {
  const f = flattenNumbers(v as never);
  return f && f.length ? f[0] : d;
}

function fmt(x: number): string {
  return String(x);
}

interface Def {
  type: string;
  params: [string, number][];
}

type Loss = (attribute: string, reason: string) => void;

/** Fields written (or knowingly left at their AT default) per class; everything else is a loss. */
const HANDLED = new Set(['FamName', 'PassMethod', 'Length', 'Class', 'Energy', 'NumIntSteps', 'MaxOrder', 'K', 'H', 'O', 'PolynomA', 'PolynomB']);

function poly(e: AtElement, field: 'PolynomA' | 'PolynomB'): number[] {
  return flattenNumbers(e[field] as never) ?? [];
}

function steps(e: AtElement, d: Def): void {
  const n = num(e.NumIntSteps, 10);
  if (n !== 10) d.params.push(['N_SLICES', n]);
}

/** Reports multipole terms other than the ones in `kept` (index list) of PolynomB, and every PolynomA term. */
function extraTerms(e: AtElement, kept: readonly number[], loss: Loss): void {
  poly(e, 'PolynomB').forEach((v, i) => {
    if (v !== 0 && !kept.includes(i)) loss(`PolynomB[${i}]`, `${v}: no such term in the elegant element: dropped`);
  });
  poly(e, 'PolynomA').forEach((v, i) => {
    if (v !== 0) loss(`PolynomA[${i}]`, `${v}: skew terms are not written: dropped`);
  });
}

function definition(e: AtElement, loss: Loss, extra: string[]): Def[] {
  const L = e.Length;
  const b = poly(e, 'PolynomB');
  switch (e.Class) {
    case 'Drift':
      return [{ type: 'DRIF', params: [['L', L]] }];
    case 'Marker':
      return [{ type: 'MARK', params: [] }];
    case 'Monitor':
      if (L !== 0) loss('Length', `${L}: a thick MONI reads back as Drift + Monitor + Drift`);
      return [{ type: 'MONI', params: [['L', L]] }];
    case 'Quadrupole': {
      const d: Def = { type: 'KQUAD', params: [['L', L], ['K1', b[1] ?? 0]] };
      steps(e, d);
      extraTerms(e, [1], loss);
      return [d];
    }
    case 'Sextupole': {
      const d: Def = { type: 'KSEXT', params: [['L', L]] };
      if ((b[1] ?? 0) !== 0) d.params.push(['K1', b[1]]);
      d.params.push(['K2', 2 * (b[2] ?? 0)]);
      steps(e, d);
      extraTerms(e, [1, 2], loss);
      return [d];
    }
    case 'Octupole': {
      const d: Def = { type: 'KOCT', params: [['L', L], ['K3', 6 * (b[3] ?? 0)]] };
      steps(e, d);
      extraTerms(e, [3], loss);
      return [d];
    }
    case 'Dipole': {
      const d: Def = {
        type: 'CSBEND',
        params: [['L', L], ['ANGLE', num(e.BendingAngle)], ['E1', num(e.EntranceAngle)], ['E2', num(e.ExitAngle)]],
      };
      if ((b[1] ?? 0) !== 0) d.params.push(['K1', b[1]]);
      [2, 3, 4].forEach((n) => {
        if ((b[n] ?? 0) !== 0) d.params.push([`K${n}`, b[n] * FACTORIAL[n]]);
      });
      const gap = num(e.FullGap);
      const f1 = num(e.FringeInt1);
      const f2 = num(e.FringeInt2, f1);
      if (gap !== 0) {
        d.params.push(['HGAP', gap / 2], ['FINT', f1]);
        if (f2 !== f1) loss('FringeInt2', `${f2} differs from FringeInt1 = ${f1}: elegant's FINT is written from FringeInt1`);
      } else if (f1 !== 0 || f2 !== 0) loss('FringeInt1', 'FullGap is 0: the fringe integral has no effect and is not written');
      extra.push('FullGap', 'FringeInt1', 'FringeInt2', 'BendingAngle', 'EntranceAngle', 'ExitAngle');
      steps(e, d);
      extraTerms(e, [1, 2, 3, 4], loss);
      if ((b[0] ?? 0) !== 0) loss('PolynomB[0]', `${b[0]}: a field error on top of the bending angle: dropped`);
      return [d];
    }
    case 'Corrector': {
      const k = flattenNumbers(e.KickAngle as never) ?? [0, 0];
      extra.push('KickAngle');
      return [{ type: 'KICKER', params: [['L', L], ['HKICK', k[0] ?? 0], ['VKICK', k[1] ?? 0]] }];
    }
    case 'Solenoid':
      return [{ type: 'SOLE', params: [['L', L], ['KS', num(e.K)]] }];
    case 'RFCavity': {
      extra.push('Voltage', 'Frequency', 'HarmNumber', 'TimeLag');
      if (num(e.TimeLag) !== 0) loss('TimeLag', `${num(e.TimeLag)}: not written (PHASE is not read back by pyAT)`);
      return [{ type: 'RFCA', params: [['L', L], ['VOLT', num(e.Voltage)], ['FREQ', num(e.Frequency)]] }];
    }
    case 'ThinMultipole':
    case 'Multipole': {
      const nz = b.map((v, i) => [i, v] as const).filter(([, v]) => v !== 0);
      poly(e, 'PolynomA').forEach((v, i) => {
        if (v !== 0) loss(`PolynomA[${i}]`, `${v}: MULT is written for normal terms only: dropped`);
      });
      const defs = (nz.length ? nz : [[Math.max(0, b.length - 1), 0] as const]).map(([o, v]): Def => {
        const knl = L === 0 ? v * FACTORIAL[o] : v * FACTORIAL[o] * L;
        return { type: 'MULT', params: [['L', L], ['ORDER', o], ['KNL', knl]] };
      });
      if (L !== 0 && defs.length > 1) {
        nz.slice(1).forEach(([o, v]) => loss(`PolynomB[${o}]`, `${v}: a thick elegant MULT holds one order: dropped`));
        defs.length = 1;
      }
      if (defs.length === 1) steps(e, defs[0]);
      else loss('', `thin multipole of ${defs.length} orders written as ${defs.length} MULT elements (the element count grows)`);
      return defs;
    }
    default: {
      loss('', `AT class ${e.Class ?? '(none)'} has no elegant element: written as a ${L > 0 ? 'DRIF' : 'MARK'}`);
      return [L > 0 ? { type: 'DRIF', params: [['L', L]] } : { type: 'MARK', params: [] }];
    }
  }
}

/** TILT of an element whose R1/R2 are AT's rotation about s (pyAT tilt_elem), else undefined. */
function tiltOf(e: AtElement): number | undefined {
  const r1 = e.R1 as number[][] | undefined;
  const r2 = e.R2 as number[][] | undefined;
  if (!Array.isArray(r1) || !Array.isArray(r2) || r1.length !== 6 || r2.length !== 6) return undefined;
  const c = r1[0][0];
  const sn = r1[0][2];
  const expect = tiltRotation(c, sn);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (r1[i]?.[j] !== expect[i][j] || r2[i]?.[j] !== expect[j][i]) return undefined;
  return Math.abs(c * c + sn * sn - 1) < 1e-14 ? Math.atan2(sn, c) : undefined;
}

/** [DX, DY] of an element whose T1/T2 are a transverse shift (pyAT shift_elem), else undefined. */
function shiftOf(e: AtElement): [number, number] | undefined {
  const t1 = flattenNumbers(e.T1 as never);
  const t2 = flattenNumbers(e.T2 as never);
  if (!t1 || !t2 || t1.length !== 6 || t2.length !== 6) return undefined;
  if ([1, 3, 4, 5].some((i) => t1[i] !== 0 || t2[i] !== 0) || t2[0] !== -t1[0] || t2[2] !== -t1[2]) return undefined;
  return [-t1[0], -t1[2]];
}

const IGNORED_DEFAULTS: Readonly<Record<string, (v: unknown) => boolean>> = {
  T1: (v) => (flattenNumbers(v as never) ?? []).every((x) => x === 0),
  T2: (v) => (flattenNumbers(v as never) ?? []).every((x) => x === 0),
};

function quoteName(n: string): string {
  return BARE.test(n) ? n : `"${n}"`;
}

/** The text of an elegant file for a lattice. */
export function formatElegant(lattice: Lattice, opts: ElegantWriteOptions = {}): string {
  let lineName = opts.use ?? (lattice.properties.name && BARE.test(lattice.properties.name) ? lattice.properties.name : 'RING');
  const famNames = new Set(lattice.elements.map((e) => e.FamName.toUpperCase()));
  while (famNames.has(lineName.toUpperCase())) lineName += '_LINE';
  const byKey = new Map<string, string>();
  const counts = new Map<string, number>();
  const defs: string[] = [];
  const items: string[] = [];
  lattice.elements.forEach((e, index) => {
    const loss: Loss = (attribute, reason) => opts.losses?.add({ element: e.FamName, index, attribute, reason });
    if (e.FamName.includes('"')) loss('FamName', 'contains a double quote, which elegant names cannot hold: replaced by \'');
    const fam = e.FamName.replace(/"/g, "'") || 'E';
    const extra: string[] = [];
    const ds = definition(e, loss, extra);
    // Tilt and transverse shift, on the elements elegant gives TILT, DX, DY (as pyAT reads them back).
    if (ds.length === 1 && ds[0].type !== 'MARK' && ds[0].type !== 'DRIF' && ds[0].type !== 'MONI') {
      const tilt = tiltOf(e);
      if (tilt !== undefined) {
        if (tilt !== 0) ds[0].params.push(['TILT', tilt]);
        extra.push('R1', 'R2');
      }
      const shift = shiftOf(e);
      if (shift !== undefined) {
        if (shift[0] !== 0) ds[0].params.push(['DX', shift[0]]);
        if (shift[1] !== 0) ds[0].params.push(['DY', shift[1]]);
        extra.push('T1', 'T2');
      }
    }
    for (const [k, v] of Object.entries(e)) {
      if (v === undefined || HANDLED.has(k) || extra.includes(k)) continue;
      if (IGNORED_DEFAULTS[k]?.(v)) continue;
      loss(k, 'no elegant parameter for this field: dropped');
    }
    if (e.Class !== 'RFCavity' && e.Energy !== undefined) loss('Energy', 'elegant files carry no energy');
    ds.forEach((d, k) => {
      const base = ds.length > 1 ? `${fam}.${k}` : fam;
      const key = `${base}\u0000${d.type}\u0000${d.params.map(([p, v]) => `${p}=${fmt(v)}`).join(',')}`;
      let name = byKey.get(key);
      if (name === undefined) {
        const n = counts.get(base.toUpperCase()) ?? 0;
        counts.set(base.toUpperCase(), n + 1);
        name = n === 0 ? base : `${base}.${n}`;
        byKey.set(key, name);
        if (n > 0) loss('FamName', `written as ${name}: an element named ${base} with other values was written before`);
        const q = quoteName(name);
        defs.push(`${q.padEnd(10)}: ${d.type.padEnd(10)}${d.params.map(([p, v]) => `, ${p}=${fmt(v)}`).join('')}`);
      }
      items.push(quoteName(name));
    });
  });
  const props = lattice.properties;
  const latticeLoss = (attribute: string, reason: string) => opts.losses?.add({ element: props.name || '(lattice)', attribute, reason });
  latticeLoss('energy', `${props.energy} eV: elegant files carry no energy (read back as 1 GeV unless given)`);
  latticeLoss('particle', `${props.particle.name}: elegant files carry no particle`);
  if (props.periodicity !== 1) latticeLoss('periodicity', `${props.periodicity}: elegant files carry no periodicity; the LINE is one cell`);
  const rows: string[] = [];
  for (let i = 0; i < items.length; i += 8) rows.push(`  ${items.slice(i, i + 8).join(', ')}`);
  const header = `! elegant lattice written by mlayer from '${lattice.properties.name}' (energy ${lattice.properties.energy} eV, periodicity ${lattice.properties.periodicity}: not carried by elegant)`;
  return `${header}\n\n${defs.join('\n')}\n\n${quoteName(lineName)}: LINE=( &\n${rows.join(', &\n')} )\n\nUSE, ${quoteName(lineName)}\nRETURN\n`;
}

export function saveElegant(path: string, lattice: Lattice, opts: ElegantWriteOptions = {}): void {
  writeTextFile(path, formatElegant(lattice, opts));
}
