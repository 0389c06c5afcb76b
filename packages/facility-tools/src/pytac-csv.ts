import { join } from 'node:path';
import { CsvError, readCsv, type CsvTable } from '@mlayer/calibration';
import { PytacImportError } from './errors.js';

/**
 * Typed readers for the seven CSV files of a pytac machine description
 * (DiamondLightSource/pytac, `src/pytac/data/<mode>/`). Every problem is a
 * PytacImportError naming the file and the line.
 */

export const PYTAC_FILES = {
  elements: 'elements.csv',
  families: 'families.csv',
  epicsDevices: 'epics_devices.csv',
  simpleDevices: 'simple_devices.csv',
  unitconv: 'unitconv.csv',
  polyData: 'uc_poly_data.csv',
  pchipData: 'uc_pchip_data.csv',
} as const;

/** One row of elements.csv; pytac numbers the elements from 1 in file order (el_id). */
export interface PytacElement {
  readonly elId: number;
  readonly type: string;
  readonly length: number;
  readonly line: number;
}

export interface PytacFamilyRow {
  readonly elId: number;
  readonly family: string;
  readonly line: number;
}

export interface PytacEpicsDevice {
  /** 0 for ring-level devices (pytac's lattice), else the element. */
  readonly elId: number;
  readonly name: string;
  readonly field: string;
  readonly getPv: string | undefined;
  readonly setPv: string | undefined;
  readonly line: number;
}

export interface PytacSimpleDevice {
  readonly elId: number;
  readonly field: string;
  readonly value: number;
  readonly readonly: boolean;
  readonly line: number;
}

export type PytacUcType = 'null' | 'poly' | 'pchip';

export interface PytacUnitconv {
  readonly elId: number;
  readonly field: string;
  readonly ucType: PytacUcType;
  readonly ucId: number;
  readonly physUnits: string;
  readonly engUnits: string;
  readonly lowerLimit: number | undefined;
  readonly upperLimit: number | undefined;
  readonly line: number;
}

export interface PytacPolyCurve {
  readonly ucId: number;
  /** Ascending powers: physics = Σ c[k]·eng^k. */
  readonly coefficients: readonly number[];
  readonly lines: readonly number[];
}

export interface PytacPchipCurve {
  readonly ucId: number;
  /** Points sorted by the engineering (hardware) value, as pytac sorts them. */
  readonly eng: readonly number[];
  readonly phy: readonly number[];
  readonly lines: readonly number[];
}

/** Everything a pytac machine description holds, checked and typed. */
export interface PytacData {
  readonly dir: string;
  readonly elements: readonly PytacElement[];
  readonly families: readonly PytacFamilyRow[];
  readonly epicsDevices: readonly PytacEpicsDevice[];
  readonly simpleDevices: readonly PytacSimpleDevice[];
  readonly unitconv: readonly PytacUnitconv[];
  readonly poly: ReadonlyMap<number, PytacPolyCurve>;
  readonly pchip: ReadonlyMap<number, PytacPchipCurve>;
}

/** A CSV file with named columns; cell access names file, line and column on error. */
class Table {
  private readonly cols: ReadonlyMap<string, number>;

  constructor(
    readonly file: string,
    private readonly t: CsvTable,
    required: readonly string[],
  ) {
    const cols = new Map<string, number>();
    t.header.forEach((h, i) => cols.set(h, i));
    for (const c of required) {
      if (!cols.has(c)) throw new PytacImportError(file, 1, `missing column '${c}' (columns: ${t.header.join(', ') || 'none'})`);
    }
    this.cols = cols;
  }

  get size(): number {
    return this.t.rows.length;
  }

  line(r: number): number {
    return this.t.lines[r];
  }

  str(r: number, col: string): string {
    return this.t.rows[r][this.cols.get(col)!];
  }

  fail(r: number, detail: string): never {
    throw new PytacImportError(this.file, this.line(r), detail);
  }

  num(r: number, col: string): number {
    const s = this.str(r, col);
    const v = s === '' ? NaN : Number(s);
    if (!Number.isFinite(v)) this.fail(r, `column '${col}': ${JSON.stringify(s)} is not a number`);
    return v;
  }

  optNum(r: number, col: string): number | undefined {
    return this.str(r, col) === '' ? undefined : this.num(r, col);
  }

  int(r: number, col: string): number {
    const v = this.num(r, col);
    if (!Number.isInteger(v)) this.fail(r, `column '${col}': ${v} is not an integer`);
    return v;
  }

  nonEmpty(r: number, col: string): string {
    const s = this.str(r, col);
    if (s === '') this.fail(r, `column '${col}' is empty`);
    return s;
  }
}

function isUcType(s: string): s is PytacUcType {
  return s === 'null' || s === 'poly' || s === 'pchip';
}

function open(dir: string, name: string, required: readonly string[]): Table {
  const file = join(dir, name);
  let t: CsvTable;
  try {
    t = readCsv(file);
  } catch (e) {
    if (e instanceof CsvError) throw new PytacImportError(file, undefined, e.detail);
    throw e;
  }
  return new Table(file, t, required);
}

/** Reads and cross-checks the seven CSV files of a pytac machine description. */
export function readPytac(dir: string): PytacData {
  const el = open(dir, PYTAC_FILES.elements, ['type', 'length']);
  const elements: PytacElement[] = [];
  for (let r = 0; r < el.size; r++) {
    elements.push({ elId: r + 1, type: el.nonEmpty(r, 'type'), length: el.num(r, 'length'), line: el.line(r) });
  }
  const n = elements.length;
  const elementId = (t: Table, r: number, allowRing: boolean): number => {
    const id = t.int(r, 'el_id');
    const lo = allowRing ? 0 : 1;
    if (id < lo || id > n) t.fail(r, `el_id ${id} is not an element of ${PYTAC_FILES.elements} (expected ${lo}..${n})`);
    return id;
  };

  const fa = open(dir, PYTAC_FILES.families, ['el_id', 'family']);
  const families: PytacFamilyRow[] = [];
  for (let r = 0; r < fa.size; r++) families.push({ elId: elementId(fa, r, false), family: fa.nonEmpty(r, 'family'), line: fa.line(r) });

  const ep = open(dir, PYTAC_FILES.epicsDevices, ['el_id', 'name', 'field', 'get_pv', 'set_pv']);
  const epicsDevices: PytacEpicsDevice[] = [];
  const seenField = new Map<string, number>();
  for (let r = 0; r < ep.size; r++) {
    const elId = elementId(ep, r, true);
    const field = ep.nonEmpty(r, 'field');
    const getPv = ep.str(r, 'get_pv') || undefined;
    const setPv = ep.str(r, 'set_pv') || undefined;
    if (!getPv && !setPv) ep.fail(r, `device ${ep.str(r, 'name')} field ${field} has neither get_pv nor set_pv`);
    const key = `${elId}\u0000${field}`;
    if (seenField.has(key)) ep.fail(r, `element ${elId} has field '${field}' twice (also line ${seenField.get(key)})`);
    seenField.set(key, ep.line(r));
    epicsDevices.push({ elId, name: ep.nonEmpty(r, 'name'), field, getPv, setPv, line: ep.line(r) });
  }

  const sd = open(dir, PYTAC_FILES.simpleDevices, ['el_id', 'field', 'value', 'readonly']);
  const simpleDevices: PytacSimpleDevice[] = [];
  for (let r = 0; r < sd.size; r++) {
    const ro = sd.str(r, 'readonly').toLowerCase();
    if (ro !== 'true' && ro !== 'false') sd.fail(r, `column 'readonly': ${JSON.stringify(sd.str(r, 'readonly'))} is not True or False`);
    simpleDevices.push({ elId: elementId(sd, r, true), field: sd.nonEmpty(r, 'field'), value: sd.num(r, 'value'), readonly: ro === 'true', line: sd.line(r) });
  }

  const po = open(dir, PYTAC_FILES.polyData, ['uc_id', 'coeff', 'val']);
  const polyRaw = new Map<number, { c: number[]; lines: number[] }>();
  for (let r = 0; r < po.size; r++) {
    const id = po.int(r, 'uc_id');
    const p = po.int(r, 'coeff');
    if (p < 0) po.fail(r, `column 'coeff': power ${p} is negative`);
    const entry = polyRaw.get(id) ?? { c: [], lines: [] };
    if (entry.c[p] !== undefined) po.fail(r, `uc_id ${id} has power ${p} twice`);
    entry.c[p] = po.num(r, 'val');
    entry.lines.push(po.line(r));
    polyRaw.set(id, entry);
  }
  const poly = new Map<number, PytacPolyCurve>();
  for (const [ucId, { c, lines }] of polyRaw) poly.set(ucId, { ucId, coefficients: Array.from(c, (v) => v ?? 0), lines });

  const pc = open(dir, PYTAC_FILES.pchipData, ['uc_id', 'eng', 'phy']);
  const pchipRaw = new Map<number, { pts: [number, number][]; lines: number[] }>();
  for (let r = 0; r < pc.size; r++) {
    const id = pc.int(r, 'uc_id');
    const entry = pchipRaw.get(id) ?? { pts: [], lines: [] };
    entry.pts.push([pc.num(r, 'eng'), pc.num(r, 'phy')]);
    entry.lines.push(pc.line(r));
    pchipRaw.set(id, entry);
  }
  const pchip = new Map<number, PytacPchipCurve>();
  for (const [ucId, { pts, lines }] of pchipRaw) {
    pts.sort((a, b) => a[0] - b[0]);
    pchip.set(ucId, { ucId, eng: pts.map((p) => p[0]), phy: pts.map((p) => p[1]), lines });
  }

  const uc = open(dir, PYTAC_FILES.unitconv, ['el_id', 'field', 'uc_type', 'uc_id', 'phys_units', 'eng_units', 'lower_lim', 'upper_lim']);
  const unitconv: PytacUnitconv[] = [];
  for (let r = 0; r < uc.size; r++) {
    const rawType = uc.str(r, 'uc_type');
    if (!isUcType(rawType)) uc.fail(r, `column 'uc_type': unknown type ${JSON.stringify(rawType)} (expected null, poly or pchip)`);
    const ucType = rawType as PytacUcType;
    const ucId = uc.int(r, 'uc_id');
    if (ucType === 'poly' && !poly.has(ucId)) uc.fail(r, `unknown uc_id ${ucId}: no poly curve with this id in ${PYTAC_FILES.polyData}`);
    if (ucType === 'pchip' && !pchip.has(ucId)) uc.fail(r, `unknown uc_id ${ucId}: no pchip curve with this id in ${PYTAC_FILES.pchipData}`);
    const lowerLimit = uc.optNum(r, 'lower_lim');
    const upperLimit = uc.optNum(r, 'upper_lim');
    if ((lowerLimit === undefined) !== (upperLimit === undefined)) uc.fail(r, 'lower_lim and upper_lim must be given together');
    if (lowerLimit !== undefined && upperLimit !== undefined && lowerLimit > upperLimit) uc.fail(r, `lower_lim ${lowerLimit} > upper_lim ${upperLimit}`);
    unitconv.push({
      elId: elementId(uc, r, true),
      field: uc.nonEmpty(r, 'field'),
      ucType,
      ucId,
      physUnits: uc.str(r, 'phys_units'),
      engUnits: uc.str(r, 'eng_units'),
      lowerLimit,
      upperLimit,
      line: uc.line(r),
    });
  }
  return { dir, elements, families, epicsDevices, simpleDevices, unitconv, poly, pchip };
}
