/**
 * PALS YAML: the PALS files of ../shared/lattices/formats read as the
 * reference reader reads them (tunes 1e-9, beta 1e-8 relative, s, count);
 * AT -> PALS -> AT round trips of dba and hmba_simple (tunes and
 * chromaticities 1e-10, s identical; PALS adds the end Marker of a branch);
 * every file written validates against docs/pals-subset.schema.json (ajv,
 * draft 2020-12) and the published schema is the one generated from the zod
 * schema; line features, placeholders; malformed files give file, line,
 * column and the element.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createLatticeModel, loadLattice } from '../../src/index.js';
import { ConversionLossLog } from '../../src/io/conversion-report.js';
import { LatticeFileError } from '../../src/io/errors.js';
import { loadPals, parsePals } from '../../src/io/pals/pals-read.js';
import { palsSubsetJsonSchema } from '../../src/io/pals/pals-schema.js';
import { formatPals, formatPalsJson } from '../../src/io/pals/pals-write.js';
import { expectMatchesRef, FORMATS_DIR, readFormatRef } from '../format-reference.js';

const schemaPath = resolve(import.meta.dirname, '../../../../docs/pals-subset.schema.json');
const published = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(published);

describe('PALS files read as the reference reader reads them', () => {
  for (const name of ['dba', 'hmba_simple']) {
    it(`${name}.pals.yaml: count, s, tunes (1e-9), beta (1e-8 rel) of ${name}_pals_ref.json; the file validates`, () => {
      const file = join(FORMATS_DIR, `${name}.pals.yaml`);
      const dev = expectMatchesRef(loadPals(file), readFormatRef(`${name}_pals_ref.json`));
      console.log(`${name}.pals.yaml: |dQ| ${dev.tune.toExponential(2)}, beta rel ${dev.betaRel.toExponential(2)}, ds ${dev.s.toExponential(2)}, dxi ${dev.chrom.toExponential(2)}`);
      expect(validate(parseYaml(readFileSync(file, 'utf8'))), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    });
  }
});

describe('published schema', () => {
  it('docs/pals-subset.schema.json is the schema generated from the zod schema', () => {
    expect(published).toEqual(palsSubsetJsonSchema());
  });
  it('rejects a file with an unknown parameter of a known kind, a bad multipole key and a two-key item', () => {
    expect(validate([{ Q: { kind: 'Quadrupole', length: 1, lenght: 2 } }])).toBe(false);
    expect(validate([{ Q: { kind: 'Quadrupole', length: 1, MagneticMultipoleP: { K1: 2 } } }])).toBe(false);
    expect(validate([{ Q: { kind: 'Marker' }, R: { kind: 'Marker' } }])).toBe(false);
    expect(validate([{ W: { kind: 'Wiggler', length: 1, anything: { x: 1 } } }])).toBe(true);
  });
});

describe('AT -> PALS -> AT round trip', () => {
  for (const name of ['dba_roundtrip_orig', 'hmba_simple_orig']) {
    it(`${name}: tunes and chromaticities within 1e-10, same elements (count included) and s; YAML and JSON validate`, () => {
      const orig = loadLattice(join(FORMATS_DIR, `${name}.atjson.json`));
      const losses = new ConversionLossLog();
      const text = formatPals(orig, { losses });
      expect(validate(parseYaml(text)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      expect(validate(JSON.parse(formatPalsJson(orig))), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      const back = parsePals(text, 'memory.pals.yaml');
      const fromJson = parsePals(formatPalsJson(orig), 'memory.pals.json');
      expect(fromJson).toEqual(back);
      const n = orig.elements.length;
      // The Marker appended to end the branch (the original ends without one) is written, and read back as no element.
      expect(orig.elements[n - 1].Class).not.toBe('Marker');
      expect(text).toContain('end of the branch, appended by mlayer');
      expect(back.elements.length).toBe(n);
      expect(back.properties.periodicity).toBe(orig.properties.periodicity);
      expect(back.properties.energy).toBe(orig.properties.energy);
      let s0 = 0;
      let s1 = 0;
      for (let i = 0; i < n; i++) {
        expect(s1).toBe(s0);
        expect(back.elements[i].FamName).toBe(orig.elements[i].FamName);
        expect(back.elements[i].Class).toBe(orig.elements[i].Class);
        s0 += orig.elements[i].Length;
        s1 += back.elements[i].Length;
      }
      expect(s1).toBe(s0);
      const m0 = createLatticeModel(orig);
      const m1 = createLatticeModel(back);
      const t0 = m0.tunes();
      const t1 = m1.tunes();
      const c0 = m0.chromaticity();
      const c1 = m1.chromaticity();
      const dq = Math.max(Math.abs(t0.qx - t1.qx), Math.abs(t0.qy - t1.qy));
      const dc = Math.max(Math.abs(c0[0] - c1[0]), Math.abs(c0[1] - c1[1]));
      console.log(`${name}: |dQ| ${dq.toExponential(2)}, |dxi| ${dc.toExponential(2)} (ring), losses: ${[...new Set(losses.losses.map((l) => l.attribute || l.reason.slice(0, 30)))].join(', ')}`);
      expect(dq).toBeLessThanOrEqual(1e-10);
      expect(dc).toBeLessThanOrEqual(1e-10);
    });
  }
});

describe('PALS lines and kinds', () => {
  const head = ['- D:', '    kind: Drift', '    length: 0.5', '- B:', '    kind: SBend', '    length: 1.0', '    BendP:', '      angle_ref: 0.1', '      e1: 0.01', '      e2: 0.02'];
  it('repeat (negative: reversed order), direction -1 (reversed elements), inherit and in-place elements, unknown kinds as placeholders', () => {
    const src = [
      ...head,
      '- W:',
      '    kind: Wiggler',
      '    length: 2.0',
      '    WigglerP: {}',
      '- sub:',
      '    kind: BeamLine',
      '    line: [D, B]',
      '- ring:',
      '    kind: BeamLine',
      '    line:',
      '    - sub: {repeat: -2}',
      '    - sub: {direction: -1}',
      '    - B2: {inherit: B, length: 2.0}',
      '    - K: {kind: Kicker, MagneticMultipoleP: {Kn0L: -1.0e-4, Ks0L: 2.0e-4}}',
      '    - W',
    ].join('\n');
    const losses = new ConversionLossLog();
    const lat = parsePals(src, 'mem.pals.yaml', { losses });
    expect(lat.elements.map((e) => e.FamName)).toEqual(['B', 'D', 'B', 'D', 'B', 'D', 'B2', 'K', 'W']);
    expect([lat.elements[0].EntranceAngle, lat.elements[4].EntranceAngle, lat.elements[4].ExitAngle]).toEqual([0.01, 0.02, 0.01]);
    expect(lat.elements[6]).toMatchObject({ Length: 2, BendingAngle: 0.1 });
    expect(lat.elements[7].KickAngle).toEqual([1e-4, 2e-4]);
    expect(lat.elements[8]).toMatchObject({ Class: 'Drift', Length: 2 });
    expect(losses.losses.map((l) => `${l.element}:${l.attribute}`)).toEqual(['ring:E_tot_ref', 'W:']);
    expect(losses.losses[1].reason).toMatch(/Wiggler is not read by mlayer: kept as a Drift placeholder/);
  });

  it('BeginningEle: species and pc_ref give particle and energy; thin multipoles take integrated strengths', () => {
    const src = ['- b:', '    kind: BeginningEle', '    ReferenceP: {species_ref: proton, pc_ref: 7.0e12}', '- M:', '    kind: Multipole', '    MagneticMultipoleP: {Kn2L: 0.6, Ks1L: 0.1}', '- r:', '    kind: BeamLine', '    line: [b, M]'].join('\n');
    const lat = parsePals(src, 'mem.pals.yaml');
    expect(lat.properties.particle.name).toBe('proton');
    expect(lat.properties.energy).toBeCloseTo(Math.hypot(7e12, 938272088.16), 0);
    expect(lat.elements).toHaveLength(1);
    expect(lat.elements[0]).toMatchObject({ Class: 'ThinMultipole', PolynomB: [0, 0, 0.3], PolynomA: [0, 0.1, 0] });
  });

  const bad: [string, string, RegExp][] = [
    ['not a list', 'kind: Drift', /^bad\.pals\.yaml:1:1: a PALS file is a list/],
    ['YAML syntax', '- D:\n    kind: Drift\n   length: [1', /^bad\.pals\.yaml:3:\d+: YAML:/],
    ['negative length', '- D:\n    kind: Drift\n    length: -1.0', /^bad\.pals\.yaml:3:5: element D: length: Too small/],
    ['drift without length', '- D:\n    kind: Drift', /^bad\.pals\.yaml:1:3: element D: length: /],
    ['no kind', '- D:\n    length: 1.0', /^bad\.pals\.yaml:1:3: element D: no kind/],
    ['bad multipole key', '- Q:\n    kind: Quadrupole\n    length: 1.0\n    MagneticMultipoleP:\n      K1: 2.0', /^bad\.pals\.yaml:5:7: element Q: MagneticMultipoleP\.K1: /],
    ['thin element with KnN', '- Q:\n    kind: Quadrupole\n    MagneticMultipoleP:\n      Kn1: 2.0\n- r:\n    kind: BeamLine\n    line: [Q]', /^bad\.pals\.yaml:4:7: element Q: Kn1: a zero-length element needs integrated strengths/],
    ['undefined line item', '- D:\n    kind: Drift\n    length: 1.0\n- r:\n    kind: BeamLine\n    line:\n    - D\n    - X', /^bad\.pals\.yaml:8:7: line r: 'X' is neither an element nor a BeamLine/],
    ['defined twice', '- D:\n    kind: Drift\n    length: 1.0\n- D:\n    kind: Marker', /^bad\.pals\.yaml:4:3: element D: defined twice/],
    ['bad name', '- 1D:\n    kind: Marker', /^bad\.pals\.yaml:1:3: element 1D: '1D' is not a PALS name/],
    ['recursive line', '- r:\n    kind: BeamLine\n    line: [s]\n- s:\n    kind: BeamLine\n    line: [r]', /^bad\.pals\.yaml:3:12: line r: 's' contains itself \(s -> r -> s\)/],
    ['repeat 0', '- D:\n    kind: Drift\n    length: 1.0\n- r:\n    kind: BeamLine\n    line:\n    - D: {repeat: 0}', /^bad\.pals\.yaml:7:\d+: line r: line\.0\.D\.repeat: repeat must not be 0/],
    ['RF without frequency', '- C:\n    kind: RFCavity\n    RFP: {voltage: 1.0e6}\n- r:\n    kind: BeamLine\n    line: [C]', /^bad\.pals\.yaml:3:5: element C: RFP.frequency is required/],
    ['unknown species', '- b:\n    kind: BeginningEle\n    ReferenceP: {species_ref: muon, E_tot_ref: 1.0e9}', /^bad\.pals\.yaml:3:18: element b: ReferenceP\.species_ref: /],
    ['branch not a line', '- D:\n    kind: Drift\n    length: 1.0\n- Lattice:\n  - branches: [Z]', /^bad\.pals\.yaml:4:3: line Z: branch 'Z' is not a BeamLine/],
  ];
  it.each(bad)('malformed: %s gives file:line:column and the element', (_what, src, re) => {
    const parse = () => parsePals(src, 'bad.pals.yaml');
    expect(parse).toThrow(LatticeFileError);
    expect(parse).toThrow(re);
  });
});
