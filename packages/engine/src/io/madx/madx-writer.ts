/**
 * AT lattice to MAD-X, as pyAT's `save_madx` writes it: a BEAM statement, one
 * definition per distinct element (a family whose members differ gets labels
 * NAME, NAME.1, NAME.2, ...; '/' becomes '.'), then a SEQUENCE (`.seq`, AT=
 * centre positions) or a LINE (`.madx`, pyAT's use_line). Unlike pyAT, the
 * SEQUENCE also places the drifts, so that reading it back gives the same
 * elements with the same lengths (pyAT merges adjacent drifts and rebuilds
 * their lengths from rounded positions). Whatever MAD-X cannot hold is
 * returned as losses, per element.
 */
import type { AtElement, FieldValue, Lattice } from '../../lattice.js';
import { ConversionLossLog, type ConversionLoss } from '../conversion-report.js';
import type { LatticeWriteOptions, LatticeWriteResult } from '../registry.js';
import { tiltRotation } from '../element-tilt.js';
import { writeTextFile } from '../text-file.js';
import { MADX_CLASSES } from './madx-deck.js';
import { FACTORIAL } from '../factorial.js';

export interface MadxWriteOptions extends LatticeWriteOptions {
  /** 'sequence' (default) or 'line' (explicit drifts, pyAT use_line=True). */
  readonly form?: 'sequence' | 'line';
  /** Header comment (the source file). */
  readonly source?: string;
}

/** A number as MAD-X reads it back exactly (shortest round-trip form; integers with '.0' as Python writes them). */
export function madxNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  return String(x);
}

const RESERVED = new Set([...MADX_CLASSES, 'sequence', 'endsequence', 'line', 'beam', 'use', 'call', 'option', 'return', 'stop', 'value', 'twiss', 'const', 'real', 'int']);

/** Fields every class may carry without a loss (bookkeeping, defaults checked separately). */
const NEUTRAL = new Set(['FamName', 'Class', 'Length', 'PassMethod', 'MaxOrder', 'NumIntSteps', 'K', 'H', 'O', 'Energy', 'R1', 'R2', 'Index']);

const DEFAULT_PASS: Record<string, string> = {
  Drift: 'DriftPass',
  Marker: 'IdentityPass',
  Monitor: 'IdentityPass',
  Quadrupole: 'StrMPoleSymplectic4Pass',
  Sextupole: 'StrMPoleSymplectic4Pass',
  Octupole: 'StrMPoleSymplectic4Pass',
  Multipole: 'StrMPoleSymplectic4Pass',
  ThinMultipole: 'ThinMPolePass',
  Dipole: 'BndMPoleSymplectic4Pass',
  Corrector: 'CorrectorPass',
  Solenoid: 'SolenoidLinearPass',
};

function arr(v: FieldValue | undefined): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return (v as unknown[]).flat(2).filter((x): x is number => typeof x === 'number');
  return [];
}

interface MadxDef {
  readonly cls: string;
  /** `KEY=value` pairs, in order. */
  readonly attrs: [string, string][];
}

/** The tilt of an R1 that is a pure rotation about s (undefined when R1 is something else). */
function tiltOf(e: AtElement): number | undefined {
  const r = e.R1 as number[][] | undefined;
  if (!r) return 0;
  const c = r[0][0];
  const s = r[0][2];
  const expect = tiltRotation(c, s);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (Math.abs(r[i][j] - expect[i][j]) > 1e-15) return undefined;
  return Math.atan2(s, c);
}

/** Converts one AT element; `lost(field, reason)` receives what is not written. */
function toMadx(e: AtElement, lost: (field: string, reason: string) => void): MadxDef[] {
  const used = new Set<string>(NEUTRAL);
  const A = arr(e.PolynomA);
  const B = arr(e.PolynomB);
  const L = e.Length ?? 0;
  const cls = e.Class ?? 'Element';
  const out: [string, string][] = [];
  const put = (k: string, v: number) => out.push([k, madxNumber(v)]);
  /** PolynomA/B terms other than `keep` that are not 0 are lost. */
  const extraPoly = (keepB: number[], keepA: number[]) => {
    used.add('PolynomA').add('PolynomB');
    B.forEach((v, i) => v !== 0 && !keepB.includes(i) && lost(`PolynomB[${i}]`, `no ${cls} attribute in MAD-X for this order: dropped`));
    A.forEach((v, i) => v !== 0 && !keepA.includes(i) && lost(`PolynomA[${i}]`, `no ${cls} attribute in MAD-X for this order: dropped`));
  };
  let madCls: string;
  let tiltable = false;
  const extra: MadxDef[] = [];
  switch (cls) {
    case 'Drift':
      madCls = 'DRIFT';
      put('L', L);
      break;
    case 'Marker':
      madCls = 'MARKER';
      break;
    case 'Monitor':
      madCls = 'MONITOR';
      put('L', L);
      break;
    case 'Quadrupole':
      madCls = 'QUADRUPOLE';
      tiltable = true;
      put('L', L);
      put('K1', B[1] ?? 0);
      if (A[1]) put('K1S', A[1]);
      extraPoly([1], [1]);
      break;
    case 'Sextupole':
      madCls = 'SEXTUPOLE';
      tiltable = true;
      put('L', L);
      put('K2', 2 * (B[2] ?? 0));
      if (A[2]) put('K2S', 2 * A[2]);
      extraPoly([2], [2]);
      break;
    case 'Octupole':
      madCls = 'OCTUPOLE';
      tiltable = true;
      put('L', L);
      put('K3', 6 * (B[3] ?? 0));
      if (A[3]) put('K3S', 6 * A[3]);
      extraPoly([3], [3]);
      break;
    case 'ThinMultipole':
    case 'Multipole': {
      madCls = 'MULTIPOLE';
      tiltable = true;
      const n = Math.max(A.length, B.length);
      const scale = cls === 'Multipole' ? L : 1;
      const knl = Array.from({ length: n }, (_, i) => madxNumber((B[i] ?? 0) * FACTORIAL[i] * scale));
      const ksl = Array.from({ length: n }, (_, i) => madxNumber((A[i] ?? 0) * FACTORIAL[i] * scale));
      out.push(['KNL', `{${knl.join(', ')}}`]);
      if (A.some((v) => v !== 0)) out.push(['KSL', `{${ksl.join(', ')}}`]);
      used.add('PolynomA').add('PolynomB');
      if (cls === 'Multipole' && L !== 0) {
        lost('Length', 'a thick AT Multipole is written as drift + thin MULTIPOLE (integrated strengths) + drift, as pyAT does');
        const half: MadxDef = { cls: 'DRIFT', attrs: [['L', madxNumber(L / 2)]] };
        extra.push(half);
      }
      break;
    }
    case 'Dipole':
      madCls = 'SBEND';
      tiltable = true;
      put('L', L);
      put('ANGLE', (e.BendingAngle as number) ?? 0);
      put('E1', (e.EntranceAngle as number) ?? 0);
      put('E2', (e.ExitAngle as number) ?? 0);
      if (B[1]) put('K1', B[1]);
      if (B[2]) put('K2', 2 * B[2]);
      if (A[1]) put('K1S', A[1]);
      extraPoly([0, 1, 2], [1]);
      used.add('BendingAngle').add('EntranceAngle').add('ExitAngle');
      if (B[0]) lost('PolynomB[0]', 'a field error on the bend (MAD-X K0 is not read by pyAT): dropped');
      if (typeof e.FullGap === 'number' && e.FullGap !== 0) {
        put('HGAP', e.FullGap / 2);
        put('FINT', (e.FringeInt1 as number) ?? 0);
        put('FINTX', (e.FringeInt2 as number) ?? (e.FringeInt1 as number) ?? 0);
      }
      used.add('FullGap').add('FringeInt1').add('FringeInt2');
      break;
    case 'Corrector': {
      madCls = 'KICKER';
      tiltable = true;
      const k = arr(e.KickAngle);
      put('L', L);
      put('HKICK', k[0] ?? 0);
      put('VKICK', k[1] ?? 0);
      used.add('KickAngle');
      break;
    }
    case 'Solenoid':
      madCls = 'SOLENOID';
      put('L', L);
      put('KS', (e.K as number) ?? 0);
      break;
    case 'RFCavity':
      madCls = 'RFCAVITY';
      put('L', L);
      put('VOLT', ((e.Voltage as number) ?? 0) / 1e6);
      put('FREQ', ((e.Frequency as number) ?? 0) / 1e6);
      used.add('Voltage').add('Frequency').add('HarmNumber').add('TimeLag');
      if (e.TimeLag) lost('TimeLag', 'not written (pyAT writes no LAG)');
      break;
    default:
      madCls = L !== 0 ? 'DRIFT' : 'MARKER';
      if (L !== 0) put('L', L);
      lost('', `AT class ${cls} has no MAD-X equivalent: written as a ${madCls}`);
      for (const k of Object.keys(e)) used.add(k);
  }
  const tilt = tiltOf(e);
  if (tiltable && tilt !== undefined && tilt !== 0) put('TILT', tilt);
  // tilt is 0 without R1; otherwise an R1 that is no tilt, or a tilt of an element that takes none.
  else if (tilt !== 0) lost('R1', 'a rotation other than a tilt of a magnet: dropped');
  // A cavity is read back off (pyAT, RADIATE=FALSE): IdentityPass, DriftPass when it has a length.
  const expected = cls === 'RFCavity' ? (L === 0 ? 'IdentityPass' : 'DriftPass') : DEFAULT_PASS[cls];
  if (expected !== undefined && e.PassMethod !== expected) lost('PassMethod', `${e.PassMethod} is not carried: read back as ${expected}`);
  if (typeof e.NumIntSteps === 'number' && e.NumIntSteps !== 10) lost('NumIntSteps', `${e.NumIntSteps} is not carried: read back as 10`);
  for (const [k, v] of Object.entries(e)) {
    if (used.has(k) || v === undefined) continue;
    const nums = arr(v);
    if (typeof v === 'string' ? v !== '' : nums.some((x) => x !== 0)) lost(k, 'no MAD-X attribute: dropped');
  }
  const main: MadxDef = { cls: madCls, attrs: out };
  return extra.length ? [extra[0], main, extra[0]] : [main];
}

function sanitise(name: string): string {
  let n = name.replace(/\//g, '.').replace(/[^A-Za-z0-9_.]/g, '_');
  if (!/^[A-Za-z]/.test(n)) n = `E${n}`;
  if (RESERVED.has(n.toLowerCase())) n = `${n}_`;
  return n;
}

/** MAD-X text of a lattice, and what it could not carry. */
export function formatMadx(lattice: Lattice, options: MadxWriteOptions = {}): { text: string; losses: ConversionLoss[] } {
  const log = new ConversionLossLog();
  const form = options.form ?? 'sequence';
  const seqName = sanitise(options.use ?? 'RING');
  const labels = new Map<string, string>(); // definition key -> label
  const byBase = new Map<string, number>(); // base name -> count of distinct definitions
  const taken = new Set<string>([seqName.toLowerCase()]);
  const defs: { label: string; def: MadxDef }[] = [];
  const items: { label: string; length: number }[] = [];
  lattice.elements.forEach((e, index) => {
    const lost = (attribute: string, reason: string) => log.add({ element: e.FamName, index, attribute, reason });
    const parts = toMadx(e, lost);
    const base = sanitise(e.FamName);
    parts.forEach((def, k) => {
      const isMain = parts.length === 1 || k === 1;
      const b = isMain ? base : `${base}.d`;
      const key = `${b}\u0000${def.cls}\u0000${def.attrs.map(([a, v]) => `${a}=${v}`).join(',')}`;
      let label = labels.get(key);
      if (label === undefined) {
        const n = byBase.get(b) ?? 0;
        label = n === 0 ? b : `${b}.${n}`;
        while (taken.has(label.toLowerCase()) && n >= 0) label = `${label}_`;
        byBase.set(b, n + 1);
        labels.set(key, label);
        taken.add(label.toLowerCase());
        defs.push({ label, def });
      }
      const length = def.cls === 'MULTIPOLE' || def.cls === 'MARKER' ? 0 : Number(def.attrs.find(([a]) => a === 'L')?.[1] ?? 0);
      items.push({ label, length });
      if (isMain && label !== e.FamName) lost('FamName', `written as ${label}${label.startsWith(base) && label !== base ? ' (members of the family differ)' : ''}`);
    });
  });
  if (lattice.properties.periodicity !== 1) {
    log.add({ element: lattice.properties.name || seqName, attribute: 'periodicity', reason: `MAD-X carries no periodicity: one cell of ${lattice.properties.periodicity} written` });
  }
  const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
  const lines: string[] = [`! Written by mlayer${options.source ? ` from ${options.source}` : ''}, use='${seqName}'`, ''];
  const p = lattice.properties.particle;
  const pname = p.name === 'relativistic' ? 'ELECTRON' : p.name.toUpperCase();
  const known = ['ELECTRON', 'POSITRON', 'PROTON'].includes(pname);
  lines.push(
    `BEAM      , ENERGY=${madxNumber(lattice.properties.energy / 1e9)}, PARTICLE=${pname}${known ? '' : `, MASS=${madxNumber(p.rest_energy / 1e9)}, CHARGE=${madxNumber(p.charge)}`}, RADIATE=FALSE;`,
    '',
  );
  // Definitions grouped by class, classes in order of first appearance (as pyAT writes them).
  const classOrder = [...new Set(defs.map((d) => d.def.cls))];
  const grouped = classOrder.flatMap((cls) => defs.filter((d) => d.def.cls === cls));
  let lastCls = '';
  for (const { label, def } of grouped) {
    if (lastCls && def.cls !== lastCls) lines.push('');
    lastCls = def.cls;
    const attrs = def.attrs.map(([a, v]) => `, ${a}=${v}`).join('');
    lines.push(`${pad(label, 10)}: ${pad(def.cls, 10)}${attrs};`);
  }
  lines.push('');
  if (form === 'line') {
    lines.push(`${pad(seqName, 10)}: LINE=( `);
    for (let i = 0; i < items.length; i += 10) {
      const chunk = items.slice(i, i + 10).map((it) => pad(it.label, 8));
      lines.push(`  ${chunk.join(', ')}${i + 10 < items.length ? ', ' : ');'}`);
    }
  } else {
    let s = 0;
    const body: string[] = [];
    for (const it of items) {
      body.push(`  ${pad(it.label, 10)}, AT=${madxNumber(s + it.length / 2)};`);
      s += it.length;
    }
    lines.push(`${pad(seqName, 10)}: SEQUENCE, L=${madxNumber(s)};`, ...body, 'ENDSEQUENCE;');
  }
  lines.push('', `USE, SEQUENCE=${seqName};`, '');
  return { text: lines.join('\n'), losses: log.losses as ConversionLoss[] };
}

/** Writes a MAD-X file: a LINE for `.madx`, a SEQUENCE otherwise (`form` overrides). */
export function writeMadxLattice(path: string, lattice: Lattice, options: MadxWriteOptions = {}): LatticeWriteResult {
  const form = options.form ?? (path.toLowerCase().endsWith('.madx') ? 'line' : 'sequence');
  const { text, losses } = formatMadx(lattice, { ...options, form });
  writeTextFile(path, text);
  return { losses };
}

export function saveMadxLattice(path: string, lattice: Lattice): void {
  writeMadxLattice(path, lattice);
}
