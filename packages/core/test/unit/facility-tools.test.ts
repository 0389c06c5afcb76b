import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, facilityJsonSchema, facilityTools, loadFacility, readBpmReference } from '../../src/index.js';
import { RING } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-tools-'));

function facilityWith(tools: unknown, files: Record<string, string> = {}): string {
  const d = parse(readFileSync(RING, 'utf8')) as Record<string, unknown>;
  d.tools = tools;
  const sub = mkdtempSync(join(dir, 'f-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
  const file = join(sub, 'facility.yaml');
  writeFileSync(file, stringify(d));
  return file;
}

describe('facility tools section', () => {
  it('gives the defaults with paths relative to the facility file, and ./out of the working directory without dataDir', () => {
    const file = facilityWith(
      { dataDir: 'data', orbit: { ormStep: { HCM: 1e-5 }, dispersionStep: 50, golden: 'golden.yaml', responseMatrix: 'orm.h5' }, tune: { families: ['QF', 'HCM'] }, model: { bpms: ['BPMx'] } },
      { 'golden.yaml': 'unit: mm\nfamilies: {}\n', 'orm.h5': '' },
    );
    const f = loadFacility(file);
    const t = facilityTools(f, '/somewhere');
    const sub = join(file, '..');
    expect(t).toMatchObject({ dataDir: join(sub, 'data'), dataDirFromFacility: true, ormStep: { HCM: 1e-5 }, dispersionStep: 50, golden: join(sub, 'golden.yaml'), responseMatrix: join(sub, 'orm.h5'), tuneFamilies: ['QF', 'HCM'], modelBpms: ['BPMx'] });
    expect(t.offsets).toBeUndefined();
    const none = facilityTools(loadFacility(RING), '/somewhere');
    expect(none.dataDir).toBe('/somewhere/out');
    expect(none.dataDirFromFacility).toBe(false);
    expect(none.ormStep).toEqual({});
  });

  it('is in the JSON Schema of the facility file', () => {
    const s = JSON.stringify(facilityJsonSchema());
    for (const k of ['ormStep', 'dispersionStep', 'golden', 'offsets', 'responseMatrix', 'dataDir']) expect(s).toContain(`"${k}"`);
  });
});

describe('golden orbit and BPM offset files', () => {
  const config = loadFacility(RING).config;
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads values per BPM name, converted from the file unit to the physics unit of the family (m)', () => {
    const r = readBpmReference(write('g.yaml', 'unit: mm\nfamilies:\n  BPMx: { BPM1-1: 0.5, BPM2-1: -1.25, BPM1-2: 0.002 }\n'), config);
    expect(r.unit).toBe('mm');
    expect([...r.families.get('BPMx')!].slice(0, 2)).toEqual([['BPM1-1', 0.0005], ['BPM2-1', -0.00125]]);
    expect(r.families.get('BPMx')!.get('BPM1-2')).toBeCloseTo(2e-6, 15);
  });

  it('names file, line, column, field and value of each problem', () => {
    const file = write('bad.yaml', 'unit: mm\nfamilies:\n  BPMx:\n    BPM1-1: 0.5\n    BPM9-9: 1\n    BPM2-1: high\n  HCM: { HCM1: 0 }\n');
    let err: unknown;
    try {
      readBpmReference(file, config, 'golden orbit');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).message.split('\n');
    expect(lines).toEqual([
      `${file}:5:5: families.BPMx.BPM9-9: no device of BPMx has this name (got "BPM9-9")`,
      `${file}:6:13: families.BPMx.BPM2-1: expected a finite number (mm) (got "high")`,
      `${file}:7:3: families.HCM: family HCM is not a BPM family; BPM families: BPMx (got "HCM")`,
    ]);
  });

  it('refuses a unit that is not a length, and a missing file', () => {
    expect(() => readBpmReference(write('u.yaml', 'unit: rad\nfamilies: {}\n'), config)).toThrow(/u\.yaml:1:7: unit: expected a length unit \(m, mm, um, nm\) \(got "rad"\)/);
    expect(() => readBpmReference(join(dir, 'none.yaml'), config, 'golden orbit')).toThrow(/none\.yaml: \(root\): golden orbit file not found/);
  });
});
