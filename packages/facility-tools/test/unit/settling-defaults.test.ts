/**
 * pytac states no settle times, tolerances or update periods: the importer writes
 * core's element-class defaults into every family, explicitly, and says so; a
 * measurement on the imported facility then relies on no default (no warning).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFacility, resolveSettling, settlingDefault } from '@mlayer/core';
import { PACKAGE_DIR } from '../helpers.js';

describe('settling of the imported Diamond I04 facility', () => {
  const file = join(PACKAGE_DIR, 'facility.yaml');
  const facility = loadFacility(file);
  const fams = facility.config.families;

  it('every family states its settle time, tolerance and update period: the element-class defaults, written out', () => {
    expect(fams.HSTR.fields.setpoint).toMatchObject({ settleTime: settlingDefault('Corrector').settleTime, tolerance: 1e-3 * Math.max(...fams.HSTR.devices.map((d) => d.limits![1] - d.limits![0])) });
    expect(fams.HSTR.fields.readback!.updatePeriod).toBe(0.1);
    expect(fams.BPMx.fields.monitor!.updatePeriod).toBe(settlingDefault('BPM').updatePeriod);
    expect(fams.Q1D.fields.setpoint!.settleTime).toBe(settlingDefault('Quadrupole').settleTime);
    expect(fams.TUNE.fields.monitor!.updatePeriod).toBe(settlingDefault('Tune').updatePeriod);
    // Nothing is left to the defaults: no family would be named in a measurement's warning.
    const relying = Object.entries(fams).filter(([, f]) => resolveSettling(f).defaulted.length > 0);
    expect(relying.map(([n]) => n)).toEqual([]);
  });

  it('the file says where the values come from', () => {
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/# - settleTime, tolerance \(setpoint\) and updatePeriod \(readings\): pytac states none; these are the\n# {3}element-class defaults of mlayer \(@mlayer\/core settling-defaults\.ts\), written out/);
    expect(readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8')).toMatch(/the importer writes mlayer's element-class defaults/);
  });
});
