import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlayerError } from '@mlayer/core';
import { importPytac, PytacImportError, readPytac } from '@mlayer/facility-tools';
import { LATTICE, pytacCopy, tempDir } from '../helpers.js';

/** Edits one pytac file of a fresh copy; returns the folder. */
function edited(file: string, edit: (lines: string[]) => string[]): string {
  const dir = pytacCopy();
  const path = join(dir, file);
  const lines = readFileSync(path, 'utf8').split('\n');
  writeFileSync(path, edit(lines).join('\n'));
  return dir;
}

function importError(dir: string): PytacImportError {
  try {
    importPytac({ pytacDir: dir, latticeFile: LATTICE, outDir: tempDir('bad'), name: 'bad' });
  } catch (e) {
    expect(e).toBeInstanceOf(PytacImportError);
    expect(e).toBeInstanceOf(MlayerError);
    return e as PytacImportError;
  }
  throw new Error('the import did not fail');
}

describe('malformed pytac input', () => {
  it('a missing column names the file and its header line', () => {
    const dir = edited('epics_devices.csv', (l) => l.map((line) => line.split(',').slice(0, 4).join(',')));
    const e = importError(dir);
    expect(e.file).toBe(join(dir, 'epics_devices.csv'));
    expect(e.line).toBe(1);
    expect(e.message).toBe(`${join(dir, 'epics_devices.csv')}:1: missing column 'set_pv' (columns: el_id, name, field, get_pv)`);
  });

  it('an unknown uc_id names unitconv.csv, the line and the curve file', () => {
    // line 20 of unitconv.csv is a pchip row (b1 of a quadrupole)
    const dir = edited('unitconv.csv', (l) => l.map((line, i) => (i === 19 ? line.replace(/^(\d+,b1,pchip,)\d+,/, '$199999,') : line)));
    expect(readFileSync(join(dir, 'unitconv.csv'), 'utf8').split('\n')[19]).toMatch(/,pchip,99999,/);
    const e = importError(dir);
    expect(e.message).toBe(`${join(dir, 'unitconv.csv')}:20: unknown uc_id 99999: no pchip curve with this id in uc_pchip_data.csv`);
  });

  it('an unknown poly uc_id too', () => {
    const dir = edited('unitconv.csv', (l) => l.map((line) => (line.startsWith('0,energy,poly,1,') ? line.replace('0,energy,poly,1,', '0,energy,poly,4242,') : line)));
    const line = readFileSync(join(dir, 'unitconv.csv'), 'utf8').split('\n').findIndex((s) => s.includes('poly,4242')) + 1;
    expect(importError(dir).message).toBe(`${join(dir, 'unitconv.csv')}:${line}: unknown uc_id 4242: no poly curve with this id in uc_poly_data.csv`);
  });

  it('a bad number, a bad el_id, an unknown uc_type and a row with no PV name file and line', () => {
    let dir = edited('elements.csv', (l) => l.map((line, i) => (i === 5 ? 'Drift,abc' : line)));
    expect(importError(dir).message).toBe(`${join(dir, 'elements.csv')}:6: column 'length': "abc" is not a number`);
    dir = edited('families.csv', (l) => l.map((line, i) => (i === 3 ? '99999,Q1D' : line)));
    expect(importError(dir).message).toBe(`${join(dir, 'families.csv')}:4: el_id 99999 is not an element of elements.csv (expected 1..2190)`);
    dir = edited('unitconv.csv', (l) => l.map((line, i) => (i === 1 ? line.replace(',null,', ',spline,') : line)));
    expect(importError(dir).message).toBe(`${join(dir, 'unitconv.csv')}:2: column 'uc_type': unknown type "spline" (expected null, poly or pchip)`);
    dir = edited('epics_devices.csv', (l) => l.map((line, i) => (i === 1 ? '0,SR-DI-DCCT-01,beam_current,,' : line)));
    expect(importError(dir).message).toBe(`${join(dir, 'epics_devices.csv')}:2: device SR-DI-DCCT-01 field beam_current has neither get_pv nor set_pv`);
  });

  it('a row with a different cell count, a missing file', () => {
    let dir = edited('uc_poly_data.csv', (l) => l.map((line, i) => (i === 2 ? `${line},7` : line)));
    expect(importError(dir).message).toMatch(new RegExp(`^${join(dir, 'uc_poly_data.csv')}: line 3 has 4 cells but the header has 3$`));
    dir = pytacCopy();
    writeFileSync(join(dir, 'families.csv'), '');
    expect(importError(dir).message).toMatch(/families\.csv: the file is empty/);
    expect(() => readPytac(tempDir('empty'))).toThrow(/elements\.csv: cannot read the file/);
  });

  it('a curve used with two meanings is refused, naming both lines', () => {
    // give a BPM row (no Bρ) the curve of a corrector (Bρ)
    const rows = readFileSync(join(pytacCopy(), 'unitconv.csv'), 'utf8').split('\n');
    const kick = rows.findIndex((s) => /^\d+,x_kick,poly,/.test(s) && s.endsWith(',-5,5'));
    const kickId = rows[kick].split(',')[3];
    const bpm = rows.findIndex((s) => /^\d+,x,poly,118,/.test(s));
    const dir = edited('unitconv.csv', (l) => l.map((line, i) => (i === bpm ? line.replace(',x,poly,118,', `,x,poly,${kickId},`) : line)));
    const e = importError(dir);
    expect(e.message).toContain(`curve poly ${kickId} is used here as`);
    expect(e.message).toMatch(new RegExp(`unitconv\\.csv:${Math.max(bpm, kick) + 1}: .*on line ${Math.min(bpm, kick) + 1}`));
  });

  it('a family whose devices mix read-only and settable PVs is refused', () => {
    const dir = edited('epics_devices.csv', (l) => l.map((line) => (line.startsWith('5,SR01A-PC-Q1D-01,b1,') ? '5,SR01A-PC-Q1D-01,b1,SR01A-PC-Q1D-01:I,' : line)));
    expect(importError(dir).message).toMatch(/epics_devices\.csv:\d+: device SR01A-PC-Q1D-01 of family Q1D has no set_pv while other devices of the family have one/);
  });
});
