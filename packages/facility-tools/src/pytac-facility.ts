import { join } from 'node:path';
import { type FamilyConfig, type ToolsConfig, resolveSettling } from '@mlayer/core';
import { assignDeviceIds, elementSectors, uniqueDeviceNames } from './device-ids.js';
import { PytacImportError } from './errors.js';
import { buildConversions, type ConversionSpec, type FieldUnits } from './pytac-conversions.js';
import { PYTAC_FILES, type PytacData, type PytacEpicsDevice } from './pytac-csv.js';
import { FamilyMapper, type FamilyKind } from './pytac-families.js';

/**
 * Builds the mlayer facility configuration (a plain object, ready for YAML)
 * from a pytac machine description. See pytac-families.ts for the family rule,
 * device-ids.ts for [sector, index] and pytac-conversions.ts for conversions.
 * Element indices are 0-based AT indices: pytac's el_id − 1 (pytac numbers the
 * elements of elements.csv from 1 in lattice order).
 */

type Channels = Record<string, string>;

export interface DeviceOut {
  device: [number, number];
  name: string;
  element?: number;
  /** For a family with an x and a y device (TUNE). */
  plane?: 'x' | 'y';
  channels?: { setpoint?: Channels; readback?: Channels; monitor?: Channels };
  conversion?: string;
  limits?: [number, number];
}

export interface FieldOut {
  channels?: Channels;
  units: FieldUnits;
  conversion?: string;
  limits?: [number, number];
  /** Settling (pytac states none: the element-class defaults of @mlayer/core, written out). */
  tolerance?: number;
  settleTime?: number;
  updatePeriod?: number;
}

export interface FamilyOut {
  elementClass: string;
  description: string;
  memberOf: string[];
  plane?: 'x' | 'y';
  model?: { field: string; index?: number; perLength?: boolean };
  fields: { setpoint?: FieldOut; readback?: FieldOut; monitor?: FieldOut };
  devices: DeviceOut[];
}

export interface FacilityOut {
  name: string;
  description: string;
  energy: number;
  particle: 'electron';
  lattice: { file: string };
  controlSystems: Record<string, { type: string; channelNames?: string; description: string }>;
  defaultMode: string;
  credits?: string;
  /** Defaults of the tools (written by import-pytac.ts: pytac-tools.ts). */
  tools?: ToolsConfig;
  /** Hand-written beam sections (import-pytac.ts: beam-sections.ts). */
  injection?: unknown;
  chamber?: unknown;
  openLine?: unknown;
  unitConversions: Record<string, ConversionSpec>;
  families: Record<string, FamilyOut>;
}

export interface BuiltFacility {
  readonly facility: FacilityOut;
  readonly notes: readonly string[];
  /** Comments for the YAML file: by family name and by conversion id. */
  readonly familyComments: ReadonlyMap<string, string>;
  readonly conversionComments: ReadonlyMap<string, string>;
  /** Number of distinct EPICS PV names in the facility. */
  readonly pvCount: number;
}

export interface BuildOptions {
  readonly name: string;
  /** Lattice file name inside the package. */
  readonly latticeFile: string;
  readonly description?: string;
  readonly credits?: string;
}

/** Family order in the file: groups in this order, then order of first appearance. */
const GROUP_ORDER = ['BPM', 'COR', 'QUAD', 'SEXT', 'SKEWQUAD', 'BEND', 'RF', 'TRIM', 'DCCT', 'TUNE', 'EMITTANCE'];

interface Member {
  readonly row: PytacEpicsDevice;
  readonly element: number | undefined;
}

export function buildPytacFacility(data: PytacData, options: BuildOptions): BuiltFacility {
  const mapper = new FamilyMapper(data);
  const conv = buildConversions(data, (elId) => mapper.familiesOf(elId));
  const epicsFile = join(data.dir, PYTAC_FILES.epicsDevices);
  const notes = [...conv.notes];

  // Group device rows by family, in file order.
  const groups = new Map<string, { kind: FamilyKind; owner: string; members: Member[] }>();
  for (const row of data.epicsDevices) {
    const a = mapper.assign(row);
    const g = groups.get(a.family) ?? { kind: a.kind, owner: a.owner, members: [] };
    g.members.push({ row, element: row.elId === 0 ? undefined : row.elId - 1 });
    groups.set(a.family, g);
  }

  const sectors = elementSectors(
    data.elements.length,
    data.epicsDevices.filter((d) => d.elId > 0).map((d) => ({ element: d.elId - 1, name: d.name })),
  );

  const families: Record<string, FamilyOut> = {};
  const order = [...groups.keys()].sort((a, b) => rank(groups.get(a)!.kind) - rank(groups.get(b)!.kind));
  for (const famName of order) {
    const g = groups.get(famName)!;
    const members = g.members;
    const toNumber = members.map((m) => ({ element: m.element, name: m.row.name, field: m.row.field }));
    const ids = assignDeviceIds(toNumber, (el) => sectors[el]);
    const names = uniqueDeviceNames(toNumber);

    const hasSet = members.some((m) => m.row.setPv);
    const hasGet = members.some((m) => m.row.getPv);
    for (const m of members) {
      if (hasSet && !m.row.setPv) throw new PytacImportError(epicsFile, m.row.line, `device ${m.row.name} of family ${famName} has no set_pv while other devices of the family have one`);
      if (hasGet && !m.row.getPv) throw new PytacImportError(epicsFile, m.row.line, `device ${m.row.name} of family ${famName} has no get_pv while other devices of the family have one`);
    }
    // set_pv → setpoint, get_pv → readback (with a setpoint) or monitor (read-only).
    const pvFields: { field: 'setpoint' | 'readback' | 'monitor'; pv: (r: PytacEpicsDevice) => string }[] = [];
    if (hasSet) pvFields.push({ field: 'setpoint', pv: (r) => r.setPv! });
    if (hasGet) pvFields.push({ field: hasSet ? 'readback' : 'monitor', pv: (r) => r.getPv! });

    const convs = members.map((m) => conv.forDevice(m.row.elId, m.row.field));
    const units = convs[0].units;
    convs.forEach((c, i) => {
      if (c.units.hardware !== units.hardware || c.units.physics !== units.physics) {
        throw new PytacImportError(
          epicsFile,
          members[i].row.line,
          `device ${members[i].row.name} of family ${famName} is in ${c.units.hardware || "''"} -> ${c.units.physics || "''"} but ${members[0].row.name} is in ${units.hardware || "''"} -> ${units.physics || "''"} (unitconv.csv ${c.row ? `line ${c.row.line}` : 'has no row for it'})`,
        );
      }
    });
    const convIds = convs.map((c) => c.id);
    const sharedConv = convIds.every((id) => id === convIds[0]) ? convIds[0] : undefined;
    const limits = convs.map((c) => c.limits);
    const sameLimits = limits.every((l) => l !== undefined && limits[0] !== undefined && l[0] === limits[0][0] && l[1] === limits[0][1]);

    const devices: DeviceOut[] = members.map((m, i) => {
      // A family without a plane holding devices of fields named *_x / *_y (TUNE): plane per device.
      const plane = g.kind.plane ? undefined : /_x$/.test(m.row.field) ? 'x' : /_y$/.test(m.row.field) ? 'y' : undefined;
      return { device: ids[i], name: names[i], ...(m.element !== undefined ? { element: m.element } : {}), ...(plane ? { plane } : {}) };
    });
    const fields: FamilyOut['fields'] = {};
    for (const { field, pv } of pvFields) {
      const out: FieldOut = { units: { ...units } };
      const template = channelTemplate(members.map((m) => pv(m.row)), names);
      if (template) out.channels = { epics: template };
      else {
        devices.forEach((d, i) => {
          d.channels ??= {};
          d.channels[field] = { epics: pv(members[i].row) };
        });
      }
      if (sharedConv) out.conversion = sharedConv;
      if (field === 'setpoint' && sameLimits) out.limits = [...limits[0]!];
      fields[field] = out;
    }
    devices.forEach((d, i) => {
      if (!sharedConv && convIds[i]) d.conversion = convIds[i];
      if (hasSet && !sameLimits && limits[i]) d.limits = [...limits[i]!];
    });
    if (!sharedConv && convIds.some((id) => id === undefined) && convIds.some((id) => id !== undefined)) {
      const i = convIds.findIndex((id) => id === undefined);
      throw new PytacImportError(epicsFile, members[i].row.line, `device ${members[i].row.name} of family ${famName} has no unit conversion while other devices of the family have one`);
    }
    families[famName] = {
      elementClass: g.kind.elementClass,
      description: `${g.kind.description} (${members.length} device${members.length === 1 ? '' : 's'})`,
      memberOf: [...g.kind.memberOf],
      ...(g.kind.plane ? { plane: g.kind.plane } : {}),
      ...(g.kind.model ? { model: { ...g.kind.model } } : {}),
      fields,
      devices,
    };
    writeSettlingDefaults(families[famName]);
  }

  const unitConversions: Record<string, ConversionSpec> = {};
  for (const [id, spec] of conv.specs) unitConversions[id] = spec;

  const facility: FacilityOut = {
    name: options.name,
    description: options.description ?? `${options.name}: imported from the pytac machine description with mlayer facility import-pytac`,
    energy: latticeEnergy(data, conv.rowFor(0, 'energy')),
    particle: 'electron',
    lattice: { file: options.latticeFile },
    controlSystems: {
      twin: { type: 'twin', channelNames: 'epics', description: 'digital twin of the lattice, serving the EPICS PV names' },
      epics: { type: 'epics', description: 'the machine (EPICS Channel Access)' },
    },
    defaultMode: 'twin',
    ...(options.credits ? { credits: options.credits } : {}),
    unitConversions,
    families,
  };
  for (const d of data.simpleDevices) {
    if (!(d.elId === 0 && d.field === 'energy')) notes.push(`simple_devices.csv line ${d.line}: constant ${d.field} = ${d.value} of element ${d.elId} not imported (the facility schema has no constant-valued devices).`);
  }
  const pvs = new Set<string>();
  for (const d of data.epicsDevices) {
    if (d.getPv) pvs.add(d.getPv);
    if (d.setPv) pvs.add(d.setPv);
  }
  return { facility, notes, familyComments: familyComments(facility, data, conv.comments), conversionComments: conv.comments, pvCount: pvs.size };
}

/**
 * pytac gives no settle times, tolerances or update periods: the element-class defaults
 * of @mlayer/core (settling-defaults.ts) are written out, so that the file shows what a
 * measurement uses and a facility can change it where it is wrong.
 */
function writeSettlingDefaults(fam: FamilyOut): void {
  const s = resolveSettling(fam as unknown as FamilyConfig);
  const clean = (v: number) => Number(v.toPrecision(6));
  if (fam.fields.setpoint) {
    fam.fields.setpoint.settleTime = clean(s.settleTime);
    if (s.tolerance !== undefined) fam.fields.setpoint.tolerance = clean(s.tolerance);
  }
  const read = fam.fields.monitor ?? fam.fields.readback;
  if (read && s.updatePeriod !== undefined) read.updatePeriod = clean(s.updatePeriod);
}

function rank(kind: FamilyKind): number {
  const i = GROUP_ORDER.findIndex((g) => kind.memberOf.includes(g));
  return i < 0 ? GROUP_ORDER.length : i;
}

/** `{name}<suffix>` when every PV is its device name plus one common suffix. */
function channelTemplate(pvs: readonly string[], names: readonly string[]): string | undefined {
  let suffix: string | undefined;
  for (let i = 0; i < pvs.length; i++) {
    if (!pvs[i].startsWith(names[i])) return undefined;
    const s = pvs[i].slice(names[i].length);
    if (suffix === undefined) suffix = s;
    else if (s !== suffix) return undefined;
  }
  return suffix === undefined ? undefined : `{name}${suffix}`;
}

/** The beam energy in eV: simple_devices.csv energy through its unitconv.csv curve. */
function latticeEnergy(data: PytacData, row: ReturnType<ReturnType<typeof buildConversions>['rowFor']>): number {
  const file = join(data.dir, PYTAC_FILES.simpleDevices);
  const d = data.simpleDevices.find((s) => s.elId === 0 && s.field === 'energy');
  if (!d) throw new PytacImportError(file, undefined, 'no lattice energy (el_id 0, field energy): the facility needs the beam energy');
  const ucFile = join(data.dir, PYTAC_FILES.unitconv);
  if (!row) throw new PytacImportError(ucFile, undefined, 'no conversion for the lattice energy (el_id 0, field energy)');
  if (row.physUnits !== 'eV') throw new PytacImportError(ucFile, row.line, `the lattice energy is in '${row.physUnits}' physics units; expected eV`);
  if (row.ucType === 'null') return d.value;
  if (row.ucType !== 'poly') throw new PytacImportError(ucFile, row.line, `the lattice energy conversion must be poly or null, got ${row.ucType}`);
  const c = data.poly.get(row.ucId)!.coefficients;
  let e = 0;
  for (let k = c.length - 1; k >= 0; k--) e = e * d.value + c[k];
  if (!(e > 0)) throw new PytacImportError(file, d.line, `the lattice energy ${d.value} ${row.engUnits} gives ${e} eV; expected > 0`);
  return e;
}

/** Comments on families whose import needed a convention or a trap fix. */
function familyComments(f: FacilityOut, data: PytacData, convComments: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, fam] of Object.entries(f.families)) {
    const lines: string[] = [];
    const ids = new Set([fam.fields.setpoint?.conversion, fam.fields.readback?.conversion, fam.fields.monitor?.conversion, ...fam.devices.map((d) => d.conversion)]);
    if (fam.elementClass === 'BPM' && fam.fields.monitor?.units.hardware === 'mm' && fam.fields.monitor.units.physics === 'm') {
      lines.push("pytac labels these phys 'mm', eng 'm', but its curve is phys = 0.001·eng: the PVs are in mm,", 'the physics value in m (labels swapped back here).');
    }
    if ([...ids].some((id) => id !== undefined && convComments.has(id))) {
      lines.push('pytac files these conversions under field x_kick (the elements have no x_kick device);', 'they are used for the y_kick devices here. pytac itself gives y_kick no conversion.');
    }
    if (fam.model?.field === 'KickAngle' && fam.devices.some((d) => d.element !== undefined && data.elements[d.element].type.toLowerCase() === 'sextupole')) {
      lines.push('Most of these steerers are coils on sextupoles: the element is the sextupole, kicked through KickAngle.');
    }
    const shared = fam.devices.filter((d) => d.element !== undefined && d.name.includes('#')).length;
    if (shared > 0) lines.push(`${shared} devices share one power supply (same PVs); names get #k along the ring.`);
    if (fam.model?.perLength) lines.push('b0 (1/rho, m^-1) is BendingAngle / Length: the twin sets BendingAngle = b0 x Length (model perLength).');
    if (lines.length) out.set(name, lines.join('\n'));
  }
  return out;
}
