import { CsvError, columnIndex, numberCell, readCsv, type CsvTable } from './csv.js';
import type { PolynomialSpecInput, TableSpecInput } from './specs.js';

/**
 * Loaders for pytac's unit-conversion CSV files (DiamondLightSource/pytac,
 * `src/pytac/data/<mode>/`), following pytac's conventions:
 * - `uc_poly_data.csv` (uc_id, coeff, val): `coeff` is the power, so
 *   physics = Σ val·eng^coeff with eng the hardware (engineering) value;
 * - `uc_pchip_data.csv` (uc_id, eng, phy): points sorted by `eng` (pytac sorts
 *   the pairs), interpolated with scipy's PchipInterpolator;
 * - `unitconv.csv` (el_id, field, uc_type, uc_id, phys_units, eng_units,
 *   lower_lim, upper_lim) says which curve a field uses. pytac divides the curve
 *   by Bρ for the families HSTR, VSTR, Quadrupole, Sextupole and Bend (a
 *   `rigidity` conversion here); see PYTAC_MAGNET_FIELDS.
 * The curve files carry no units: add them (from unitconv.csv, corrected where
 * pytac's labels are wrong) before creating a conversion.
 */

/** A spec without its units (the importer adds them). */
export type UnitlessSpec<T> = Omit<T, 'hardwareUnits' | 'physicsUnits'>;
export type PytacPolySpec = UnitlessSpec<PolynomialSpecInput> & { readonly type: 'polynomial'; readonly coefficients: number[] };
export type PytacPchipSpec = UnitlessSpec<TableSpecInput> & { readonly type: 'table'; readonly hardware: number[]; readonly physics: number[] };

function intCell(table: CsvTable, row: number, col: number): number {
  const v = numberCell(table, row, col);
  if (!Number.isInteger(v)) throw new CsvError(table.path, `line ${table.lines[row]}, column '${table.header[col]}': ${v} is not an integer`);
  return v;
}

/** Inline polynomial specs by uc_id (coefficients in ascending powers). */
export function loadPytacPoly(csvPath: string): Map<number, PytacPolySpec> {
  const t = readCsv(csvPath);
  const [ic, pc, vc] = ['uc_id', 'coeff', 'val'].map((c) => columnIndex(t, c));
  const coeffs = new Map<number, number[]>();
  const seen = new Set<string>();
  t.rows.forEach((_, r) => {
    const id = intCell(t, r, ic);
    const p = intCell(t, r, pc);
    if (p < 0) throw new CsvError(csvPath, `line ${t.lines[r]}: power ${p} is negative`);
    const key = `${id}:${p}`;
    if (seen.has(key)) throw new CsvError(csvPath, `line ${t.lines[r]}: uc_id ${id} has power ${p} twice`);
    seen.add(key);
    const c = coeffs.get(id) ?? [];
    while (c.length <= p) c.push(0);
    c[p] = numberCell(t, r, vc);
    coeffs.set(id, c);
  });
  return new Map([...coeffs].map(([id, coefficients]) => [id, { type: 'polynomial', coefficients }]));
}

/** Inline PCHIP table specs by uc_id (points sorted by hardware, as pytac does). */
export function loadPytacPchip(
  csvPath: string,
  options: { extrapolation?: TableSpecInput['extrapolation']; domain?: [number, number] } = {},
): Map<number, PytacPchipSpec> {
  const t = readCsv(csvPath);
  const [ic, ec, yc] = ['uc_id', 'eng', 'phy'].map((c) => columnIndex(t, c));
  const points = new Map<number, [number, number][]>();
  t.rows.forEach((_, r) => {
    const id = intCell(t, r, ic);
    const list = points.get(id) ?? [];
    list.push([numberCell(t, r, ec), numberCell(t, r, yc)]);
    points.set(id, list);
  });
  const out = new Map<number, PytacPchipSpec>();
  for (const [id, list] of points) {
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    out.set(id, {
      type: 'table',
      interpolation: 'pchip',
      hardware: list.map((p) => p[0]),
      physics: list.map((p) => p[1]),
      ...(options.extrapolation ? { extrapolation: options.extrapolation } : {}),
      ...(options.domain ? { domain: options.domain } : {}),
    });
  }
  return out;
}

/** A polynomial spec that refers to a pytac uc_poly_data.csv (path relative to the facility file). */
export function pytacPolyReference(relativePath: string, ucId: number): UnitlessSpec<PolynomialSpecInput> & { type: 'polynomial' } {
  return { type: 'polynomial', csv: { path: relativePath, powerColumn: 'coeff', coefficientColumn: 'val', where: { uc_id: ucId } } };
}

/** A PCHIP table spec that refers to a pytac uc_pchip_data.csv (path relative to the facility file). */
export function pytacPchipReference(relativePath: string, ucId: number): UnitlessSpec<TableSpecInput> & { type: 'table' } {
  return { type: 'table', interpolation: 'pchip', csv: { path: relativePath, hardwareColumn: 'eng', physicsColumn: 'phy', where: { uc_id: ucId } } };
}

/** Adds units to a unitless spec. */
export function withUnits<T extends object>(spec: T, hardwareUnits: string, physicsUnits: string): T & { hardwareUnits: string; physicsUnits: string } {
  return { ...spec, hardwareUnits, physicsUnits };
}

/** One row of pytac's unitconv.csv. */
export interface PytacUnitconvRow {
  readonly elId: number;
  readonly field: string;
  readonly ucType: 'null' | 'poly' | 'pchip';
  readonly ucId: number;
  readonly physUnits: string;
  readonly engUnits: string;
  readonly lowerLimit: number | undefined;
  readonly upperLimit: number | undefined;
  /** 1-based line in the file. */
  readonly line: number;
}

export function loadPytacUnitconv(csvPath: string): PytacUnitconvRow[] {
  const t = readCsv(csvPath);
  const cols = ['el_id', 'field', 'uc_type', 'uc_id', 'phys_units', 'eng_units', 'lower_lim', 'upper_lim'].map((c) => columnIndex(t, c));
  return t.rows.map((row, r) => {
    const ucType = row[cols[2]];
    if (ucType !== 'null' && ucType !== 'poly' && ucType !== 'pchip') {
      throw new CsvError(csvPath, `line ${t.lines[r]}: unknown uc_type ${JSON.stringify(ucType)} (expected null, poly or pchip)`);
    }
    const lim = (c: number) => (row[c] === '' ? undefined : numberCell(t, r, c));
    return {
      elId: intCell(t, r, cols[0]),
      field: row[cols[1]],
      ucType,
      ucId: intCell(t, r, cols[3]),
      physUnits: row[cols[4]],
      engUnits: row[cols[5]],
      lowerLimit: lim(cols[6]),
      upperLimit: lim(cols[7]),
      line: t.lines[r],
    };
  });
}

/**
 * How pytac's magnet fields map onto a rigidity step (pytac divides the curve by
 * Bρ): the curve gives the local field B (b0, db0: T), gradient (b1, a1: T/m),
 * B''-coefficient (b2: T/m², the curve is already in AT's PolynomB convention)
 * or integrated dipole field for the steerers (x_kick, y_kick: T·m).
 */
export const PYTAC_MAGNET_FIELDS: Readonly<
  Record<string, { readonly order: number; readonly field: 'local' | 'integrated'; readonly strength: 'K' | 'kick'; readonly fieldUnits: string }>
> = {
  b0: { order: 0, field: 'local', strength: 'K', fieldUnits: 'T' },
  db0: { order: 0, field: 'local', strength: 'K', fieldUnits: 'T' },
  b1: { order: 1, field: 'local', strength: 'K', fieldUnits: 'T·m^-1' },
  a1: { order: 1, field: 'local', strength: 'K', fieldUnits: 'T·m^-1' },
  b2: { order: 2, field: 'local', strength: 'K', fieldUnits: 'T·m^-2' },
  x_kick: { order: 0, field: 'integrated', strength: 'kick', fieldUnits: 'T·m' },
  y_kick: { order: 0, field: 'integrated', strength: 'kick', fieldUnits: 'T·m' },
};
