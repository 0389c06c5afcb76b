import type { PytacData, PytacEpicsDevice } from './pytac-csv.js';
import { PytacImportError } from './errors.js';
import { PYTAC_FILES } from './pytac-csv.js';
import { join } from 'node:path';

/**
 * Which mlayer family a pytac device (an element field with PVs) belongs to.
 *
 * pytac attaches devices to elements and elements to families (several at a
 * time: a Diamond sextupole is in S2A, HSTR, VSTR and SQUAD and carries b2,
 * x_kick, y_kick, a1 and four feedback flags). An mlayer family holds ONE kind
 * of device, so each device row goes to exactly one family:
 * 1. ring-level devices (el_id 0): beam_current → DCCT, tune_x/tune_y → TUNE,
 *    emittance_x/emittance_y → EMITx/EMITy; any other field F → F in capitals;
 * 2. a field owned by a role family the element is in (ROLE_FIELDS: x/y and the
 *    BPM flags → BPM; x_kick → HSTR, else HTRIM; y_kick → VSTR, else VTRIM; the
 *    steerer flags → HSTR/VSTR; a1 → SQUAD) goes to that family;
 * 3. any other field goes to the element's own family: its families.csv family
 *    that is not a role family (Q1D, S2A, BB, RF, ...).
 * The family is named after the owner when the field is the owner's main field
 * (HSTR x_kick, Q1D b1, S2A b2, BB b0, RF f, SQUAD a1; BPM x/y → BPMx/BPMy) and
 * `<owner>_<field>` otherwise (BPM_enabled, HSTR_h_fofb_disabled, BBVMXL_db0).
 * pytac compares family names without case; the spelling of families.csv is kept.
 */

export interface ModelBindingOut {
  readonly field: string;
  readonly index?: number;
  /** The AT field is integrated while the physics value is per metre (bends: BendingAngle = b0 × L). */
  readonly perLength?: boolean;
}

export interface FamilyKind {
  readonly elementClass: string;
  readonly memberOf: readonly string[];
  readonly plane?: 'x' | 'y';
  readonly model?: ModelBindingOut;
  readonly description: string;
}

export interface FamilyAssignment {
  readonly family: string;
  readonly kind: FamilyKind;
  /** The pytac family that owns the field ('' for ring-level devices). */
  readonly owner: string;
}

const ROLE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  x: ['BPM'],
  y: ['BPM'],
  enabled: ['BPM'],
  x_fofb_disabled: ['BPM'],
  x_sofb_disabled: ['BPM'],
  y_fofb_disabled: ['BPM'],
  y_sofb_disabled: ['BPM'],
  x_kick: ['HSTR', 'HTRIM'],
  h_fofb_disabled: ['HSTR'],
  h_sofb_disabled: ['HSTR'],
  y_kick: ['VSTR', 'VTRIM'],
  v_fofb_disabled: ['VSTR'],
  v_sofb_disabled: ['VSTR'],
  a1: ['SQUAD'],
};
const ROLE_FAMILIES = new Set(Object.values(ROLE_FIELDS).flat().map((f) => f.toLowerCase()));

/** Main field and kind of the role families. */
const ROLE_KINDS: Readonly<Record<string, { field: string; kind: Omit<FamilyKind, 'description'> }>> = {
  hstr: { field: 'x_kick', kind: { elementClass: 'Corrector', memberOf: ['COR', 'HCM', 'Magnet'], plane: 'x', model: { field: 'KickAngle', index: 0 } } },
  vstr: { field: 'y_kick', kind: { elementClass: 'Corrector', memberOf: ['COR', 'VCM', 'Magnet'], plane: 'y', model: { field: 'KickAngle', index: 1 } } },
  htrim: { field: 'x_kick', kind: { elementClass: 'Corrector', memberOf: ['TRIM', 'Magnet'], plane: 'x', model: { field: 'KickAngle', index: 0 } } },
  vtrim: { field: 'y_kick', kind: { elementClass: 'Corrector', memberOf: ['TRIM', 'Magnet'], plane: 'y', model: { field: 'KickAngle', index: 1 } } },
  squad: { field: 'a1', kind: { elementClass: 'SkewQuad', memberOf: ['SKEWQUAD', 'Magnet'], model: { field: 'PolynomA', index: 1 } } },
};

/**
 * Main field and kind of an element's own family, by pytac element type. Bends:
 * pytac's b0 is 1/ρ (m^-1) = BendingAngle / Length, hence `perLength`.
 */
const TYPE_KINDS: Readonly<Record<string, { field: string; kind: Omit<FamilyKind, 'description'> }>> = {
  quadrupole: { field: 'b1', kind: { elementClass: 'Quadrupole', memberOf: ['QUAD', 'Magnet'], model: { field: 'PolynomB', index: 1 } } },
  sextupole: { field: 'b2', kind: { elementClass: 'Sextupole', memberOf: ['SEXT', 'Magnet'], model: { field: 'PolynomB', index: 2 } } },
  bend: { field: 'b0', kind: { elementClass: 'Bend', memberOf: ['BEND', 'Magnet'], model: { field: 'BendingAngle', perLength: true } } },
  rfcavity: { field: 'f', kind: { elementClass: 'RF', memberOf: ['RF'], model: { field: 'Frequency' } } },
};

const RING_FIELDS: Readonly<Record<string, { family: string; kind: Omit<FamilyKind, 'description'> }>> = {
  beam_current: { family: 'DCCT', kind: { elementClass: 'DCCT', memberOf: ['DCCT', 'Diagnostics'] } },
  tune_x: { family: 'TUNE', kind: { elementClass: 'Tune', memberOf: ['TUNE', 'Diagnostics'] } },
  tune_y: { family: 'TUNE', kind: { elementClass: 'Tune', memberOf: ['TUNE', 'Diagnostics'] } },
  // Separate families: pytac gives the two planes different hardware units (nm, pm).
  emittance_x: { family: 'EMITx', kind: { elementClass: 'Emittance', memberOf: ['EMITTANCE', 'Diagnostics'], plane: 'x' } },
  emittance_y: { family: 'EMITy', kind: { elementClass: 'Emittance', memberOf: ['EMITTANCE', 'Diagnostics'], plane: 'y' } },
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** x or y from a field name prefix (x_kick, h_fofb_disabled, y_sofb_disabled, ...). */
function planeOfField(field: string): 'x' | 'y' | undefined {
  if (/^(x|h)(_|$)/.test(field)) return 'x';
  if (/^(y|v)(_|$)/.test(field)) return 'y';
  return undefined;
}

/** Families of each element from families.csv (pytac also puts every element in the family named by its type; not added here). */
export function elementFamilies(data: PytacData): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const e of data.elements) out.set(e.elId, []);
  for (const f of data.families) {
    const list = out.get(f.elId)!;
    if (!list.some((x) => x.toLowerCase() === f.family.toLowerCase())) list.push(f.family);
  }
  return out;
}

export class FamilyMapper {
  private readonly families: Map<number, string[]>;
  private readonly file: string;

  constructor(private readonly data: PytacData) {
    this.families = elementFamilies(data);
    this.file = join(data.dir, PYTAC_FILES.epicsDevices);
  }

  /** Families of the element (families.csv spelling). */
  familiesOf(elId: number): readonly string[] {
    return this.families.get(elId) ?? [];
  }

  typeOf(elId: number): string {
    return this.data.elements[elId - 1].type;
  }

  assign(d: PytacEpicsDevice): FamilyAssignment {
    if (d.elId === 0) {
      const ring = RING_FIELDS[d.field];
      if (ring) return { family: ring.family, owner: '', kind: { ...ring.kind, description: `ring-level pytac field ${Object.keys(RING_FIELDS).filter((k) => RING_FIELDS[k].family === ring.family).join(', ')}` } };
      const family = d.field.toUpperCase();
      this.checkName(family, d);
      return { family, owner: '', kind: { elementClass: 'Diagnostic', memberOf: ['Diagnostics'], description: `ring-level pytac field ${d.field}` } };
    }
    const fams = this.familiesOf(d.elId);
    const lower = (s: string) => s.toLowerCase();
    const roles = ROLE_FIELDS[d.field];
    let owner: string | undefined;
    if (roles) for (const r of roles) if (!owner) owner = fams.find((f) => lower(f) === lower(r));
    if (!owner) {
      const own = fams.filter((f) => !ROLE_FAMILIES.has(lower(f)));
      if (own.length > 1) {
        throw new PytacImportError(this.file, d.line, `cannot tell which family owns field '${d.field}' of element ${d.elId}: it is in ${own.join(', ')} (none of them a role family for this field)`);
      }
      owner = own[0] ?? this.typeOf(d.elId);
    }
    const type = lower(this.typeOf(d.elId));
    const role = ROLE_KINDS[lower(owner)];
    const byType = TYPE_KINDS[type];
    let family: string;
    let kind: Omit<FamilyKind, 'description'>;
    if (lower(owner) === 'bpm' && (d.field === 'x' || d.field === 'y')) {
      family = `${owner}${d.field}`;
      kind = { elementClass: 'BPM', memberOf: ['BPM', 'Diagnostics'], plane: d.field, model: { field: 'Orbit', index: d.field === 'x' ? 0 : 2 } };
    } else if (role && role.field === d.field) {
      family = owner;
      kind = role.kind;
    } else if (!role && byType && byType.field === d.field && !ROLE_FAMILIES.has(lower(owner))) {
      family = owner;
      kind = byType.kind;
    } else {
      family = `${owner}_${d.field}`;
      const plane = planeOfField(d.field);
      kind = /(^|_)(enabled|disabled)$/.test(d.field)
        ? { elementClass: 'Status', memberOf: ['Status'], ...(plane ? { plane } : {}) }
        : { elementClass: this.typeOf(d.elId), memberOf: [], ...(plane ? { plane } : {}) };
    }
    this.checkName(family, d);
    return { family, owner, kind: { ...kind, description: `pytac family ${owner}, field ${d.field}` } };
  }

  private checkName(family: string, d: PytacEpicsDevice): void {
    if (!IDENTIFIER.test(family)) {
      throw new PytacImportError(this.file, d.line, `family name '${family}' (from field '${d.field}' of element ${d.elId}) is not an identifier (letters, digits, _ . -)`);
    }
  }
}
