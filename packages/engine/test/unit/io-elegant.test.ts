/**
 * elegant (.lte): every elegant file of ../shared/lattices/formats read as
 * pyAT reads it (tunes 1e-9, beta 1e-8 relative, s positions, element count);
 * AT -> elegant -> AT round trips of dba and hmba_simple (tunes and
 * chromaticities 1e-10, same element count and s); the RPN calculator, line
 * repetition and reversal, the conversion-loss log; malformed files give an
 * error naming file, line, column and the element or line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLatticeModel, loadLattice } from '../../src/index.js';
import { ConversionLossLog } from '../../src/io/conversion-report.js';
import { loadElegant, parseElegant } from '../../src/io/elegant/elegant-read.js';
import { formatElegant } from '../../src/io/elegant/elegant-write.js';
import { LatticeFileError } from '../../src/io/errors.js';
import { expectMatchesRef, FORMATS_DIR, readFormatRef } from '../format-reference.js';

describe('elegant files read as pyAT reads them', () => {
  for (const [file, ref] of [
    ['dba.lte', 'dba_elegant_ref.json'],
    ['hmba_simple.lte', 'hmba_simple_elegant_ref.json'],
    ['elegant2at_test.lte', 'elegant2at_test_elegant_ref.json'],
  ]) {
    it(`${file}: count, s, tunes (1e-9), beta (1e-8 rel) of ${ref}`, () => {
      const dev = expectMatchesRef(loadElegant(join(FORMATS_DIR, file), { use: 'RING' }), readFormatRef(ref));
      console.log(`${file}: |dQ| ${dev.tune.toExponential(2)}, beta rel ${dev.betaRel.toExponential(2)}, ds ${dev.s.toExponential(2)}, dxi ${dev.chrom.toExponential(2)}`);
    });
  }
});

describe('AT -> elegant -> AT round trip', () => {
  // Fields elegant has no place for (legacy and BPM-error fields of the originals) and the ring properties.
  const lost: Record<string, string[]> = {
    dba_roundtrip_orig: ['BetaCode', 'energy', 'particle'],
    hmba_simple_orig: ['Offset', 'Reading', 'Rotation', 'Scale', 'energy', 'particle', 'periodicity'],
  };
  for (const name of ['dba_roundtrip_orig', 'hmba_simple_orig']) {
    it(`${name}: tunes and chromaticities within 1e-10, same count and s`, () => {
      const orig = loadLattice(join(FORMATS_DIR, `${name}.atjson.json`));
      const losses = new ConversionLossLog();
      const text = formatElegant(orig, { losses });
      const back = parseElegant(text, 'memory.lte');
      expect(back.elements.length).toBe(orig.elements.length);
      let s0 = 0;
      let s1 = 0;
      back.elements.forEach((e, i) => {
        expect(s1).toBe(s0);
        expect(e.FamName.replace(/\.\d+$/, '')).toBe(orig.elements[i].FamName);
        s0 += orig.elements[i].Length;
        s1 += e.Length;
      });
      // elegant has no periodicity: compare one cell.
      const cell = { ...orig, properties: { ...orig.properties, periodicity: 1 } };
      const m0 = createLatticeModel(cell);
      const m1 = createLatticeModel(back);
      const t0 = m0.tunes();
      const t1 = m1.tunes();
      const c0 = m0.chromaticity();
      const c1 = m1.chromaticity();
      const dq = Math.max(Math.abs(t0.qx - t1.qx), Math.abs(t0.qy - t1.qy));
      const dc = Math.max(Math.abs(c0[0] - c1[0]), Math.abs(c0[1] - c1[1]));
      // Every renamed element (same FamName, other values: '.1' suffix) is in the loss report, and nothing else is lost.
      const renamed = new Set(losses.losses.filter((l) => l.attribute === 'FamName').map((l) => /written as (\S+):/.exec(l.reason)?.[1]));
      expect(renamed).toEqual(new Set(back.elements.filter((e, i) => e.FamName !== orig.elements[i].FamName).map((e) => e.FamName)));
      expect(new Set(losses.losses.filter((l) => l.attribute !== 'FamName').map((l) => l.attribute))).toEqual(new Set(lost[name]));
      console.log(`${name}: |dQ| ${dq.toExponential(2)}, |dxi| ${dc.toExponential(2)}, losses ${losses.losses.length}`);
      expect(dq).toBeLessThanOrEqual(1e-10);
      expect(dc).toBeLessThanOrEqual(1e-10);
    });
  }
});

describe('elegant syntax', () => {
  it('% RPN variables, quoted RPN values, & inside a number, quoted names, repetition and reversal', () => {
    const src = [
      '% 0.25 sto hl',
      'D: DRIF, L="hl 2 *"',
      '"Q:F": KQUAD, L=0.5, K1=1.2&',
      '5, N_KICKS=20',
      'B: RBEN, L=1, ANGLE=0.2, E1=0.01',
      'M: MARK',
      'SUB: LINE=(D, B)',
      'RING: LINE=(M, 2*(D, "Q:F"), -SUB, 3*M)',
    ].join('\n');
    const lat = parseElegant(src, 'mem.lte');
    expect(lat.elements.map((e) => e.FamName)).toEqual(['M', 'D', 'Q:F', 'D', 'Q:F', 'B', 'D', 'M', 'M', 'M']);
    expect(lat.elements[1].Length).toBe(0.5);
    expect(lat.elements[2].PolynomB).toEqual([0, 1.25]);
    // pyAT: NumIntSteps = int(N_KICKS / 4).
    expect(lat.elements[2].NumIntSteps).toBe(5);
    // RBEN: L is the chord; arc = L / sinc(angle/2); each edge gets angle/2.
    const b = lat.elements[5];
    expect(b.Length).toBeCloseTo(0.1 / Math.sin(0.1), 15);
    expect(b.EntranceAngle).toBeCloseTo(0.11, 15);
    expect(b.ExitAngle).toBeCloseTo(0.1, 15);
    expect(lat.properties).toMatchObject({ name: 'RING', energy: 1e9, periodicity: 1 });
  });

  it('#INCLUDE reads a file beside the including one; USE picks the line; RETURN ends the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlayer-lte-'));
    try {
      writeFileSync(join(dir, 'parts.lte'), 'D: DRIF, L=1.5\nQ: KQUAD, L=0.5, K1=0.8\n');
      writeFileSync(join(dir, 'main.lte'), '#INCLUDE: "parts.lte"\nA: LINE=(D)\nB: LINE=(D, Q, D)\nUSE, B\nRETURN\nthis is not read');
      const lat = loadElegant(join(dir, 'main.lte'));
      expect(lat.elements.map((e) => e.FamName)).toEqual(['D', 'Q', 'D']);
      expect(lat.properties.name).toBe('B');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('thick monitors split, MALIGN as an offset Marker or dropped, unknown types as drifts, unused parameters: all in the loss log', () => {
    const src = [
      'BPM: MONI, L=0.2',
      'MAL: MALIGN, DZ=1e-3',
      'OFF: MALIGN, DX=1e-3, DYP=2e-5',
      'W: WIGGLER, L=1.5, K=2',
      'Q: KQUAD, L=0.2, K1=1, TILT=0.1, FSE=0.01',
      'RING: LINE=(BPM, MAL, W, Q, OFF)',
    ].join('\n');
    const losses = new ConversionLossLog();
    const lat = parseElegant(src, 'mem.lte', { losses });
    expect(lat.elements.map((e) => `${e.FamName}/${e.Class}`)).toEqual(['BPM/Drift', 'BPM/Monitor', 'BPM/Drift', 'W/Drift', 'Q/Quadrupole', 'OFF/Marker']);
    // MALIGN adds its offsets to the coordinates (elegant's offset_beam): T1 of a Marker.
    expect(lat.elements[5].T1).toEqual([1e-3, 0, 0, 2e-5, 0, 0]);
    expect((lat.elements[4].R1 as number[][])[0][2]).toBeCloseTo(Math.sin(0.1), 15);
    const got = losses.losses.map((l) => `${l.element}:${l.attribute}:${l.line}`);
    expect(got).toEqual(['MAL:DZ:2', 'W::4', 'W:K:4', 'Q:FSE:5', 'OFF::3']);
  });

  const bad: [string, string, RegExp][] = [
    ['undefined item', 'A: DRIF, L=1\nRING: LINE=(A, B)', /^bad\.lte:2:16: line RING: 'B' is neither an element nor a line/],
    ['missing L', 'Q: KQUAD, K1=1\nRING: LINE=(Q)', /^bad\.lte:1:1: element Q: KQUAD: parameter L is required/],
    ['bad number', 'Q: KQUAD, L=0.2x, K1=1\nRING: LINE=(Q)', /^bad\.lte:1:13: element Q: KQUAD: parameter L = 0\.2x: '0\.2x' is not a number/],
    ['unknown RPN token', 'Q: KQUAD, L="0.2 foo *"\nRING: LINE=(Q)', /^bad\.lte:1:18: element Q: KQUAD: parameter L = "0\.2 foo \*": unknown RPN token 'foo'/],
    ['RPN leaves two values', 'Q: KQUAD, L="0.2 0.3"\nRING: LINE=(Q)', /^bad\.lte:1:13: element Q: KQUAD: .*leaves 2 values/],
    ['empty line item', 'A: DRIF, L=1\nRING: LINE=(A,,A)', /^bad\.lte:2:15: line RING: empty item/],
    ['line contains itself', 'A: DRIF, L=1\nL1: LINE=(A, L1)\nRING: LINE=(L1)', /^bad\.lte:2:14: line L1: 'L1' contains itself/],
    ['bend without ANGLE', 'B: CSBEND, L=1\nRING: LINE=(B)', /^bad\.lte:1:1: element B: CSBEND: parameter ANGLE is required/],
    ['negative length', 'D: DRIF, L=-1\nRING: LINE=(D)', /^bad\.lte:1:1: element D: DRIF: L = -1: a length must not be negative/],
    ['MULT order', 'M: MULT, ORDER=1.5, KNL=1\nRING: LINE=(M)', /^bad\.lte:1:1: element M: MULT: ORDER = 1\.5/],
    ['N_KICKS below 4', 'Q: KQUAD, L=1, N_KICKS=2\nRING: LINE=(Q)', /^bad\.lte:1:1: element Q: KQUAD: NumIntSteps from N_KICKS = 2/],
    ['RFCA without FREQ', 'C: RFCA, VOLT=1e6\nRING: LINE=(C)', /^bad\.lte:1:1: element C: RFCA: parameter FREQ is required/],
    ['parameter without value', 'Q: KQUAD, L=1, K1=\nRING: LINE=(Q)', /^bad\.lte:1:19: element Q: parameter K1 has no value/],
    ['unbalanced parentheses', 'A: DRIF, L=1\nRING: LINE=(A, 2*(A, A)', /^bad\.lte:2:18: line RING: unbalanced parentheses in '2\*\(A, A'/],
    ['USE of no line', 'A: DRIF, L=1\nRING: LINE=(A)\nUSE, NOPE', /^bad\.lte:3:6: line NOPE: USE names no LINE/],
    ['no type', 'Q: , L=1\nRING: LINE=(Q)', /^bad\.lte:1:4: element Q: expected an element type/],
  ];
  it.each(bad)('malformed: %s gives file:line:column and the name', (_what, src, re) => {
    const parse = () => parseElegant(src, 'bad.lte');
    expect(parse).toThrow(LatticeFileError);
    expect(parse).toThrow(re);
  });
});

describe('elegant writer', () => {
  it('a tilted and shifted quadrupole keeps TILT, DX, DY; a thin multipole and NumIntSteps survive; skew terms are reported', () => {
    const src = 'Q: KQUAD, L=0.3, K1=1.5, TILT=0.02, DX=1e-4, DY=-2e-4, N_SLICES=7\nM: MULT, ORDER=2, KNL=0.4\nRING: LINE=(Q, M)';
    const lat = parseElegant(src, 'mem.lte');
    lat.elements[1].PolynomA = [0, 0, 0.1];
    const losses = new ConversionLossLog();
    const back = parseElegant(formatElegant(lat, { losses }), 'back.lte');
    // atan2(sin t, cos t) gives t back to an ulp: R1 agrees to 1e-17.
    const r0 = (lat.elements[0].R1 as number[][]).flat();
    const r1 = (back.elements[0].R1 as number[][]).flat();
    expect(Math.max(...r1.map((x, i) => Math.abs(x - r0[i])))).toBeLessThan(1e-17);
    expect(back.elements[0].T1).toEqual([-1e-4, 0, 2e-4, 0, 0, 0]);
    expect(back.elements[0].NumIntSteps).toBe(7);
    expect(back.elements[1].PolynomB).toEqual([0, 0, 0.2]);
    expect(losses.losses.map((l) => `${l.element}:${l.attribute}`)).toEqual(['M:PolynomA[2]', 'RING:energy', 'RING:particle']);
  });
});
