/**
 * MAD-X reading and writing: every MAD-X file of shared/lattices/formats read
 * as pyAT reads it (element list, s positions, tunes, beta, chromaticity), the
 * AT -> MAD-X -> AT round trip of dba and hmba_simple, the language features
 * on small decks, and malformed decks giving errors with file, line and element.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LatticeFileError, loadLattice, parseMadxLattice, readLattice, writeLattice, formatMadx, type Lattice } from '../../src/index.js';
import { compileLattice } from '../../src/tracking/index.js';
import { getChrom, linopt6, ringTunes } from '../../src/physics/linear.js';
import { SHARED } from '../io-compare.js';

const DIR = join(SHARED, 'lattices', 'formats');
const tmp = mkdtempSync(join(tmpdir(), 'mlayer-madx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface ManifestEntry {
  name: string;
  file: string;
  format: string;
  ref: string;
  use: string;
}
const manifest = JSON.parse(readFileSync(join(DIR, 'formats_manifest.json'), 'utf8')) as { files: ManifestEntry[] };
const MADX = manifest.files.filter((f) => f.format === 'madx');

function sPos(lat: Lattice): number[] {
  const s = [0];
  for (const e of lat.elements) s.push(s[s.length - 1] + e.Length);
  return s;
}

function maxRel(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((r, i) => r.forEach((v, j) => (m = Math.max(m, Math.abs(v / b[i][j] - 1)))));
  return m;
}

describe('MAD-X files read as pyAT reads them', () => {
  it('the manifest lists the 7 MAD-X readings', () => expect(MADX.length).toBe(7));

  for (const f of MADX) {
    it(`${f.name}: elements, s positions, tunes (1e-9), beta (1e-8 rel.), chromaticity (1e-5)`, () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const ref: any = JSON.parse(readFileSync(join(DIR, f.ref), 'utf8'));
      const lat = loadLattice(join(DIR, f.file), { use: f.use });
      expect(lat.elements.length).toBe(ref.summary.n_elements);
      expect(lat.elements.map((e) => e.FamName)).toEqual(ref.elements.FamName);
      expect(lat.elements.map((e) => e.Class)).toEqual(ref.elements.Class);
      expect(lat.elements.map((e) => e.Length)).toEqual(ref.elements.Length);
      expect(lat.properties.energy).toBe(ref.summary.energy_eV);
      const s = sPos(lat);
      expect(Math.max(...s.map((v, i) => Math.abs(v - ref.s_pos_all[i])))).toBeLessThan(1e-9);
      const c = compileLattice(lat);
      const q = ringTunes(c);
      const qr = ref.tunes.ring_tunes_with_integer as number[];
      expect(Math.abs(q[0] - qr[0])).toBeLessThan(1e-9);
      expect(Math.abs(q[1] - qr[1])).toBeLessThan(1e-9);
      const pts = ref.optics_all_refpts ?? ref.optics_at_bpms;
      const refpts = (pts.refpts ?? pts.index) as number[];
      const o = linopt6(c, { refpts });
      expect(maxRel(o.elemdata.map((e) => Array.from(e.beta)), pts.beta)).toBeLessThan(1e-8);
      const ch = getChrom(c);
      const cr = ref.chromaticity['get_chrom_default_DPStep_3e-6'] as number[];
      expect(Math.abs(ch[0] - cr[0])).toBeLessThan(1e-5);
      expect(Math.abs(ch[1] - cr[1])).toBeLessThan(1e-5);
    });
  }

  it('low_emit_s10E_save.seq: the 19 deferred expressions in parentheses are read as numbers (pyAT needs a patch)', () => {
    const { lattice } = readLattice(join(DIR, 'low_emit_s10E_save.seq'), { use: 'arc2' });
    const b = lattice.elements.find((e) => e.FamName === 'bpi1u')!;
    // lbpi1 := (lbacro/5)/2*(tbpi1)/sin(tbpi1/2)
    expect(b.Length).toBeGreaterThan(0.353);
    expect(b.Length).toBeLessThan(0.354);
  });
});

describe('AT -> MAD-X -> AT round trip', () => {
  for (const name of ['dba_roundtrip_orig', 'hmba_simple_orig']) {
    for (const ext of ['.seq', '.madx']) {
      it(`${name} via ${ext}: element count and s positions identical, tunes and chromaticity within 1e-10 per cell`, () => {
        const orig = loadLattice(join(DIR, `${name}.atjson.json`));
        const out = join(tmp, `${name}${ext}`);
        const { losses } = writeLattice(out, orig);
        const back = loadLattice(out);
        expect(back.elements.length).toBe(orig.elements.length);
        expect(sPos(back)).toEqual(sPos(orig));
        const P = orig.properties.periodicity;
        expect(back.properties.periodicity).toBe(1);
        if (P !== 1) expect(losses.some((l) => l.attribute === 'periodicity')).toBe(true);
        const a = compileLattice(orig);
        const b = compileLattice(back);
        const qa = ringTunes(a).map((v) => v / P);
        const qb = ringTunes(b);
        const ca = getChrom(a).map((v) => v / P);
        const cb = getChrom(b);
        for (let i = 0; i < 2; i++) {
          expect(Math.abs(qa[i] - qb[i])).toBeLessThan(1e-10);
          expect(Math.abs(ca[i] - cb[i])).toBeLessThan(1e-10);
        }
        // Renamed family members are reported, one entry per element.
        for (const l of losses.filter((x) => x.attribute === 'FamName')) expect(back.elements[l.index!].FamName).not.toBe(orig.elements[l.index!].FamName);
      });
    }
  }

  it('what MAD-X cannot hold is reported per element: pass method, NumIntSteps, misalignment', () => {
    const lat = loadLattice(join(DIR, 'dba_roundtrip_orig.atjson.json'));
    const q = lat.elements.findIndex((e) => e.Class === 'Quadrupole');
    lat.elements[q] = { ...lat.elements[q], NumIntSteps: 20, T1: [1e-4, 0, 0, 0, 0, 0] };
    const b = lat.elements.findIndex((e) => e.Class === 'Dipole');
    lat.elements[b] = { ...lat.elements[b], PassMethod: 'BndMPoleSymplectic4E2Pass' };
    const { losses } = formatMadx(lat);
    const at = (i: number) => losses.filter((l) => l.index === i).map((l) => l.attribute);
    expect(at(q)).toEqual(expect.arrayContaining(['NumIntSteps', 'T1']));
    expect(at(b)).toContain('PassMethod');
  });

  it('a tilt about s is written as TILT and read back; another rotation, or a tilt of a drift, is reported', () => {
    const lat = parseMadxLattice('q: quadrupole, l = 1, k1 = 0.5, tilt = 0.1;\nd: drift, l = 1;\nr: line = (q, d, q);', 'tilt.madx').lattice;
    const r1 = lat.elements[0].R1 as number[][];
    lat.elements[1] = { ...lat.elements[1], R1: r1, R2: lat.elements[0].R2 };
    lat.elements[2] = { ...lat.elements[2], R1: r1.map((row, i) => row.map((v, j) => (i === 4 && j === 4 ? 2 : v))) };
    const { text, losses } = formatMadx(lat);
    expect(losses.filter((l) => l.attribute === 'R1').map((l) => l.index)).toEqual([1, 2]);
    const back = parseMadxLattice(text, 'back.seq').lattice;
    const q = back.elements.find((e) => e.FamName === 'q')!;
    const diff = (q.R1 as number[][]).flat().map((v, i) => Math.abs(v - r1.flat()[i]));
    expect(Math.max(...diff)).toBeLessThan(1e-17);
    expect(back.elements.filter((e) => e.R1 !== undefined)).toHaveLength(1);
  });
});

function read(text: string, use?: string) {
  return parseMadxLattice(text, join(tmp, 'deck.madx'), { use });
}

describe('MAD-X language', () => {
  it('variables: = is immediate, := deferred; functions, constants, ^ and -> ', () => {
    const { lattice } = read(`
      a = 1; b := a*2; c = a*2; a = 3;
      q: quadrupole, l = 0.5, k1 := b + c + 2^3^0 - -2^2 + q0->l;
      q0: drift, l = sqrt(4)/2*sin(pi/2) + abs(-1) - 1;
      r: line = (q, q0);`);
    const q = lattice.elements[0];
    // b = 6 (deferred, a = 3), c = 2 (immediate), 2^3^0 = 2, - -2^2 = +4, q0->l = 1
    expect(q.PolynomB).toEqual([0, 6 + 2 + 2 + 4 + 1]);
    expect(lattice.elements[1].Length).toBe(1);
  });

  it('inheritance, LINE repetition and reversal, USE, BEAM', () => {
    const { lattice } = read(`
      beam, particle = electron, energy = 3;
      d: drift, l = 1; qf: quadrupole, l = 0.2, k1 = 1; qf2: qf, k1 = 2; m: marker;
      cell: line = (qf, d, qf2, m);
      ring: line = (2*cell, -cell, -(d, 2*(m, qf)));
      other: line = (d);
      use, sequence = ring;`);
    expect(lattice.properties.name).toBe('ring');
    expect(lattice.properties.energy).toBe(3e9);
    expect(lattice.properties.particle.name).toBe('electron');
    expect(lattice.elements.map((e) => e.FamName).join(' ')).toBe('qf d qf2 m qf d qf2 m m qf2 d qf qf m qf m d');
    expect(lattice.elements.filter((e) => e.FamName === 'qf2').every((e) => (e.PolynomB as number[])[1] === 2 && e.Length === 0.2)).toBe(true);
    expect(read('d: drift, l = 1; a: line = (d); b: line = (d, d);').lattice.elements.length).toBe(2);
    expect(read('d: drift, l = 1; ring: line = (d); b: line = (d, d);').lattice.elements.length).toBe(1);
    expect(read('d: drift, l = 1; ring: line = (d); b: line = (d, d);', 'B').lattice.elements.length).toBe(2);
  });

  it('SEQUENCE: refer, at, from, gaps filled with drifts, inline definitions, the final drift', () => {
    const { lattice } = read(`
      q: quadrupole, l = 1;
      s: sequence, l = 10, refer = entry;
        q, at = 1;
        m1: marker, at = 2, from = q;
        q, at = 5;
      endsequence;`);
    expect(lattice.elements.map((e) => `${e.FamName}:${e.Length}`).join(' ')).toBe('drift_0:1 q:1 drift_1:1 m1:0 drift_2:2 q:1 drift_3:4');
  });

  it('rbend: L is the chord (arc = L (a/2) / sin(a/2), e1 and e2 + a/2); with OPTION, RBARC = FALSE the arc', () => {
    const a = 0.2;
    const chord = read(`b: rbend, l = 1, angle = ${a}, e1 = 0.01; r: line = (b);`).lattice.elements[0];
    expect(chord.Length).toBe((1 * (a / 2)) / Math.sin(a / 2));
    expect(chord.EntranceAngle).toBe(a / 2 + 0.01);
    expect(chord.ExitAngle).toBe(a / 2);
    const arc = read(`option, rbarc = false; b: rbend, l = 1, angle = ${a}; r: line = (b);`).lattice.elements[0];
    expect(arc.Length).toBe(1);
    expect(arc.EntranceAngle).toBe(a / 2);
  });

  it('elements: sbend fringe, multipole knl/n!, kickers, thick monitor, cavity, solenoid, tilt; unknown attributes reported', () => {
    const { lattice, losses } = read(`
      beam, particle = positron, pc = 2;
      b: sbend, l = 2, angle = 0.1, k1 = 0.5, k2 = 4, hgap = 0.02, fint = 0.5, tilt = 0.1, foo = 3;
      m: multipole, knl = {0, 0.2, 6}, ksl = {0.1};
      k: kicker, l = 0.1, hkick = 1e-3, vkick = 2e-3; h: hkicker, kick = 4e-4;
      bpm: monitor, l = 0.2;
      rf: rfcavity, volt = 2, harmon = 10;
      so: solenoid, l = 0.5, ks = 0.1;
      r: line = (b, m, k, h, bpm, rf, so);`);
    const [b, m, k, h, d1, bpm, d2, rf, so] = lattice.elements;
    expect(b.PolynomB).toEqual([0, 0.5, 2]);
    expect([b.FullGap, b.FringeInt1, b.FringeInt2]).toEqual([0.04, 0.5, 0.5]);
    expect((b.R1 as number[][])[0][2]).toBeCloseTo(Math.sin(0.1), 15);
    expect(m.Class).toBe('ThinMultipole');
    expect(m.PolynomB).toEqual([0, 0.2, 3]);
    expect(m.PolynomA).toEqual([0.1, 0, 0]);
    expect(k.KickAngle).toEqual([1e-3, 2e-3]);
    expect(h.KickAngle).toEqual([4e-4, 0]);
    expect([d1.FamName, d1.Length, bpm.Class, d2.Length]).toEqual(['bpm.1', 0.1, 'Monitor', 0.1]);
    expect(rf.Voltage).toBe(2e6);
    expect(rf.Frequency).toBeCloseTo((10 * 299792458 * Math.sqrt(1 - 1 / (lattice.properties.energy / 510998.95) ** 2)) / 2.8, 3);
    expect([so.Class, so.PassMethod, so.Length, so.K]).toEqual(['Solenoid', 'SolenoidLinearPass', 0.5, 0.1]);
    expect(lattice.properties.energy).toBeCloseTo(Math.sqrt(4 + 0.51099895e-3 ** 2) * 1e9, 3);
    expect(losses.map((l) => `${l.element}.${l.attribute}`)).toEqual(expect.arrayContaining(['b.foo', 'rf.freq']));
  });

  it('commands that are not lattice data (TITLE, TWISS, SELECT) are skipped and listed in the loss report', () => {
    const { lattice, losses } = read(`title, "a ring"; option, -echo, rbarc = true; d: drift, l = 1; d, l = 2;
      r: line = (d); use, period = r; select, flag = twiss, column = name, s; twiss, file = "t.tfs";`);
    expect(lattice.elements[0].Length).toBe(2);
    expect(losses.map((l) => l.element)).toEqual(['title', 'select', 'twiss']);
    expect(losses[2]).toMatchObject({ attribute: '', line: 2 });
  });

  it('CALL reads a file relative to the calling file; RETURN ends a file', () => {
    writeFileSync(join(tmp, 'strengths.madx'), 'kq = 1.5; return; kq = 9;');
    const { lattice } = read('call, file = "strengths.madx"; q: quadrupole, l = 1, k1 := kq; r: line = (q);');
    expect((lattice.elements[0].PolynomB as number[])[1]).toBe(1.5);
  });
});

describe('malformed MAD-X decks: errors name the file, line, column and element', () => {
  const cases: [string, string, number, string | undefined, RegExp][] = [
    ['unknown class', 'q: quadrupol, l = 1;\nr: line = (q);', 1, 'q', /unknown element class 'quadrupol'/],
    ['undefined variable', 'd: drift, l = 1;\nq: quadrupole, l = 1, k1 := kk;\nr: line = (q, d);', 2, 'kk', /undefined variable 'kk'/],
    ['syntax error in an expression', 'd: drift, l = 1;\n\nq: quadrupole, l = 2*, k1 = 1;', 3, 'q', /expression expected/],
    ['unbalanced parenthesis', 'q: quadrupole, l = (1 + 2;', 1, 'q', /expected '\)'/],
    ['division by zero', 'd: drift, l = 1/0;\nr: line = (d);', 1, 'd', /evaluates to Infinity/],
    ['element not defined in a sequence', 'q: quadrupole, l = 1;\ns: sequence, l = 4;\nq, at = 1;\nqx, at = 3;\nendsequence;', 4, 'qx', /not defined/],
    ['no AT= in a sequence', 'q: quadrupole, l = 1;\ns: sequence, l = 4;\n  q;\nendsequence;', 3, 'q', /no AT= position/],
    ['missing ENDSEQUENCE', 'q: quadrupole, l = 1;\ns: sequence, l = 4;\nq, at = 1;', 2, 's', /no ENDSEQUENCE/],
    ['undefined line item', 'd: drift, l = 1;\nr: line = (d,\n  dd);', 3, 'dd', /not a defined element, line or sequence/],
    ['self-referencing line', 'd: drift, l = 1;\nr: line = (d, r);', 2, 'r', /contains itself/],
    ['unknown function', 'd: drift, l = sqr(2);', 1, undefined, /unknown function 'sqr'/],
    ['array where a number is expected', 'q: quadrupole, l = {1, 2};\nr: line = (q);', 1, 'q', /array/],
    ['cyclic deferred variables', 'a := b + 1;\nb := a;\nd: drift, l := a;\nr: line = (d);', 1, 'a', /depends on itself/],
    ['bad REFER', 'q: marker;\ns: sequence, l = 1, refer = middle;\nq, at = 0;\nendsequence;', 2, 's', /REFER=middle/],
    ['FROM an element not placed', 'q: marker;\ns: sequence, l = 1;\nq, at = 0, from = z;\nendsequence;', 3, 'q', /FROM=z/],
    ['unterminated comment', 'd: drift, l = 1; /* no end\nr: line = (d);', 1, undefined, /unterminated comment/],
    ['USE of an unknown sequence', 'd: drift, l = 1;\nr: line = (d);\nuse, sequence = ring2;', 3, 'ring2', /USE names 'ring2'/],
  ];
  for (const [what, text, line, name, message] of cases) {
    it(what, () => {
      const file = join(tmp, `bad-${what.replace(/\W+/g, '-')}.madx`);
      writeFileSync(file, text);
      let err: unknown;
      try {
        loadLattice(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LatticeFileError);
      const e = err as LatticeFileError;
      expect(e.file).toBe(file);
      expect(e.location.line).toBe(line);
      expect(e.location.column).toBeGreaterThan(0);
      if (name !== undefined) {
        expect(e.location.name).toBe(name);
        expect(e.message).toContain(`${file}:${line}:${e.location.column}: ${e.location.nameKind ?? 'element'} ${name}: `);
      }
      expect(e.message).toMatch(message);
    });
  }

  it('CALL of a missing file names the calling file and line', () => {
    expect(() => read('d: drift, l = 1;\ncall, file = "nowhere.madx";')).toThrow(/deck\.madx:2:1: CALL: cannot read .*nowhere\.madx/);
  });

  it('a wrong --use lists the lines of the file', () => {
    expect(() => loadLattice(join(DIR, 'dba.seq'), { use: 'ring2' })).toThrow(/no sequence or line 'ring2' \(defined: RING\)/);
  });
});
