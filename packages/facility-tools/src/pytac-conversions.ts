import { join } from 'node:path';
import { PYTAC_MAGNET_FIELDS, pytacPchipReference, pytacPolyReference, withUnits } from '@mlayer/calibration';
import { PytacImportError } from './errors.js';
import { PYTAC_FILES, type PytacData, type PytacUnitconv } from './pytac-csv.js';

/**
 * pytac unit conversions as mlayer `unitConversions` entries, one per pytac
 * curve (`poly_<uc_id>`, `pchip_<uc_id>`), referring to the unchanged pytac
 * curve files copied into the facility package (`pytac/uc_*_data.csv`).
 *
 * Direction: pytac curves map the engineering value to the physics value
 * (phys = Σ c_k·eng^k; phys = pchip(eng)); mlayer's hardware is pytac's
 * engineering value, so the curves are used as they are.
 *
 * Rigidity: pytac divides the curve by Bρ (from the lattice energy) for elements
 * in the families hstr, vstr, quadrupole, sextupole, multipole or bend
 * (`load_csv.load_unitconv`); such curves become a `rigidity` conversion (curve
 * = field, strength = field / Bρ) with the field kinds of PYTAC_MAGNET_FIELDS.
 * Other curves (BPMs, trims, emittance, energy) are plain curves.
 *
 * Tables: pytac's PchipInterpolator extrapolates and pytac then checks the
 * unitconv.csv limits, so a table used with limits wider than its points gets
 * `extrapolation: extend` over the hull of the table and those limits.
 */

const RIGIDITY_FAMILIES = new Set(['hstr', 'vstr', 'quadrupole', 'sextupole', 'multipole', 'bend']);
const KICK_PARTNER: Readonly<Record<string, string>> = { x_kick: 'y_kick', y_kick: 'x_kick' };
export const POLY_FILE = `pytac/${PYTAC_FILES.polyData}`;
export const PCHIP_FILE = `pytac/${PYTAC_FILES.pchipData}`;

export interface FieldUnits {
  readonly hardware: string;
  readonly physics: string;
}

/** What a device field gets from unitconv.csv. */
export interface DeviceConversion {
  /** Id of the unitConversions entry; undefined for pytac's `null` conversion or no row. */
  readonly id: string | undefined;
  readonly units: FieldUnits;
  readonly limits: [number, number] | undefined;
  /** The unitconv.csv row (undefined when the device has none). */
  readonly row: PytacUnitconv | undefined;
}

export type ConversionSpec = Record<string, unknown> & { type: string };

export interface PytacConversions {
  readonly specs: ReadonlyMap<string, ConversionSpec>;
  /** Conversion of a device field: key `${elId}:${field}`. */
  forDevice(elId: number, field: string): DeviceConversion;
  /** The unitconv.csv row of a field with no device (e.g. the lattice energy). */
  rowFor(elId: number, field: string): PytacUnitconv | undefined;
  readonly notes: readonly string[];
  /** Comments for the facility file, by conversion id. */
  readonly comments: ReadonlyMap<string, string>;
}

export function conversionId(row: Pick<PytacUnitconv, 'ucType' | 'ucId'>): string {
  return `${row.ucType}_${row.ucId}`;
}

function isKick(field: string): boolean {
  return field === 'x_kick' || field === 'y_kick';
}

/** phys = 0.001·eng exactly (a polynomial of order 1 without offset). */
function isMilli(coefficients: readonly number[]): boolean {
  const c = coefficients;
  return c.length === 2 && c[0] === 0 && Math.abs(c[1] - 1e-3) <= 1e-15;
}

export function buildConversions(data: PytacData, familiesOf: (elId: number) => readonly string[]): PytacConversions {
  const unitconvFile = join(data.dir, PYTAC_FILES.unitconv);
  const key = (elId: number, field: string) => `${elId}:${field}`;
  const deviceKeys = new Set(data.epicsDevices.map((d) => key(d.elId, d.field)));
  const notes: string[] = [];
  const comments = new Map<string, string>();

  // (element, field) → row; a field that appears twice is an error.
  const rows = new Map<string, PytacUnitconv>();
  for (const r of data.unitconv) {
    const k = key(r.elId, r.field);
    const prev = rows.get(k);
    if (prev) throw new PytacImportError(unitconvFile, r.line, `element ${r.elId} field '${r.field}' has a second conversion (first on line ${prev.line})`);
    rows.set(k, r);
  }
  // Effective field of each row. TRAP (pytac I04): each VTRIM element files its
  // conversion under field x_kick although its only device is y_kick, which
  // then has no conversion in pytac. A kick row for a field the element has no
  // device for, when the element's other kick device has no row, is used for
  // that other kick device.
  const effectiveField = new Map<PytacUnitconv, string>();
  const moved = new Map<string, PytacUnitconv[]>();
  for (const r of data.unitconv) {
    effectiveField.set(r, r.field);
    const partner = KICK_PARTNER[r.field];
    if (!partner || deviceKeys.has(key(r.elId, r.field))) continue;
    if (!deviceKeys.has(key(r.elId, partner)) || rows.has(key(r.elId, partner))) continue;
    effectiveField.set(r, partner);
    rows.delete(key(r.elId, r.field));
    rows.set(key(r.elId, partner), r);
    const what = `${data.elements[r.elId - 1].type} ${r.field} → ${partner}`;
    moved.set(what, [...(moved.get(what) ?? []), r]);
  }
  for (const [what, list] of moved) {
    const [type, from, , to] = what.split(' ');
    notes.push(
      `unitconv.csv gives ${list.length} ${type} element(s) their conversion under field ${from} although their device is ${to} (no ${from} device, no ${to} conversion): used for ${to} (lines ${list.map((r) => r.line).join(', ')}).`,
    );
  }

  const typeOf = (elId: number) => (elId === 0 ? '' : data.elements[elId - 1].type);
  const usesRigidity = (elId: number) =>
    elId > 0 && [...familiesOf(elId), typeOf(elId)].some((f) => RIGIDITY_FAMILIES.has(f.toLowerCase()));

  let swapped = 0;
  const unitsOf = (r: PytacUnitconv, field: string): FieldUnits => {
    let hardware = r.engUnits;
    let physics = r.physUnits;
    // pytac writes no unit for kick angles.
    if (isKick(field) && physics === '') physics = 'rad';
    // TRAP (pytac I04): the BPM rows say phys 'mm', eng 'm', but the polynomial
    // is phys = 0.001·eng: the PVs are in mm and the physics value in m, the
    // labels are swapped. Swapped back when the curve proves it.
    if (r.ucType === 'poly' && physics === 'mm' && hardware === 'm' && isMilli(data.poly.get(r.ucId)!.coefficients)) {
      hardware = 'mm';
      physics = 'm';
      swapped++;
    }
    return { hardware, physics };
  };

  const specOf = (r: PytacUnitconv, field: string, units: FieldUnits): ConversionSpec => {
    const ref = r.ucType === 'poly' ? pytacPolyReference(POLY_FILE, r.ucId) : pytacPchipReference(PCHIP_FILE, r.ucId);
    if (!usesRigidity(r.elId)) return withUnits(ref, units.hardware, units.physics) as ConversionSpec;
    const m = PYTAC_MAGNET_FIELDS[field];
    if (!m) {
      throw new PytacImportError(unitconvFile, r.line, `element ${r.elId} (${typeOf(r.elId)}) is in a family pytac divides by Bρ, but field '${field}' is not a magnet field (${Object.keys(PYTAC_MAGNET_FIELDS).join(', ')})`);
    }
    return {
      type: 'rigidity',
      order: m.order,
      field: m.field,
      strength: m.strength,
      hardwareUnits: units.hardware,
      physicsUnits: units.physics,
      curve: withUnits(ref, units.hardware, m.fieldUnits),
    };
  };

  // One entry per curve; every row using a curve must give the same conversion.
  const groups = new Map<string, { spec: ConversionSpec; first: PytacUnitconv; rows: PytacUnitconv[]; fields: Set<string> }>();
  const deviceConv = new Map<string, DeviceConversion>();
  for (const r of data.unitconv) {
    const field = effectiveField.get(r)!;
    const units = unitsOf(r, field);
    const limits: [number, number] | undefined = r.lowerLimit !== undefined ? [r.lowerLimit, r.upperLimit!] : undefined;
    if (r.ucType === 'null') {
      deviceConv.set(key(r.elId, field), { id: undefined, units, limits, row: r });
      continue;
    }
    const id = conversionId(r);
    const spec = specOf(r, field, units);
    const g = groups.get(id);
    if (!g) groups.set(id, { spec, first: r, rows: [r], fields: new Set([field]) });
    else {
      if (JSON.stringify(g.spec) !== JSON.stringify(spec)) {
        throw new PytacImportError(
          unitconvFile,
          r.line,
          `curve ${r.ucType} ${r.ucId} is used here as ${JSON.stringify(spec)} but on line ${g.first.line} as ${JSON.stringify(g.spec)}; one curve must have one meaning (units and Bρ)`,
        );
      }
      g.rows.push(r);
      g.fields.add(field);
    }
    deviceConv.set(key(r.elId, field), { id, units, limits, row: r });
  }
  if (swapped > 0) notes.push(`${swapped} unitconv.csv row(s) label BPM x/y as phys 'mm', eng 'm' while the curve is phys = 0.001·eng: imported as hardware mm, physics m.`);

  const specs = new Map<string, ConversionSpec>();
  for (const [id, g] of [...groups].sort((a, b) => compareIds(a[0], b[0]))) {
    const rig = g.spec.type === 'rigidity';
    const { type, ...rest } = g.spec;
    const spec: ConversionSpec = {
      type,
      description: `pytac ${g.first.ucType} uc_id ${g.first.ucId}: ${[...g.fields].join(', ')} of ${g.rows.length} element(s)${rig ? ', curve / Bρ' : ''}`,
      ...rest,
    };
    if (g.first.ucType === 'pchip') {
      const curve = data.pchip.get(g.first.ucId)!;
      let lo = curve.eng[0];
      let hi = curve.eng[curve.eng.length - 1];
      for (const r of g.rows) {
        if (r.lowerLimit !== undefined) lo = Math.min(lo, r.lowerLimit);
        if (r.upperLimit !== undefined) hi = Math.max(hi, r.upperLimit);
      }
      if (lo < curve.eng[0] || hi > curve.eng[curve.eng.length - 1]) {
        const inner = (rig ? spec.curve : spec) as Record<string, unknown>;
        inner.extrapolation = 'extend';
        inner.domain = [lo, hi];
      }
    }
    specs.set(id, spec);
    if (g.rows.some((r) => effectiveField.get(r) !== r.field)) comments.set(id, 'filed under x_kick in unitconv.csv, used for the y_kick device (see README)');
  }
  const unused = [...[...data.poly.keys()].filter((id) => !groups.has(`poly_${id}`)).map((id) => `poly ${id}`), ...[...data.pchip.keys()].filter((id) => !groups.has(`pchip_${id}`)).map((id) => `pchip ${id}`)];
  if (unused.length > 0) notes.push(`curves not used by any unitconv.csv row (not imported: their units are unknown): ${unused.join(', ')}.`);

  return {
    specs,
    notes,
    comments,
    rowFor: (elId, field) => rows.get(key(elId, field)),
    forDevice: (elId, field) => deviceConv.get(key(elId, field)) ?? { id: undefined, units: { hardware: '', physics: '' }, limits: undefined, row: undefined },
  };
}

function compareIds(a: string, b: string): number {
  const [ta, na] = a.split('_');
  const [tb, nb] = b.split('_');
  return ta.localeCompare(tb) || Number(na) - Number(nb);
}
