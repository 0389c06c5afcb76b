import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { facilityChannels, loadFacility, readBpmReference, sameUnits, UnitConversionRegistry, type FieldName, type LoadedFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { importPytac, type ImportPytacResult } from '@mlayer/facility-tools';
import { csvRows, DIAMOND_DIR, electronBrho, LATTICE, PACKAGE_DIR, PYTAC_DIR, relErr, tempDir } from '../helpers.js';

// The pytac files, read here independently of the importer.
const P = (f: string) => csvRows(join(PYTAC_DIR, f));
const elements = P('elements.csv'); // el_id k is row k-1
const familyRows = P('families.csv');
const devices = P('epics_devices.csv');
const unitconv = P('unitconv.csv');
const polyRows = P('uc_poly_data.csv');
const pchipRows = P('uc_pchip_data.csv');
const simple = P('simple_devices.csv');

const typeOf = (elId: number) => elements[elId - 1].type;
/** pytac families of an element, lower case (families.csv plus the element type, as pytac does). */
const famsOf = new Map<number, Set<string>>();
elements.forEach((e, i) => famsOf.set(i + 1, new Set([e.type.toLowerCase()])));
for (const r of familyRows) famsOf.get(Number(r.el_id))!.add(r.family.toLowerCase());
const inFamily = (elId: number, fam: string) => elId > 0 && famsOf.get(elId)!.has(fam.toLowerCase());
/** pytac divides by Bρ for these families (load_csv.load_unitconv). */
const divByBrho = (elId: number) => ['hstr', 'vstr', 'quadrupole', 'sextupole', 'multipole', 'bend'].some((f) => inFamily(elId, f));

const FIELDS: FieldName[] = ['setpoint', 'readback', 'monitor'];

let result: ImportPytacResult;
let facility: LoadedFacility;
let registry: UnitConversionRegistry;

beforeAll(() => {
  const out = tempDir('diamond-i04');
  result = importPytac({ pytacDir: PYTAC_DIR, latticeFile: LATTICE, outDir: out, name: 'diamond-i04' });
  facility = loadFacility(result.facilityFile);
  registry = new UnitConversionRegistry();
  registerCalibration(registry);
});

/** The device carrying an epics_devices.csv row: same element, same get/set PVs. */
function deviceOf(row: Record<string, string>): { family: string; index: number } | undefined {
  const element = Number(row.el_id) === 0 ? undefined : Number(row.el_id) - 1;
  for (const [family, fam] of Object.entries(facility.config.families)) {
    for (let i = 0; i < fam.devices.length; i++) {
      if (fam.devices[i].element !== element) continue;
      const get = facility.channel(family, i, 'readback', 'epics') ?? facility.channel(family, i, 'monitor', 'epics');
      const set = facility.channel(family, i, 'setpoint', 'epics');
      if (get === (row.get_pv || undefined) && set === (row.set_pv || undefined)) {
        // b0 and db0 of the BBVMX dipoles share their PVs: pick the family of the field.
        if (row.field === 'db0' && !family.endsWith('_db0')) continue;
        if (row.field === 'b0' && family.endsWith('_db0')) continue;
        return { family, index: i };
      }
    }
  }
  return undefined;
}

function conversionIdOf(family: string, index: number): string | undefined {
  const fam = facility.config.families[family];
  const d = fam.devices[index];
  return d.conversion ?? fam.fields.setpoint?.conversion ?? fam.fields.readback?.conversion ?? fam.fields.monitor?.conversion;
}

describe('pytac import of Diamond I04', () => {
  it('every get_pv and set_pv of epics_devices.csv is a channel of the epics control system, on its element', () => {
    const pvs = new Set<string>();
    let missing = 0;
    for (const row of devices) {
      if (row.get_pv) pvs.add(row.get_pv);
      if (row.set_pv) pvs.add(row.set_pv);
      const dev = deviceOf(row);
      if (!dev) missing++;
      expect(dev, `epics_devices.csv ${row.name} ${row.field} (${row.get_pv} / ${row.set_pv})`).toBeDefined();
    }
    expect(missing).toBe(0);
    const epics = facilityChannels(facility, 'epics').map((c) => c.channel);
    // nothing invented: every channel is a pytac PV, and every PV is there
    expect(new Set(epics)).toEqual(pvs);
    expect(pvs.size).toBe(new Set(devices.flatMap((r) => [r.get_pv, r.set_pv]).filter((s) => s)).size);
    // the twin serves the same names
    expect(facilityChannels(facility, 'twin').map((c) => c.channel)).toEqual(epics);
    expect(facility.config.controlSystems.twin).toMatchObject({ type: 'twin', channelNames: 'epics' });
    expect(facility.config.controlSystems.epics.type).toBe('epics');
    expect(facility.config.defaultMode).toBe('twin');
  });

  it('device counts per family match the CSV files', () => {
    const count = (pred: (r: Record<string, string>) => boolean) => devices.filter(pred).length;
    const el = (r: Record<string, string>) => Number(r.el_id);
    const expected: Record<string, number> = {
      BPMx: count((r) => r.field === 'x' && inFamily(el(r), 'BPM')),
      BPMy: count((r) => r.field === 'y' && inFamily(el(r), 'BPM')),
      HSTR: count((r) => r.field === 'x_kick' && inFamily(el(r), 'HSTR')),
      VSTR: count((r) => r.field === 'y_kick' && inFamily(el(r), 'VSTR')),
      HTRIM: count((r) => r.field === 'x_kick' && !inFamily(el(r), 'HSTR') && inFamily(el(r), 'HTRIM')),
      VTRIM: count((r) => r.field === 'y_kick' && !inFamily(el(r), 'VSTR') && inFamily(el(r), 'VTRIM')),
      SQUAD: count((r) => r.field === 'a1' && inFamily(el(r), 'SQUAD')),
      RF: count((r) => r.field === 'f'),
      DCCT: count((r) => r.field === 'beam_current'),
      TUNE: count((r) => r.field === 'tune_x' || r.field === 'tune_y'),
      EMITx: count((r) => r.field === 'emittance_x'),
      EMITy: count((r) => r.field === 'emittance_y'),
    };
    for (const f of ['enabled', 'x_fofb_disabled', 'x_sofb_disabled', 'y_fofb_disabled', 'y_sofb_disabled']) expected[`BPM_${f}`] = count((r) => r.field === f);
    for (const f of ['h_fofb_disabled', 'h_sofb_disabled']) expected[`HSTR_${f}`] = count((r) => r.field === f);
    for (const f of ['v_fofb_disabled', 'v_sofb_disabled']) expected[`VSTR_${f}`] = count((r) => r.field === f);
    // magnet families: the families.csv family of the element's main field
    const magnetField: Record<string, string> = { quadrupole: 'b1', sextupole: 'b2', bend: 'b0' };
    const famNames = [...new Set(familyRows.map((r) => r.family))];
    for (const fam of famNames) {
      const members = familyRows.filter((r) => r.family === fam).map((r) => Number(r.el_id));
      const field = magnetField[typeOf(members[0]).toLowerCase()];
      if (!field || ['HSTR', 'VSTR', 'SQUAD'].includes(fam)) continue;
      const n = count((r) => r.field === field && members.includes(el(r)));
      if (n > 0) expected[fam] = n;
      const trims = count((r) => r.field === 'db0' && members.includes(el(r)));
      if (trims > 0) expected[`${fam}_db0`] = trims;
    }
    const actual = Object.fromEntries(Object.entries(facility.config.families).map(([n, f]) => [n, f.devices.length]));
    expect(actual).toEqual(expected);
    expect(Object.values(actual).reduce((a, b) => a + b, 0)).toBe(devices.length);
    expect(result.devices).toBe(devices.length);
  });

  it('every pytac curve is a unit conversion with pytac direction (eng → phys) and Bρ where pytac divides by it', () => {
    const brho = electronBrho(facility.config.energy);
    const ctx = { beam: { energy: facility.config.energy, particle: 'electron' as const }, brho };
    const usage = new Map<string, Record<string, string>[]>();
    for (const r of unitconv) if (r.uc_type !== 'null') usage.set(`${r.uc_type}_${r.uc_id}`, [...(usage.get(`${r.uc_type}_${r.uc_id}`) ?? []), r]);
    const create = (id: string) => registry.create(facility.config.unitConversions[id], { file: facility.file, resolvePath: facility.resolvePath, id });

    const poly = new Map<string, number[]>();
    for (const r of polyRows) {
      const c = poly.get(r.uc_id) ?? [];
      c[Number(r.coeff)] = Number(r.val);
      poly.set(r.uc_id, c);
    }
    let checked = 0;
    for (const [ucId, c] of poly) {
      const id = `poly_${ucId}`;
      expect(facility.config.unitConversions[id], id).toBeDefined();
      const rig = usage.get(id)!.some((r) => divByBrho(Number(r.el_id)));
      const conv = create(id);
      for (const eng of [-3.5, 0.25, 2, 1000]) {
        const phys = c.reduce((s, ck, k) => s + (ck ?? 0) * eng ** k, 0) / (rig ? brho : 1);
        expect(relErr(conv.toPhysics(eng, ctx), phys), `${id} at ${eng}`).toBeLessThan(1e-12);
        expect(relErr(conv.toHardware(phys, ctx), eng), `${id} inverse at ${phys}`).toBeLessThan(1e-12);
        checked++;
      }
    }
    const pchip = new Map<string, [number, number][]>();
    for (const r of pchipRows) pchip.set(r.uc_id, [...(pchip.get(r.uc_id) ?? []), [Number(r.eng), Number(r.phy)]]);
    for (const [ucId, pts] of pchip) {
      const id = `pchip_${ucId}`;
      expect(facility.config.unitConversions[id], id).toBeDefined();
      const rig = usage.get(id)!.some((r) => divByBrho(Number(r.el_id)));
      expect(facility.config.unitConversions[id].type).toBe(rig ? 'rigidity' : 'table');
      const conv = create(id);
      const engs = pts.map((p) => p[0]);
      const [lo, hi] = [Math.min(...engs), Math.max(...engs)];
      for (const [eng, phy] of pts) {
        const phys = phy / (rig ? brho : 1);
        expect(relErr(conv.toPhysics(eng, ctx), phys), `${id} at knot ${eng}`).toBeLessThan(1e-12);
        // Inverse at the inner knots only: at the end knots phy/Bρ·Bρ can fall one
        // ulp outside the table and @mlayer/calibration then refuses it (reported).
        if (eng > lo && eng < hi) expect(Math.abs(conv.toHardware(phys, ctx) - eng), `${id} inverse at knot ${eng}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(eng)));
        checked++;
      }
    }
    expect(checked).toBe(poly.size * 4 + pchipRows.length);
    expect(Object.keys(facility.config.unitConversions).length).toBe(poly.size + pchip.size);
  });

  it('every unitconv.csv row of a device gives that device its conversion and limits (VTRIM trap: x_kick row → y_kick device)', () => {
    let rehomed = 0;
    let checked = 0;
    for (const r of unitconv) {
      const elId = Number(r.el_id);
      let row = devices.find((d) => Number(d.el_id) === elId && d.field === r.field);
      if (!row) {
        if (elId === 0) continue; // s_position, beta, dispersion, energy: no PVs
        // pytac I04 files the VTRIM conversion under x_kick; the only device is y_kick.
        expect(typeOf(elId), `unitconv.csv row without device: el ${elId} ${r.field}`).toBe('VTRIM');
        expect(r.field).toBe('x_kick');
        row = devices.find((d) => Number(d.el_id) === elId && d.field === 'y_kick');
        expect(row).toBeDefined();
        rehomed++;
      }
      const dev = deviceOf(row!)!;
      const fam = facility.config.families[dev.family];
      expect(conversionIdOf(dev.family, dev.index), `${row!.name} ${r.field}`).toBe(r.uc_type === 'null' ? undefined : `${r.uc_type}_${r.uc_id}`);
      const limits = fam.devices[dev.index].limits ?? fam.fields.setpoint?.limits;
      if (r.lower_lim !== '') expect(limits, `${row!.name} limits`).toEqual([Number(r.lower_lim), Number(r.upper_lim)]);
      checked++;
    }
    expect(rehomed).toBe(elements.filter((e) => e.type === 'VTRIM').length);
    expect(checked).toBeGreaterThan(1300);
  });

  it('units: BPM labels swapped back (mm → m), kicks in rad, energy from simple_devices.csv through its curve', () => {
    for (const fam of ['BPMx', 'BPMy']) {
      const f = facility.config.families[fam].fields.monitor!;
      expect(f.units).toEqual({ hardware: 'mm', physics: 'm' });
      const conv = registry.create(facility.config.unitConversions[f.conversion!], { file: facility.file, resolvePath: facility.resolvePath, id: f.conversion! });
      expect(conv.toPhysics(1.5, { beam: { energy: 3e9, particle: 'electron' }, brho: electronBrho(3e9) })).toBeCloseTo(1.5e-3, 15);
    }
    for (const fam of ['HSTR', 'VSTR', 'HTRIM', 'VTRIM']) expect(facility.config.families[fam].fields.setpoint!.units).toEqual({ hardware: 'A', physics: 'rad' });
    const e = simple.find((s) => s.field === 'energy')!;
    const uc = unitconv.find((r) => r.el_id === '0' && r.field === 'energy')!;
    const c = polyRows.filter((r) => r.uc_id === uc.uc_id);
    const eV = c.reduce((s, r) => s + Number(r.val) * Number(e.value) ** Number(r.coeff), 0);
    expect(facility.config.energy).toBe(eV);
  });

  it('loads with loadFacility and builds every device conversion through a registry filled by @mlayer/calibration, units matching', () => {
    const t0 = performance.now();
    const loaded = loadFacility(result.facilityFile);
    const reg = new UnitConversionRegistry();
    registerCalibration(reg);
    let built = 0;
    const problems: string[] = [];
    for (const [name, fam] of Object.entries(loaded.config.families)) {
      fam.devices.forEach((d) => {
        for (const field of FIELDS) {
          const f = fam.fields[field];
          if (!f) continue;
          const id = d.conversion ?? f.conversion;
          if (id === undefined) {
            if (f.units.hardware !== f.units.physics) problems.push(`${name} ${d.name} ${field}: no conversion between ${f.units.hardware} and ${f.units.physics}`);
            continue;
          }
          const conv = reg.create(loaded.config.unitConversions[id], { file: loaded.file, resolvePath: loaded.resolvePath, id });
          built++;
          if (!sameUnits(conv.hardwareUnits, f.units.hardware) || !sameUnits(conv.physicsUnits, f.units.physics)) {
            problems.push(`${name} ${d.name} ${field}: ${id} is ${conv.hardwareUnits} -> ${conv.physicsUnits}, field ${f.units.hardware} -> ${f.units.physics}`);
          }
          // the limits lie inside the curve's domain (pytac extrapolates tables up to its limits)
          const limits = d.limits ?? fam.fields.setpoint?.limits;
          const ctx = { beam: { energy: loaded.config.energy, particle: 'electron' as const }, brho: electronBrho(loaded.config.energy) };
          if (limits) for (const h of limits) if (!Number.isFinite(conv.toPhysics(h, ctx))) problems.push(`${name} ${d.name}: ${id} at ${h}`);
        }
      });
    }
    const ms = performance.now() - t0;
    expect(problems).toEqual([]);
    expect(built).toBeGreaterThan(2000);
    // Timing is measured by bench/facility-diamond-i04.mjs; here only reported.
    console.info(`diamond-i04: load + ${built} conversions in ${ms.toFixed(0)} ms`);
  });

  it('elements are AT indices: BPMs and correctors as the pyAT reference selects them, magnets on their lattice elements', () => {
    const map = JSON.parse(readFileSync(join(DIAMOND_DIR, 'diamond_i04_pytac_map.json'), 'utf8')) as {
      bpm: { at_index: number[] };
      correctors: { at_index: number[] };
    };
    const lattice = JSON.parse(readFileSync(join(DIAMOND_DIR, 'diamond_i04_4d.lattice.json'), 'utf8')) as {
      elements: { index: number; FamName: string; Class: string }[];
    };
    const fams = facility.config.families;
    const el = (f: string) => fams[f].devices.map((d) => d.element as number);
    expect(el('BPMx')).toEqual(map.bpm.at_index);
    expect(el('BPMy')).toEqual(map.bpm.at_index);
    expect([...new Set([...el('HSTR'), ...el('VSTR')])].sort((a, b) => a - b)).toEqual(map.correctors.at_index);
    for (const [name, fam] of Object.entries(fams)) {
      for (const d of fam.devices) {
        if (d.element === undefined) continue;
        const at = lattice.elements[d.element as number];
        if (fam.elementClass === 'Quadrupole' || fam.elementClass === 'Sextupole') expect(at.FamName, `${name} ${d.name}`).toBe(name);
        if (fam.elementClass === 'Quadrupole') expect(at.Class).toBe('Quadrupole');
        if (fam.elementClass === 'Sextupole' || fam.elementClass === 'SkewQuad') expect(at.Class).toBe('Sextupole');
        if (fam.elementClass === 'BPM') expect(at.FamName).toBe('BPM');
        if (fam.elementClass === 'Bend') expect(at.Class).toBe('Dipole');
        if (name === 'RF') expect(at.Class).toBe('RFCavity');
        if (name === 'HTRIM' || name === 'VTRIM') expect(at.FamName).toBe(name);
      }
    }
  });

  it('device lists follow the [sector, index] rule and are unique per family', () => {
    const fams = facility.config.families;
    const find = (f: string, name: string) => fams[f].devices.find((d) => d.name === name)!.device;
    expect(find('BPMx', 'SR01C-DI-EBPM-01')).toEqual([1, 1]);
    // straight and cell BPMs of sector 9 share trailing numbers: ranked along the ring
    const s9 = fams.BPMx.devices.filter((d) => d.device[0] === 9);
    expect(s9.map((d) => d.device[1])).toEqual(s9.map((_, k) => k + 1));
    expect(s9.map((d) => d.element)).toEqual([...s9.map((d) => d.element as number)].sort((a, b) => a - b));
    expect(new Set(s9.map((d) => d.name)).size).toBe(s9.length);
    expect(s9.some((d) => d.name.startsWith('SR09S')) && s9.some((d) => d.name.startsWith('SR09C'))).toBe(true);
    // ring-level devices: [k, 1]
    expect(fams.TUNE.devices.map((d) => d.device)).toEqual([[1, 1], [2, 1]]);
    // one supply, 46 dipoles: names made unique, sectors from the cells they sit in
    expect(fams.BB.devices.length).toBe(46);
    expect(new Set(fams.BB.devices.map((d) => d.name)).size).toBe(46);
    for (const [name, fam] of Object.entries(fams)) {
      const keys = fam.devices.map((d) => d.device.join(','));
      expect(new Set(keys).size, name).toBe(keys.length);
    }
  });

  it('the committed facilities/diamond-i04 is what the importer generates; the copied data are unchanged', () => {
    const out = tempDir('diamond-i04-again');
    importPytac({
      pytacDir: PYTAC_DIR,
      latticeFile: LATTICE,
      outDir: out,
      name: 'diamond-i04',
      provenance: readFileSync(join(PACKAGE_DIR, 'PROVENANCE.md'), 'utf8'),
      toolsFile: join(PACKAGE_DIR, 'tools.yaml'),
      familiesFile: [join(PACKAGE_DIR, 'beam-families.yaml'), join(PACKAGE_DIR, 'injection-families.yaml')],
      beamFile: join(PACKAGE_DIR, 'beam.yaml'),
    });
    for (const f of ['facility.yaml', 'README.md', 'package.json', 'golden-orbit.yaml']) {
      expect(readFileSync(join(PACKAGE_DIR, f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
    }
    expect(readFileSync(join(PACKAGE_DIR, 'I04_source.mat')).equals(readFileSync(LATTICE))).toBe(true);
    for (const f of ['uc_poly_data.csv', 'uc_pchip_data.csv']) {
      expect(readFileSync(join(PACKAGE_DIR, 'pytac', f)).equals(readFileSync(join(PYTAC_DIR, f))), f).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { name: string; mlayer: { facility: string }; files: string[] };
    expect(pkg.name).toBe('@mlayer/facility-diamond-i04');
    expect(pkg.mlayer.facility).toBe('facility.yaml');
    expect(pkg.files).toEqual(expect.arrayContaining(['facility.yaml', 'I04_source.mat', 'pytac/uc_poly_data.csv', 'pytac/uc_pchip_data.csv']));
    const readme = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');
    expect(readme).toMatch(/Apache License 2\.0/);
    expect(readme).toMatch(/DiamondLightSource\/pytac.*09363dc55f66d8f69e0bb3aeb6c9d42577f40340/);
    expect(readme).toMatch(/DiamondLightSource\/atip.*18acf16d66ab69ffc7679dcb59d80214bc3783d2/);
    // and the committed file loads
    expect(loadFacility(join(PACKAGE_DIR, 'facility.yaml')).config.name).toBe('diamond-i04');
  });
});

describe('the tools section of an imported facility', () => {
  it('states the ORM step of the rad corrector families, the model families and a golden orbit of zeros it never writes over', () => {
    const t = facility.config.tools!;
    expect(t.orbit?.ormStep).toEqual({ HSTR: 1e-5, VSTR: 1e-5, HTRIM: 1e-5, VTRIM: 1e-5 });
    expect(t.model).toEqual({ bpms: ['BPMx', 'BPMy'], correctors: ['HSTR', 'VSTR'] });
    expect(t.tune).toBeUndefined();
    const golden = readBpmReference(facility.resolvePath(t.orbit!.golden!), facility.config, 'golden orbit');
    expect(golden.unit).toBe('mm');
    expect(golden.families.get('BPMx')!.size).toBe(173);
    expect([...golden.families.get('BPMy')!.values()].every((v) => v === 0)).toBe(true);
    // The golden orbit is the machine's data: a second import keeps an edited one.
    const file = facility.resolvePath(t.orbit!.golden!);
    writeFileSync(file, 'unit: mm\nfamilies: { BPMx: { SR01C-DI-EBPM-01: 0.25 } }\n');
    importPytac({ pytacDir: PYTAC_DIR, latticeFile: LATTICE, outDir: result.outDir, name: 'diamond-i04' });
    expect(readFileSync(file, 'utf8')).toBe('unit: mm\nfamilies: { BPMx: { SR01C-DI-EBPM-01: 0.25 } }\n');
  });

  it('merges a hand-written tools file; a bad one names the file, line, field and value', () => {
    const dir = tempDir('tools');
    const good = join(dir, 'tools.yaml');
    writeFileSync(good, 'orbit:\n  dispersionStep: 40\n  ormStep: { HSTR: 2.0e-5 }\ntune: { families: [Q2B, Q2AB] }\n');
    const out = tempDir('diamond-tools');
    const r = importPytac({ pytacDir: PYTAC_DIR, latticeFile: LATTICE, outDir: out, name: 'diamond-i04', toolsFile: good });
    const t = loadFacility(r.facilityFile).config.tools!;
    expect(t.orbit).toEqual({ ormStep: { HSTR: 2e-5 }, dispersionStep: 40, golden: 'golden-orbit.yaml' });
    expect(t.tune?.families).toEqual(['Q2B', 'Q2AB']);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'orbit:\n  dispersionStep: -40\n');
    expect(() => importPytac({ pytacDir: PYTAC_DIR, latticeFile: LATTICE, outDir: out, name: 'diamond-i04', toolsFile: bad })).toThrow(`${bad}:2: tools.orbit.dispersionStep: expected a finite number > 0 (got -40)`);
    writeFileSync(bad, 'orbit:\n  dispersionstep: 40\n');
    expect(() => importPytac({ pytacDir: PYTAC_DIR, latticeFile: LATTICE, outDir: out, name: 'diamond-i04', toolsFile: bad })).toThrow(/bad\.yaml:2: tools\.orbit\.dispersionstep: Unrecognized key/);
  });
});
