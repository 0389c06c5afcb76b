/**
 * Reading PALS YAML (the subset in pals-schema.ts) into an AT lattice, as the
 * reference reader of ../shared/lattices/formats (tools/pals_at.py) does:
 * the root BeamLine is the first branch of the Lattice (else the `use`
 * option, else the last BeamLine defined); it is expanded (names, elements
 * defined in place, `inherit`, `repeat` (negative: reversed order),
 * `direction: -1` (reversed order and reversed elements)); BeginningEle items
 * give the reference energy and species and are no AT element; a root line
 * that is a BeginningEle plus one sub-line repeated P times is that sub-line
 * with periodicity P. Errors name file, line, column and the element.
 */
import { BRANCH_END } from './pals-branch-end.js';
import { isMap, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { AtElement, FieldValue, Lattice, ParticleSpec } from '../../lattice.js';
import type { ConversionLossLog } from '../conversion-report.js';
import { buildElement, type AtClassName } from '../element-classes.js';
import { LatticeFileError } from '../errors.js';
import { KNOWN_PARTICLES } from '../lattice-assembly.js';
import { BeamLine, KIND_SCHEMAS, LatticeDef, LineItemOptions, PALS_NAME, type KnownKind } from './pals-schema.js';
import { readTextFile } from '../text-file.js';
import { FACTORIAL } from '../factorial.js';

export interface PalsReadOptions {
  /** Root BeamLine to read (default: the Lattice's first branch). */
  readonly use?: string;
  readonly losses?: ConversionLossLog;
}

type Obj = Record<string, unknown>;
type Path = (string | number)[];
interface Def {
  readonly name: string;
  readonly body: Obj;
  /** Path of the body in the document, for positions. */
  readonly path: Path;
}

const MAX_ELEMENTS = 5_000_000;

class PalsReader {
  readonly elements = new Map<string, Def>();
  readonly lines = new Map<string, Def>();
  readonly lineOrder: string[] = [];
  lattice?: { value: unknown; path: Path };

  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly counter: LineCounter,
    readonly losses: ConversionLossLog | undefined,
  ) {}

  where(path: Path): { line?: number; column?: number } {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as Node | undefined;
      const start = node?.range?.[0];
      if (start !== undefined) {
        // For a map entry, point at its key.
        const parent = n > 0 ? (this.doc.getIn(path.slice(0, n - 1), true) as Node | undefined) : undefined;
        if (parent && isMap(parent)) {
          const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === path[n - 1]);
          const k = (pair?.key as Node | undefined)?.range?.[0];
          if (k !== undefined) return this.pos(k);
        }
        return this.pos(start);
      }
    }
    return {};
  }

  pos(offset: number): { line: number; column: number } {
    const p = this.counter.linePos(offset);
    return { line: p.line, column: p.col };
  }

  fail(path: Path, detail: string, name?: string, nameKind?: string): never {
    throw new LatticeFileError(this.file, detail, { ...this.where(path), name, nameKind });
  }

  /** The definitions of the top-level list. */
  collect(data: unknown): void {
    if (!Array.isArray(data)) this.fail([], 'a PALS file is a list of one-key maps (- NAME: {kind: ...}), not a ' + describeType(data));
    data.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) this.fail([i], `list item ${i + 1} is a ${describeType(item)}, not a one-key map NAME: {kind: ...}`);
      const keys = Object.keys(item as Obj);
      if (keys.length !== 1) this.fail([i], `list item ${i + 1} has ${keys.length} keys (${keys.join(', ')}): each item defines one element, line or the Lattice`);
      const name = keys[0];
      const body = (item as Obj)[name];
      if (name === 'Lattice') {
        const r = LatticeDef.safeParse(body);
        if (!r.success) this.failZod([i, name], r.error.issues, 'Lattice', 'section');
        this.lattice = { value: body, path: [i, name] };
        return;
      }
      if (!PALS_NAME.test(name)) this.fail([i, name], `'${name}' is not a PALS name ([A-Za-z_][A-Za-z0-9_]*)`, name);
      if (this.elements.has(name) || this.lines.has(name)) this.fail([i, name], 'defined twice', name);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) this.fail([i, name], `the definition is a ${describeType(body)}, not a map with a kind`, name);
      const def: Def = { name, body: body as Obj, path: [i, name] };
      if ((body as Obj).kind === 'BeamLine') {
        const r = BeamLine.safeParse(body);
        if (!r.success) this.failZod(def.path, r.error.issues, name, 'line');
        this.lines.set(name, def);
        this.lineOrder.push(name);
      } else {
        this.checkElement(def);
        this.elements.set(name, def);
      }
    });
  }

  failZod(path: Path, issues: readonly { path: PropertyKey[]; message: string; code?: string; keys?: string[] }[], name: string, nameKind?: string): never {
    const is = issues[0];
    const sub = is.path.filter((p): p is string | number => typeof p !== 'symbol');
    const keys = is.code === 'unrecognized_keys' && is.keys ? `: ${is.keys.join(', ')}` : '';
    const at = sub.length ? `${sub.join('.')}: ` : '';
    this.fail([...path, ...sub, ...(is.keys?.length ? [is.keys[0]] : [])], `${at}${is.message}${keys}`, name, nameKind);
  }

  /** Checks an element with the schema of its kind; parameters of other groups are reported and removed. */
  checkElement(def: Def): void {
    const kind = def.body.kind;
    if (typeof kind !== 'string') this.fail(def.path, 'no kind (a string such as Drift, Quadrupole, SBend)', def.name);
    const schema = KIND_SCHEMAS[kind as KnownKind];
    if (!schema) return;
    const known = new Set(Object.keys(schema.shape));
    for (const k of Object.keys(def.body)) {
      if (!known.has(k)) this.losses?.add({ element: def.name, attribute: k, reason: `${k} is not read for a ${kind}: dropped`, line: this.where([...def.path, k]).line });
    }
    const kept = Object.fromEntries(Object.entries(def.body).filter(([k]) => known.has(k)));
    const r = schema.safeParse(kept);
    if (!r.success) this.failZod(def.path, r.error.issues, def.name);
    Object.keys(def.body).forEach((k) => {
      if (!known.has(k)) delete def.body[k];
    });
  }

  root(use: string | undefined): Def {
    if (use !== undefined) {
      const d = this.lines.get(use) ?? [...this.lines.values()].find((l) => l.name.toLowerCase() === use.toLowerCase());
      if (!d) throw new LatticeFileError(this.file, `no BeamLine named '${use}' (BeamLines: ${this.lineOrder.join(', ') || 'none'})`);
      return d;
    }
    if (this.lattice) {
      const v = this.lattice.value;
      const branches = (Array.isArray(v) ? (v[0] as Obj).branches : (v as Obj).branches) as unknown[];
      const b = branches[0];
      const name = typeof b === 'string' ? b : Object.keys(b as Obj)[0];
      const d = this.lines.get(name);
      if (!d) this.fail([...this.lattice.path], `branch '${name}' is not a BeamLine defined in the file`, name, 'line');
      return d;
    }
    const last = this.lineOrder[this.lineOrder.length - 1];
    if (last === undefined) throw new LatticeFileError(this.file, 'no BeamLine defined: there is no lattice to read');
    return this.lines.get(last)!;
  }
}

function describeType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'map' : `${typeof v} (${JSON.stringify(v)})`;
}

/** One expanded line position: the definition and whether it is reversed. */
interface Placed {
  readonly def: Def;
  readonly reversed: boolean;
}

/**
 * Expands a line into `out`. `orderReversed`: the items come in reverse order
 * (a negative repeat or a direction -1 above); `flipped`: the elements are
 * direction-reversed (an odd number of direction -1 above).
 */
function expand(r: PalsReader, line: Def, out: Placed[], active: string[], orderReversed: boolean, flipped: boolean): void {
  const items = (line.body.line as unknown[]).map((it, i) => ({ it, i }));
  for (const { it, i } of orderReversed ? [...items].reverse() : items) {
    const path = [...line.path, 'line', i];
    let name: string;
    let opts: Obj = {};
    if (typeof it === 'string') name = it;
    else {
      name = Object.keys(it as Obj)[0];
      opts = ((it as Obj)[name] ?? {}) as Obj;
      const o = LineItemOptions.safeParse(opts);
      if (!o.success) r.failZod([...path, name], o.error.issues, line.name, 'line');
    }
    const repeat = typeof opts.repeat === 'number' ? opts.repeat : 1;
    const dirRev = opts.direction === -1;
    let def: Def | undefined;
    const inPlace = 'kind' in opts || 'inherit' in opts;
    if (inPlace) {
      const base =
        typeof opts.inherit === 'string'
          ? (r.elements.get(opts.inherit) ?? r.fail([...path, name, 'inherit'], `inherits '${opts.inherit}', which is not an element defined before`, name))
          : undefined;
      const body: Obj = { ...(base ? structuredClone(base.body) : {}) };
      for (const [k, v] of Object.entries(opts)) if (!['inherit', 'repeat', 'direction'].includes(k)) body[k] = v;
      def = { name, body, path: [...path, name] };
      r.checkElement(def);
      r.elements.set(name, def);
    }
    const sub = inPlace ? undefined : r.lines.get(name);
    if (!inPlace && !sub) def = r.elements.get(name) ?? r.fail(path, `'${name}' is neither an element nor a BeamLine defined in the file`, line.name, 'line');
    for (let k = 0; k < Math.abs(repeat); k++) {
      if (sub) {
        if (active.includes(name)) r.fail(path, `'${name}' contains itself (${[...active, name].join(' -> ')})`, line.name, 'line');
        active.push(name);
        expand(r, sub, out, active, orderReversed !== (repeat < 0) !== dirRev, flipped !== dirRev);
        active.pop();
      } else {
        out.push({ def: def!, reversed: flipped !== dirRev });
        if (out.length > MAX_ELEMENTS) r.fail(path, `expands to more than ${MAX_ELEMENTS} elements`, line.name, 'line');
      }
    }
  }
}

function polys(r: PalsReader, def: Def, length: number, thin: boolean): { a: number[]; b: number[] } {
  const mm = (def.body.MagneticMultipoleP ?? {}) as Record<string, number>;
  const a: number[] = [];
  const b: number[] = [];
  let order = 1;
  for (const [k, v] of Object.entries(mm)) {
    const m = /^K([ns])(\d+)(L?)$/.exec(k)!;
    const n = Number(m[2]);
    const integrated = m[3] === 'L';
    if (n >= FACTORIAL.length) r.fail([...def.path, 'MagneticMultipoleP', k], `order ${n} is beyond what mlayer reads (${FACTORIAL.length - 1})`, def.name);
    if (thin && !integrated) r.fail([...def.path, 'MagneticMultipoleP', k], `${k}: a zero-length element needs integrated strengths (${k}L)`, def.name);
    const val = (integrated && !thin ? v / length : v) / FACTORIAL[n];
    (m[1] === 'n' ? b : a)[n] = val;
    order = Math.max(order, n);
  }
  const fill = (p: number[]) => Array.from({ length: order + 1 }, (_, i) => p[i] ?? 0);
  return { a: fill(a), b: fill(b) };
}

function toAt(r: PalsReader, def: Def, reversed: boolean, periodicity: number, energy: number, losses: ConversionLossLog | undefined, index: number): AtElement[] {
  const body = def.body;
  const meta = body.MetaP as { alias?: string } | undefined;
  const fam = meta?.alias ?? def.name;
  const L = typeof body.length === 'number' ? body.length : 0;
  const mk = (cls: AtClassName, f: Record<string, FieldValue>) => buildElement(cls, { FamName: fam, ...f });
  const kind = body.kind as string;
  switch (kind) {
    case 'Drift':
      return [mk('Drift', { Length: L })];
    case 'Marker':
      return [mk('Marker', {})];
    case 'Instrument':
      if (L === 0) return [mk('Monitor', {})];
      losses?.add({ element: fam, index, attribute: 'length', reason: `thick Instrument read as Drift(L/2), Monitor, Drift(L/2)` });
      return [mk('Drift', { Length: L / 2 }), mk('Monitor', {}), mk('Drift', { Length: L / 2 })];
    case 'Quadrupole':
    case 'Sextupole':
    case 'Octupole':
    case 'Multipole': {
      const thin = L === 0;
      const { a, b } = polys(r, def, L, thin);
      if (thin) return [mk('ThinMultipole', { PolynomA: a, PolynomB: b })];
      return [mk(kind, { Length: L, PolynomA: a, PolynomB: b })];
    }
    case 'SBend':
    case 'RBend': {
      const bp = body.BendP as Record<string, number>;
      const angle = bp.angle_ref ?? (bp.g_ref ?? 0) * L;
      const { a, b } = polys(r, def, L, false);
      let e1 = bp.e1 ?? 0;
      let e2 = bp.e2 ?? 0;
      let i1 = bp.edge_int1 ?? 0;
      let i2 = bp.edge_int2 ?? 0;
      if (reversed) [e1, e2, i1, i2] = [e2, e1, i2, i1];
      const f: Record<string, FieldValue> = { Length: L, BendingAngle: angle, EntranceAngle: e1, ExitAngle: e2, PolynomA: a, PolynomB: b };
      if (i1 !== 0 || i2 !== 0) {
        const mx = Math.max(Math.abs(i1), Math.abs(i2));
        Object.assign(f, { FullGap: 2 * mx, FringeInt1: i1 / mx, FringeInt2: i2 / mx });
      }
      return [mk('Dipole', f)];
    }
    case 'Kicker': {
      const thin = L === 0;
      const { a, b } = polys(r, def, L, thin);
      const scale = thin ? 1 : L;
      if (b.slice(1).some((x) => x !== 0) || a.slice(1).some((x) => x !== 0)) {
        losses?.add({ element: fam, index, attribute: 'MagneticMultipoleP', reason: 'orders above 0 of a Kicker are not read: dropped' });
      }
      return [mk('Corrector', { Length: L, KickAngle: [-b[0] * scale, a[0] * scale] })];
    }
    case 'RFCavity': {
      const rf = body.RFP as Record<string, number>;
      if (rf.frequency === undefined) r.fail([...def.path, 'RFP'], 'RFP.frequency is required', def.name);
      if (rf.phase !== undefined) losses?.add({ element: fam, index, attribute: 'RFP.phase', reason: 'not read (4D model, TimeLag 0)' });
      return [
        mk('RFCavity', {
          Length: L,
          Voltage: rf.voltage ?? 0,
          Frequency: rf.frequency,
          HarmNumber: Math.trunc((rf.harmon ?? 0) / periodicity),
          Energy: energy,
          TimeLag: 0,
          PassMethod: L === 0 ? 'IdentityPass' : 'DriftPass',
        }),
      ];
    }
    default:
      losses?.add({ element: fam, index, attribute: '', reason: `PALS kind ${kind} is not read by mlayer: kept as a ${L > 0 ? 'Drift' : 'Marker'} placeholder` });
      return [L > 0 ? mk('Drift', { Length: L }) : mk('Marker', {})];
  }
}

/** Reads the text of a PALS YAML file. */
export function parsePals(text: string, file: string, opts: PalsReadOptions = {}): Lattice {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const p = counter.linePos(e.pos[0]);
    throw new LatticeFileError(file, `YAML: ${e.message.split('\n')[0]}`, { line: p.line, column: p.col });
  }
  const r = new PalsReader(file, doc, counter, opts.losses);
  r.collect(doc.toJS({ maxAliasCount: 1000 }));
  const root = r.root(opts.use);

  // Periodicity: a root line of BeginningEle items plus one sub-line repeated P > 1 times.
  const rootItems = (root.body.line as unknown[]).map((it) => (typeof it === 'string' ? { name: it, o: {} as Obj } : { name: Object.keys(it as Obj)[0], o: ((it as Obj)[Object.keys(it as Obj)[0]] ?? {}) as Obj }));
  const isBegin = (n: string) => r.elements.get(n)?.body.kind === 'BeginningEle';
  const rest = rootItems.filter((x) => !isBegin(x.name));
  let periodicity = 1;
  const placed: Placed[] = [];
  if (rest.length === 1 && r.lines.has(rest[0].name) && typeof rest[0].o.repeat === 'number' && rest[0].o.repeat > 1 && rest[0].o.direction !== -1) {
    periodicity = rest[0].o.repeat;
    expand(r, r.lines.get(rest[0].name)!, placed, [root.name, rest[0].name], false, false);
  } else expand(r, root, placed, [root.name], false, false);

  // Reference energy and species: the first BeginningEle of the root line.
  const beginName = rootItems.find((x) => isBegin(x.name))?.name;
  const ref = (beginName ? r.elements.get(beginName)!.body.ReferenceP : undefined) as { species_ref?: string; E_tot_ref?: number; pc_ref?: number } | undefined;
  const particle: ParticleSpec = { ...KNOWN_PARTICLES[ref?.species_ref ?? 'electron'] };
  let energy = ref?.E_tot_ref;
  if (energy === undefined && ref?.pc_ref !== undefined) energy = Math.hypot(ref.pc_ref, particle.rest_energy);
  if (energy === undefined) {
    energy = 1e9;
    opts.losses?.add({ element: root.name, attribute: 'E_tot_ref', reason: 'no BeginningEle with ReferenceP.E_tot_ref or pc_ref in the root line: 1 GeV assumed' });
  }

  const elements: AtElement[] = [];
  const cache = new Map<string, AtElement[]>();
  // The Marker mlayer's writer appends to end a branch is not an element of the lattice.
  const last = placed[placed.length - 1];
  if (last && last.def.body.kind === 'Marker' && (last.def.body.MetaP as { description?: string } | undefined)?.description === BRANCH_END) placed.pop();
  for (const { def, reversed } of placed) {
    if (def.body.kind === 'BeginningEle') continue;
    const key = `${def.name}\u0000${reversed}`;
    let built = cache.get(key);
    if (!built) {
      built = toAt(r, def, reversed, periodicity, energy, opts.losses, elements.length);
      cache.set(key, built);
    }
    for (const e of built) elements.push(structuredClone(e));
  }
  const cavities = elements.filter((e) => e.Class === 'RFCavity');
  const lattice: Lattice = { elements, properties: { name: root.name, energy, particle, periodicity, beam_current: 0, nbunch: cavities.length ? 1 : 0 } };
  if (cavities.length) lattice.properties.harmonic_number = (cavities[0].HarmNumber as number) * periodicity;
  return lattice;
}

export function loadPals(path: string, opts: PalsReadOptions = {}): Lattice {
  return parsePals(readTextFile(path), path, opts);
}
