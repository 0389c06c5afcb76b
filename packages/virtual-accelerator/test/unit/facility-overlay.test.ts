/**
 * The facility overlay `mlayer serve` writes for clients lives in another folder:
 * every relative path of the facility (lattice, calibration CSVs, the tools'
 * golden orbit and data folder) must still name the original files, and with
 * `--families` the tool defaults naming a family that is not served are left out,
 * so the overlay loads as a facility.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { facilityTools, loadFacility } from '@mlayer/core';
import { writeFacilityOverlay } from '../../src/facility-overlay.js';

const here = dirname(fileURLToPath(import.meta.url));
const demo = resolve(here, '../../../../facilities/diamond-i04/facility.yaml');
const dir = mkdtempSync(join(tmpdir(), 'mlayer-overlay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('facility overlay', () => {
  const facility = loadFacility(demo);
  const cs = { name: 'epics', type: 'epics', settings: { addressList: ['127.0.0.1'] } };

  it('keeps the tools section loadable from another folder, its files those of the facility', () => {
    const overlay = loadFacility(writeFacilityOverlay(facility, cs, join(dir, 'a', 'diamond.epics.yaml')));
    const tools = facilityTools(overlay);
    const original = facilityTools(facility);
    expect(original.golden).toBeDefined();
    expect(tools.golden).toBe(original.golden);
    expect(tools.modelLattice ?? null).toBe(original.modelLattice ?? null);
    expect(tools.tuneFamilies).toEqual(original.tuneFamilies);
    expect(tools.ormStep).toEqual(original.ormStep);
  });

  it('with served families only, drops the defaults naming the others', () => {
    const served = new Set(['BPMx', 'BPMy', 'HSTR', 'RF']);
    const overlay = loadFacility(writeFacilityOverlay(facility, cs, join(dir, 'b', 'diamond.epics.yaml'), served));
    expect(Object.keys(overlay.config.families).sort()).toEqual([...served].sort());
    const tools = facilityTools(overlay);
    expect(tools.tuneFamilies).toBeUndefined();
    expect(tools.chromaticityFamilies).toBeUndefined();
    expect(tools.golden).toBeUndefined();
    expect(Object.keys(tools.ormStep)).toEqual(['HSTR']);
    // The injection section names INJ, not served: left out (the overlay would not load with it).
    expect(facility.config.injection?.family ?? 'INJ').toBe('INJ');
    expect(overlay.config.injection).toBeUndefined();
  });

  it('keeps the injection section when its family is served', () => {
    const served = new Set(['BPMx', 'BPMy', 'INJ']);
    const overlay = loadFacility(writeFacilityOverlay(facility, cs, join(dir, 'c', 'diamond.epics.yaml'), served));
    expect(facility.config.injection).toBeDefined();
    expect(overlay.config.injection).toEqual(facility.config.injection);
  });
});
