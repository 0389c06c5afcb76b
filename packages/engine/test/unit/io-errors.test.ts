/**
 * Malformed inputs: every error is a typed LatticeFileError (or
 * UnknownLatticeFormatError) whose message names the file and the line (.m) or
 * the element index (.mat, .json).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LatticeFileError, LatticeFormatRegistry, UnknownLatticeFormatError, loadLattice, parseAtJson, parseMLattice, parseMatLattice, saveLattice } from '../../src/index.js';
import { writeMat5, type MatValue } from '../../src/io/mat-v5.js';
import { SHARED } from '../io-compare.js';

const tmp = mkdtempSync(join(tmpdir(), 'mlayer-io-err-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function catchError(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

function struct(rec: Record<string, MatValue>): MatValue {
  return { kind: 'struct', dims: [1, 1], fields: Object.keys(rec), data: [rec] };
}
const s = (text: string): MatValue => ({ kind: 'char', dims: [1, text.length], text });
const n = (...x: number[]): MatValue => ({ kind: 'numeric', dims: [1, x.length], data: Float64Array.from(x), logical: false });

describe('lattice file errors', () => {
  it('an unknown extension lists the known ones', () => {
    const e = catchError(() => loadLattice('/tmp/ring.xyz'));
    expect(e).toBeInstanceOf(UnknownLatticeFormatError);
    expect(e.message).toContain('/tmp/ring.xyz');
    const known = e.message.split('known extensions: ')[1].split(', ');
    expect(known).toEqual([...known].sort());
    expect(known).toEqual(expect.arrayContaining(['.atjson.json', '.json', '.lattice.json', '.m', '.mat', '.madx', '.seq']));
  });

  it('a read-only format cannot be saved', () => {
    const r = new LatticeFormatRegistry();
    r.registerFormat('.lat', { load: () => ({ elements: [], properties: { name: '', energy: 1, periodicity: 1, particle: { name: 'relativistic', rest_energy: 0, charge: -1 } } }), description: 'test' });
    expect(() => r.saveLattice('x.lat', r.loadLattice('x.lat'))).toThrow(/'\.lat' does not support save/);
  });

  it('.m: an unknown function names the file and the line', () => {
    const src = "function ring = t()\nring = {atdrift('D', 1);...\n    atfoo('X', 2);...\n};\nend\n";
    const e = catchError(() => parseMLattice(src, 'deck.m'));
    expect(e).toBeInstanceOf(LatticeFileError);
    expect(e.message).toBe("deck.m:3: unknown function or variable 'atfoo'");
  });

  it('.m: an unbalanced bracket names where it was opened', () => {
    const src = "function ring = t()\nring = {atdrift('D', 1);...\n    atquadrupole('Q', 0.5, [1 2);...\n};\nend\n";
    const e = catchError(() => parseMLattice(src, 'deck.m'));
    expect(e).toBeInstanceOf(LatticeFileError);
    expect((e as LatticeFileError).location.line).toBe(3);
    expect(e.message).toMatch(/^deck\.m:3:\d+: unbalanced '\[' opened at line 3, column \d+: expected '\]', found '\)'/);
  });

  it('.m: an unclosed cell array is reported with its opening line', () => {
    const src = "function ring = t()\nring = {atdrift('D', 1);...\n    atmarker('M');\nend\n";
    const e = catchError(() => parseMLattice(src, 'deck.m'));
    expect(e.message).toMatch(/unbalanced '\{' opened at line 2/);
  });

  it('.m: an element without PassMethod names the element and its line', () => {
    const src = "ring = {atdrift('D', 1), ...\n  struct('FamName', 'X', 'Length', 0)};\n";
    const e = catchError(() => parseMLattice(src, 'deck.m'));
    expect(e).toBeInstanceOf(LatticeFileError);
    expect(e.message).toBe("deck.m:2: element 1: element 'X' has no PassMethod");
  });

  it('.m: a field of the wrong shape names element, field and line', () => {
    const src = "ring = {atringparam('R', 3e9, 1), ...\n  atdrift('D', 1, 'T1', [0 0 0 0 0])};\n";
    const e = catchError(() => parseMLattice(src, 'deck.m'));
    expect(e.message).toBe("deck.m:2: element 'D', field T1: expected 6 numbers, got 5: [0,0,0,0,0]");
  });

  it('.m: a lattice without energy is an error', () => {
    expect(() => parseMLattice("ring = {atdrift('D', 1)};", 'deck.m')).toThrow(/deck\.m: lattice energy is not defined/);
  });

  it('.mat: a truncated file names the file', () => {
    for (const f of [join(SHARED, 'lattices/hmba/hmba_orig.mat'), join(SHARED, 'facilities/diamond-i04/I04_source.mat')]) {
      const buf = readFileSync(f);
      const e = catchError(() => parseMatLattice(buf.subarray(0, Math.floor(buf.length / 2)), f));
      expect(e).toBeInstanceOf(LatticeFileError);
      expect(e.message.startsWith(`${f}: `)).toBe(true);
      expect(e.message).toMatch(/truncated|decompress/);
    }
    expect(() => parseMatLattice(Buffer.from('MATLAB 5.0'), 'short.mat')).toThrow(/short\.mat: file too short/);
  });

  it('.mat: an element without PassMethod names the element index', () => {
    const ring: MatValue = {
      kind: 'cell',
      dims: [1, 2],
      data: [struct({ FamName: s('D'), Length: n(1), PassMethod: s('DriftPass'), Energy: n(3e9) }), struct({ FamName: s('M'), Length: n(0) })],
    };
    const path = join(tmp, 'nopass.mat');
    writeFileSync(path, writeMat5(new Map([['RING', ring]])));
    const e = catchError(() => loadLattice(path));
    expect(e).toBeInstanceOf(LatticeFileError);
    expect(e.message).toBe(`${path}: element 1: element 'M' has no PassMethod`);
  });

  it('.mat: a missing lattice variable lists the variables', () => {
    const path = join(tmp, 'novar.mat');
    writeFileSync(path, writeMat5(new Map([['A', n(1)], ['B', n(2)]])));
    expect(() => loadLattice(path)).toThrow(/no RING or THERING variable.*variables: A, B/);
  });

  it('.json: syntax errors give the line, bad elements the index', () => {
    const e1 = catchError(() => parseAtJson('{\n "elements": [\n  {"FamName": "D",, }\n ]}', 'bad.json'));
    expect(e1).toBeInstanceOf(LatticeFileError);
    expect((e1 as LatticeFileError).location.line).toBe(3);
    const text = JSON.stringify({ elements: [{ FamName: 'D', Length: 1, PassMethod: 'DriftPass' }, { FamName: 'Q', Length: 1 }], properties: { energy: 1e9 } });
    expect(() => parseAtJson(text, 'bad.json')).toThrow("bad.json: element 1: element 'Q' has no PassMethod");
    const noEnergy = JSON.stringify({ elements: [], properties: {} });
    expect(() => parseAtJson(noEnergy, 'e.json')).toThrow(/e\.json: properties\.energy is missing/);
  });

  it('conflicting K and PolynomB are rejected as pyAT does', () => {
    const text = JSON.stringify({
      elements: [{ FamName: 'Q', Length: 1, PassMethod: 'StrMPoleSymplectic4Pass', Class: 'Quadrupole', K: 1.5, PolynomB: [0, 1.2] }],
      properties: { energy: 1e9 },
    });
    expect(() => parseAtJson(text, 'k.json')).toThrow("k.json: element 0: element 'Q', field PolynomB: K = 1.5 does not match PolynomB = [0,1.2] (PolynomB[1] must equal K)");
  });

  it('saving to an unknown extension is an error', () => {
    const lat = loadLattice(join(SHARED, 'lattices/hmba/hmba_orig.atjson.json'));
    expect(() => saveLattice(join(tmp, 'x.xyz'), lat)).toThrow(UnknownLatticeFormatError);
  });
});
