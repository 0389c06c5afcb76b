import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, facilityJsonSchema, injectionFamily, loadFacility } from '../../src/index.js';
import { RING } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlayer-beam-'));

/** The test ring with beam sections; the text is written as YAML so that issues have lines. */
function facilityWith(sections: Record<string, unknown>, families: Record<string, unknown> = {}): string {
  const d = parse(readFileSync(RING, 'utf8')) as Record<string, unknown> & { families: Record<string, unknown> };
  Object.assign(d, sections);
  Object.assign(d.families, families);
  const file = join(mkdtempSync(join(dir, 'f-')), 'facility.yaml');
  writeFileSync(file, stringify(d));
  return file;
}

const INJ = { INJ: { elementClass: 'Injection', fields: { setpoint: { channels: { sim: 'INJ' }, units: { hardware: '', physics: '' } } }, devices: [{ device: [1, 1], name: 'INJ' }] } };
const injection = { element: 0, twiss: { beta: [10, 5] }, emittance: [1e-7, 1e-8], energySpread: 1e-3, charge: 3e-10 };

describe('facility beam sections (issue 22): injection, chamber, openLine', () => {
  it('reads them with their defaults; the injection family is the only Injection-class family when none is named', () => {
    const f = loadFacility(facilityWith({ injection, chamber: { default: { shape: 'elliptical', halfSizes: [0.03, 0.011] }, classes: { Quadrupole: { shape: 'rectangular', halfSizes: [0.02, 0.01] } } } }, INJ));
    expect(f.config.injection!.twiss).toEqual({ beta: [10, 5], alpha: [0, 0], dispersion: [0, 0, 0, 0], orbit: [0, 0, 0, 0] });
    expect(f.config.chamber!.classes.Quadrupole).toEqual({ shape: 'rectangular', halfSizes: [0.02, 0.01] });
    expect(injectionFamily(f.config)).toBe('INJ');
    const s = JSON.stringify(facilityJsonSchema());
    for (const k of ['injection', 'chamber', 'openLine', 'energySpread', 'halfSizes']) expect(s).toContain(`"${k}"`);
  });

  it('a bad value is an issue naming file, line, column, path and value; nothing loads', () => {
    const file = facilityWith({ injection: { ...injection, emittance: [1e-7, -1e-9], family: 'NOPE' }, chamber: { default: { shape: 'round', halfSizes: [0.03, 0.01] } } }, INJ);
    let err: ConfigError | undefined;
    try {
      loadFacility(file);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.message;
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(text).toContain(`${file}:${at('shape: round')}:`);
    expect(text).toMatch(/chamber\.default\.shape/);
    expect(text).toContain(`${file}:${at('- -1e-9')}:7: injection.emittance[1]: expected a finite number >= 0 (got -1e-9)`);
  });

  it('checks the injection family and refuses a facility that is both a ring with an injection and an open line', () => {
    const noFamily = facilityWith({ injection: { ...injection, family: 'INJX' } }, INJ);
    expect(() => loadFacility(noFamily)).toThrow(/injection\.family: unknown family; families of element class Injection: INJ \(got "INJX"\)/);
    const both = facilityWith({ injection, openLine: { twiss: { beta: [10, 5] } } }, INJ);
    expect(() => loadFacility(both)).toThrow(/openLine: an open line has no injection into a ring: give either injection or openLine/);
  });
});
