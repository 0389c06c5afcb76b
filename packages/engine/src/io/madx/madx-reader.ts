/**
 * MAD-X deck to an AT lattice: chooses the sequence or line (`use`), expands
 * it (SEQUENCE positions with at/from/refer/refpos, gaps filled with drifts
 * `drift_<n>`; LINE repetition and reversal), converts each element
 * (madx-elements.ts) and sets the ring properties from BEAM.
 */
import type { AtElement, Lattice, LatticeProperties, ParticleSpec } from '../../lattice.js';
import { ConversionLossLog, type ConversionLoss } from '../conversion-report.js';
import { LatticeFileError } from '../errors.js';
import { KNOWN_PARTICLES } from '../lattice-assembly.js';
import { buildElement } from '../element-classes.js';
import type { LatticeReadOptions, LatticeReadResult } from '../registry.js';
import type { Token } from './madx-lexer.js';
import { MadxDeck, type Attr, type LineItem, type Placement, type SequenceDef } from './madx-deck.js';
import { isConvertible, madxLength, madxToAt, replacedClass, type MadxParams } from './madx-elements.js';
import { parseMadx, parseMadxFile } from './madx-parser.js';

const CLIGHT = 299792458;
/** pyAT inserts a drift only where a gap between sequence elements exceeds this (m). */
export const MADX_GAP_TOLERANCE = 1e-5;

interface Occurrence {
  /** Element definition (lowercase). */
  readonly key: string;
  /** Placement overrides (sequence). */
  readonly overrides?: Map<string, Attr>;
  readonly at: Token;
  /** A drift filling a sequence gap. */
  readonly gap?: number;
}

function where(at: Token, name?: string, nameKind?: string) {
  return { line: at.line, column: at.column, name, nameKind };
}

/** The merged attributes of an element occurrence. */
function paramsOf(deck: MadxDeck, key: string, overrides: Map<string, Attr> | undefined): MadxParams {
  const chain: { owner: string; attrs: Map<string, Attr> }[] = [];
  const seen = new Set<string>();
  for (let def = deck.elements.get(key); def && !seen.has(def.key); def = deck.elements.get(def.parent)) {
    seen.add(def.key);
    chain.unshift({ owner: def.key, attrs: def.attrs });
  }
  if (overrides) chain.push({ owner: key, attrs: overrides });
  const merged = new Map<string, { a: Attr; owner: string }>();
  for (const { owner, attrs } of chain) for (const [k, a] of attrs) merged.set(k, { a, owner });
  const value = (name: string) => {
    const m = merged.get(name)!;
    return deck.attrValue(m.a, m.owner);
  };
  return {
    has: (name) => merged.has(name),
    num: (name, dflt) => {
      const m = merged.get(name);
      if (!m) return dflt;
      if (m.a.word !== undefined && !m.a.expr) {
        throw new LatticeFileError(m.a.at.file, `${name} = "${m.a.word}" is not a number`, where(m.a.at, deck.elements.get(key)?.name ?? key));
      }
      const v = value(name);
      if (Array.isArray(v)) {
        throw new LatticeFileError(m.a.at.file, `${name} is an array {...} where a number is expected`, where(m.a.at, deck.elements.get(key)?.name ?? key));
      }
      return v;
    },
    array: (name) => {
      const m = merged.get(name);
      if (!m) return undefined;
      const v = value(name);
      return Array.isArray(v) ? v : [v];
    },
    names: () => [...merged.keys()],
    nonZero: (name) => {
      const m = merged.get(name);
      if (!m) return false;
      if (m.a.word !== undefined && !m.a.expr) return true;
      const v = value(name);
      return Array.isArray(v) ? v.some((x) => x !== 0) : v !== 0;
    },
  };
}

const REFER: Record<string, number> = { entry: 1, centre: 0, center: 0, exit: -1 };

function referOf(deck: MadxDeck, seq: SequenceDef): number {
  const a = seq.attrs.get('refer');
  if (!a) return 0;
  const w = (a.word ?? '').toLowerCase();
  if (!(w in REFER)) throw new LatticeFileError(a.at.file, `REFER=${a.word ?? '?'}: expected entry, centre or exit`, where(a.at, seq.name, 'sequence'));
  return REFER[w];
}

function numAttr(deck: MadxDeck, a: Attr | undefined, owner: string, dflt: number): number {
  if (!a) return dflt;
  const v = deck.attrValue(a, owner);
  if (Array.isArray(v)) throw new LatticeFileError(a.at.file, `${a.name} is an array where a number is expected`, where(a.at, owner));
  return v;
}

interface Placed {
  readonly occ: Occurrence;
  readonly entry: number;
  readonly exit: number;
}

/** Flattens a sequence (nested sequences included) into placed elements, in sequence order. */
function flatten(deck: MadxDeck, seq: SequenceDef, offset: number, outerRefer: number, refpos: Attr | undefined, stack: string[], out: Placed[]): void {
  if (stack.includes(seq.key)) throw new LatticeFileError(seq.at.file, `sequence ${seq.name} contains itself`, where(seq.at, seq.name, 'sequence'));
  const length = numAttr(deck, seq.attrs.get('l'), seq.key, 0);
  const refer = referOf(deck, seq);
  const positions = new Map<string, number>();
  const atOf = (p: Placement): number => {
    const a = p.attrs.get('at');
    if (!a) throw new LatticeFileError(p.at.file, `no AT= position in sequence ${seq.name}`, where(p.at, p.name));
    let at = numAttr(deck, a, p.ref, 0);
    const from = p.attrs.get('from');
    if (from) {
      const f = (from.word ?? '').toLowerCase();
      const base = positions.get(f);
      if (base === undefined) throw new LatticeFileError(from.at.file, `FROM=${from.word ?? '?'}: no element of that name placed before in sequence ${seq.name}`, where(from.at, p.name));
      at += base;
    }
    return at;
  };
  let origin: number;
  if (refpos) {
    const rk = (refpos.word ?? '').toLowerCase();
    const p = seq.items.find((i) => i.ref === rk);
    if (!p) throw new LatticeFileError(refpos.at.file, `REFPOS=${refpos.word ?? '?'} is not in sequence ${seq.name}`, where(refpos.at, seq.name, 'sequence'));
    origin = -atOf(p);
  } else origin = 0.5 * (outerRefer - 1) * length;
  const base = offset + origin;
  for (const p of seq.items) {
    const at = atOf(p);
    positions.set(p.ref, at);
    const nested = deck.sequences.get(p.ref);
    if (nested && !deck.elements.has(p.ref)) {
      flatten(deck, nested, base + at, refer, p.attrs.get('refpos'), [...stack, seq.key], out);
      continue;
    }
    if (!deck.elements.has(p.ref) && !isConvertible(p.ref)) {
      throw new LatticeFileError(p.at.file, `element ${p.name} placed in sequence ${seq.name} is not defined`, where(p.at, p.name));
    }
    const cls = deck.elements.has(p.ref) ? deck.classOf(p.ref, p.at, p.name) : p.ref;
    const params = paramsOf(deck, p.ref, p.attrs);
    const half = 0.5 * madxLength(cls, params, deck.rbarc);
    const o = base + refer * half + at;
    out.push({ occ: { key: p.ref, overrides: p.attrs, at: p.at }, entry: -half + o, exit: half + o });
  }
}

function expandSequence(deck: MadxDeck, seq: SequenceDef, log: ConversionLossLog): Occurrence[] {
  const placed: Placed[] = [];
  flatten(deck, seq, 0, 1, undefined, [], placed);
  const length = numAttr(deck, seq.attrs.get('l'), seq.key, 0);
  const out: Occurrence[] = [];
  let end = 0;
  let n = 0;
  const fill = (gap: number, at: Token, before: string) => {
    if (gap > MADX_GAP_TOLERANCE || gap < -MADX_GAP_TOLERANCE) {
      const name = `drift_${n++}`;
      if (gap < 0) log.add({ element: name, attribute: 'l', reason: `elements overlap by ${-gap} m before ${before} in sequence ${seq.name}: negative drift (pyAT)`, line: at.line });
      out.push({ key: name, at, gap });
    }
  };
  for (const p of placed) {
    fill(p.entry - end, p.occ.at, deck.elements.get(p.occ.key)?.name ?? p.occ.key);
    end = p.exit;
    out.push(p.occ);
  }
  fill(length - end, seq.at, 'the end');
  return out;
}

function expandLine(deck: MadxDeck, key: string, at: Token, reverse: boolean, stack: string[], log: ConversionLossLog, out: Occurrence[]): void {
  const line = deck.lines.get(key);
  const seq = deck.sequences.get(key);
  if (seq && !line) {
    const occ = expandSequence(deck, seq, log);
    out.push(...(reverse ? occ.reverse() : occ));
    return;
  }
  if (!line) {
    if (!deck.elements.has(key) && !isConvertible(key)) throw new LatticeFileError(at.file, `'${at.text}' is not a defined element, line or sequence`, where(at, at.text));
    out.push({ key, at });
    return;
  }
  if (stack.includes(key)) throw new LatticeFileError(line.at.file, `line ${line.name} contains itself (${[...stack, key].join(' -> ')})`, where(line.at, line.name, 'line'));
  const items = (list: readonly LineItem[], rev: boolean) => {
    const ordered = rev ? [...list].reverse() : list;
    for (const it of ordered) {
      const r = rev !== it.reverse;
      for (let i = 0; i < it.repeat; i++) {
        if (it.kind === 'group') items(it.items, r);
        else expandLine(deck, it.key, it.at, r, [...stack, key], log, out);
      }
    }
  };
  items(line.items, reverse);
}

function particleOf(deck: MadxDeck): { particle: ParticleSpec; energy: number } {
  const beam = deck.beam ?? new Map<string, Attr>();
  const pa = beam.get('particle');
  const pname = (pa?.word ?? 'positron').toLowerCase();
  const num = (k: string) => numAttr(deck, beam.get(k), 'beam', Number.NaN);
  let particle: ParticleSpec;
  const masses: Record<string, [number, number]> = {
    electron: [KNOWN_PARTICLES.electron.rest_energy, -1],
    positron: [KNOWN_PARTICLES.positron.rest_energy, 1],
    proton: [KNOWN_PARTICLES.proton.rest_energy, 1],
    antiproton: [KNOWN_PARTICLES.proton.rest_energy, -1],
    posmuon: [105658375.5, 1],
    negmuon: [105658375.5, -1],
  };
  if (pname in masses) {
    const [m, q] = masses[pname];
    particle = KNOWN_PARTICLES[pname] ? { ...KNOWN_PARTICLES[pname] } : { name: pname, rest_energy: m, charge: q };
  } else {
    const mass = num('mass');
    if (!Number.isFinite(mass)) throw new LatticeFileError(pa!.at.file, `BEAM particle ${pa!.word}: give MASS (GeV) and CHARGE`, where(pa!.at, 'beam', 'command'));
    particle = { name: pname, rest_energy: mass * 1e9, charge: beam.has('charge') ? num('charge') : 1 };
  }
  if (beam.has('mass') && pname in masses) particle.rest_energy = num('mass') * 1e9;
  const m = particle.rest_energy / 1e9;
  let energy: number;
  if (beam.has('energy')) energy = num('energy');
  else if (beam.has('pc')) energy = Math.sqrt(num('pc') ** 2 + m * m);
  else if (beam.has('gamma')) energy = num('gamma') * m;
  else if (beam.has('brho')) {
    const pc = (1e-9 * num('brho') * CLIGHT * Math.abs(particle.charge)) / 1;
    energy = Math.sqrt(pc * pc + m * m);
  } else energy = 1;
  return { particle, energy: energy * 1e9 };
}

/** Which line or sequence to read: `use`, else the last USE, else `ring`, else the last defined. */
function chooseLine(deck: MadxDeck, file: string, use: string | undefined): string {
  const known = deck.beamlines.map((k) => deck.sequences.get(k)?.name ?? deck.lines.get(k)?.name ?? k);
  const exists = (k: string) => deck.sequences.has(k) || deck.lines.has(k);
  if (use !== undefined) {
    const k = use.toLowerCase();
    if (!exists(k)) throw new LatticeFileError(file, `no sequence or line '${use}' (defined: ${known.join(', ') || 'none'})`, { name: use, nameKind: 'sequence' });
    return k;
  }
  const last = deck.uses[deck.uses.length - 1];
  if (last) {
    if (!exists(last.name)) throw new LatticeFileError(last.at.file, `USE names '${last.name}', which is not a sequence or line (defined: ${known.join(', ') || 'none'})`, where(last.at, last.name, 'sequence'));
    return last.name;
  }
  if (exists('ring')) return 'ring';
  const k = deck.beamlines[deck.beamlines.length - 1];
  if (k === undefined) throw new LatticeFileError(file, 'no SEQUENCE or LINE defined');
  return k;
}

/** Builds the lattice of a parsed deck. */
export function madxDeckToLattice(deck: MadxDeck, file: string, options: LatticeReadOptions = {}): LatticeReadResult {
  const log = new ConversionLossLog();
  const key = chooseLine(deck, file, options.use);
  const occurrences: Occurrence[] = [];
  const seq = deck.sequences.get(key);
  if (seq) occurrences.push(...expandSequence(deck, seq, log));
  else expandLine(deck, key, deck.lines.get(key)!.at, false, [], log, occurrences);
  const { particle, energy } = particleOf(deck);
  const elements: AtElement[] = [];
  const ctx = { rbarc: deck.rbarc, energy };
  for (const occ of occurrences) {
    if (occ.gap !== undefined) {
      elements.push(buildElement('Drift', { FamName: occ.key, Length: occ.gap }));
      continue;
    }
    const def = deck.elements.get(occ.key);
    const name = def?.name ?? occ.at.text;
    const cls = def ? deck.classOf(occ.key, def.at, name) : occ.key;
    const index = elements.length;
    const lost = (attribute: string, reason: string) => log.add({ element: name, index, attribute, reason, line: (def?.at ?? occ.at).line });
    const replaced = replacedClass(cls);
    if (replaced) lost('', `MAD-X ${cls.toUpperCase()} ${replaced}`);
    try {
      elements.push(...madxToAt(cls, name, paramsOf(deck, occ.key, occ.overrides), ctx, lost));
    } catch (e) {
      if (e instanceof LatticeFileError) throw e;
      const at = def?.at ?? occ.at;
      throw new LatticeFileError(at.file, (e as Error).message, where(at, name), { cause: e });
    }
  }
  let circumference = 0;
  for (const e of elements) circumference += e.Length;
  // Cavities without FREQ: from HARMON and the revolution frequency (pyAT).
  const gamma = particle.rest_energy > 0 ? energy / particle.rest_energy : Infinity;
  const beta = Number.isFinite(gamma) ? Math.sqrt(1 - 1 / (gamma * gamma)) : 1;
  const frev = circumference > 0 ? (beta * CLIGHT) / circumference : Number.NaN;
  let harmonic: number | undefined;
  for (const e of elements) {
    if (e.Class !== 'RFCavity') continue;
    const h = e.HarmNumber as number;
    if (Number.isNaN(e.Frequency as number)) e.Frequency = h * frev;
    const hh = h > 0 ? h : Math.round((e.Frequency as number) / frev);
    if (harmonic === undefined && Number.isFinite(hh)) harmonic = hh;
  }
  if (deck.beam?.get('radiate') && numAttr(deck, deck.beam.get('radiate'), 'beam', 0) !== 0) {
    log.add({ element: 'BEAM', attribute: 'radiate', reason: 'the lattice is read with 4D pass methods: radiation is not switched on' });
  }
  for (const { command, at } of deck.ignored) log.add({ element: command, attribute: '', reason: 'MAD-X command that is not lattice data: skipped', line: at.line });
  const properties: LatticeProperties = {
    name: deck.sequences.get(key)?.name ?? deck.lines.get(key)?.name ?? key,
    energy,
    particle,
    periodicity: 1,
  };
  if (harmonic !== undefined) properties.harmonic_number = harmonic;
  return { lattice: { elements, properties }, losses: log.losses as ConversionLoss[] };
}

/** Reads MAD-X text (CALLed files relative to `file`'s folder). */
export function parseMadxLattice(text: string, file: string, options: LatticeReadOptions = {}): LatticeReadResult {
  return madxDeckToLattice(parseMadx(text, file), file, options);
}

/** Reads a MAD-X file with its loss report. */
export function readMadxLattice(path: string, options: LatticeReadOptions = {}): LatticeReadResult {
  return madxDeckToLattice(parseMadxFile(path), path, options);
}

/** Reads a MAD-X file. */
export function loadMadxLattice(path: string, options: LatticeReadOptions = {}): Lattice {
  return readMadxLattice(path, options).lattice;
}
