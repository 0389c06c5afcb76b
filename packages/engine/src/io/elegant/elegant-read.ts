/**
 * Reading an elegant `.lte` file into an AT lattice: the line chosen (the
 * `use` option, else the file's last USE, else RING, else the last line
 * defined), expanded (repetition, reversal: the order of the items is
 * reversed, the elements themselves are not flipped), each element converted
 * (elegant-elements.ts). elegant files carry no energy, particle or
 * periodicity: 1 GeV, pyAT's 'relativistic' particle and periodicity 1, unless
 * the options give them. RF cavities get HarmNumber = trunc(FREQ / f_rev) of
 * the line, as pyAT.
 */
import type { AtElement, Lattice, ParticleSpec } from '../../lattice.js';
import type { ConversionLossLog } from '../conversion-report.js';
import { LatticeFileError } from '../errors.js';
import { KNOWN_PARTICLES } from '../lattice-assembly.js';
import { elementsOf } from './elegant-elements.js';
import { readDeckText, type ElegantDeck, type ElementDef, type LineItem } from './elegant-parse.js';
import type { Position } from './elegant-text.js';
import { readTextFile } from '../text-file.js';

const CLIGHT = 299792458;
const MAX_ELEMENTS = 5_000_000;

export interface ElegantReadOptions {
  /** Line to use (case-insensitive). */
  readonly use?: string;
  /** Total energy in eV (default 1 GeV, as pyAT). */
  readonly energy?: number;
  readonly particle?: ParticleSpec;
  readonly periodicity?: number;
  /** Receives what the conversion could not carry, per element. */
  readonly losses?: ConversionLossLog;
}

function chooseLine(deck: ElegantDeck, file: string, use: string | undefined): string {
  if (use !== undefined) {
    const key = use.toUpperCase();
    if (!deck.lines.has(key)) {
      throw new LatticeFileError(file, `no LINE named '${use}' (lines: ${deck.lineOrder.map((k) => deck.lines.get(k)!.name).join(', ') || 'none'})`);
    }
    return key;
  }
  if (deck.use) {
    const key = deck.use.name.toUpperCase();
    if (!deck.lines.has(key)) {
      throw new LatticeFileError(deck.use.file, 'USE names no LINE of the file', { line: deck.use.pos.line, column: deck.use.pos.column, name: deck.use.name, nameKind: 'line' });
    }
    return key;
  }
  if (deck.lines.has('RING')) return 'RING';
  const last = deck.lineOrder[deck.lineOrder.length - 1];
  if (last === undefined) throw new LatticeFileError(file, 'no LINE defined: there is no lattice to read');
  return last;
}

interface Ref {
  readonly def: ElementDef;
}

function expand(deck: ElegantDeck, root: string): Ref[] {
  const out: Ref[] = [];
  const active: string[] = [];
  const rootDef = deck.lines.get(root)!;
  const fail = (pos: Position, file: string, detail: string, line: string): never => {
    throw new LatticeFileError(file, detail, { line: pos.line, column: pos.column, name: line, nameKind: 'line' });
  };
  const items = (list: readonly LineItem[], reverse: boolean, file: string, lineName: string): void => {
    const seq = reverse ? [...list].reverse() : list;
    for (const it of seq) {
      for (let r = 0; r < it.repeat; r++) {
        const rev = reverse !== it.reverse;
        if (it.kind === 'list') items(it.items, rev, file, lineName);
        else {
          const key = it.name.toUpperCase();
          const sub = deck.lines.get(key);
          if (sub) {
            if (active.includes(key)) fail(it.pos, file, `'${it.name}' contains itself (${[...active, key].join(' -> ')})`, lineName);
            active.push(key);
            items(sub.items, rev, sub.file, sub.name);
            active.pop();
          } else {
            const def = deck.elements.get(key) ?? fail(it.pos, file, `'${it.name}' is neither an element nor a line defined in the file`, lineName);
            out.push({ def });
            if (out.length > MAX_ELEMENTS) fail(it.pos, file, `expands to more than ${MAX_ELEMENTS} elements`, rootDef.name);
          }
        }
      }
    }
  };
  active.push(root);
  items(rootDef.items, false, rootDef.file, rootDef.name);
  return out;
}

/** Reads the text of an elegant lattice file. */
export function parseElegant(src: string, file: string, opts: ElegantReadOptions = {}): Lattice {
  const deck = readDeckText(src, file);
  const root = chooseLine(deck, file, opts.use);
  const refs = expand(deck, root);
  const cache = new Map<ElementDef, AtElement[]>();
  const elements: AtElement[] = [];
  const cavities: AtElement[] = [];
  for (const { def } of refs) {
    let built = cache.get(def);
    if (!built) {
      built = elementsOf(def, opts.losses, elements.length);
      cache.set(def, built);
    }
    for (const e of built) {
      const copy = structuredClone(e);
      if (copy.Class === 'RFCavity') cavities.push(copy);
      elements.push(copy);
    }
  }
  const energy = opts.energy ?? 1e9;
  const particle = opts.particle ?? { ...KNOWN_PARTICLES.relativistic };
  const periodicity = opts.periodicity ?? 1;
  const cellLength = elements.reduce((s, e) => s + e.Length, 0);
  const gamma = particle.rest_energy > 0 ? energy / particle.rest_energy : Infinity;
  const beta = Number.isFinite(gamma) ? Math.sqrt(1 - 1 / (gamma * gamma)) : 1;
  const frev = (beta * CLIGHT) / cellLength;
  for (const c of cavities) {
    c.HarmNumber = Math.trunc((c.Frequency as number) / frev);
    c.Energy = energy;
  }
  const name = deck.lines.get(root)!.name;
  const lattice: Lattice = { elements, properties: { name, energy, particle, periodicity, beam_current: 0, nbunch: cavities.length ? 1 : 0 } };
  if (cavities.length) lattice.properties.harmonic_number = (cavities[0].HarmNumber as number) * periodicity;
  return lattice;
}

export function loadElegant(path: string, opts: ElegantReadOptions = {}): Lattice {
  return parseElegant(readTextFile(path), path, opts);
}
