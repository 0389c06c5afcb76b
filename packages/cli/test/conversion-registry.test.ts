/**
 * The CLI's conversion registry (src/conversion-registry.ts) validates each spec once:
 * the conversions it builds for the demo facility convert as core's registry's do, a
 * spec is validated once however many devices use it, and a bad spec fails each time
 * with the same error as with core's registry.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { UnitConversionRegistry, loadFacility, rigidity, type ConversionBuildContext } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { MemoizedConversionRegistry } from '../src/conversion-registry.js';

const FACILITY = fileURLToPath(new URL('../../../facilities/diamond-i04/facility.yaml', import.meta.url));

describe('MemoizedConversionRegistry', () => {
  const facility = loadFacility(FACILITY);
  const context = (id: string): ConversionBuildContext => ({ file: facility.file, resolvePath: facility.resolvePath, id });
  const beam = { energy: facility.config.energy, particle: facility.config.particle };
  const ctx = { beam, brho: rigidity(beam) };

  it('builds conversions that convert as core registry ones, validating each spec once', () => {
    const plain = new UnitConversionRegistry();
    const memo = new MemoizedConversionRegistry();
    registerCalibration(plain);
    registerCalibration(memo);
    const validate = vi.spyOn(UnitConversionRegistry.prototype, 'validate');
    const ids = Object.keys(facility.config.unitConversions);
    let builds = 0;
    for (let round = 0; round < 3; round++) {
      for (const id of ids) {
        const spec = facility.config.unitConversions[id];
        const a = plain.create(spec, context(id));
        const b = memo.create(spec, context(id));
        builds++;
        for (const hw of [0.5, 40, 120]) {
          const value = (c: typeof a) => {
            try {
              return c.toPhysics(hw, ctx);
            } catch (e) {
              return (e as Error).message;
            }
          };
          expect(value(b), id).toBe(value(a));
        }
      }
    }
    // core's registry validated on every build, the memoized one once per spec.
    expect(validate.mock.calls.length).toBe(builds + ids.length);
    validate.mockRestore();
  });

  it('a bad spec fails every time with the error of core registry', () => {
    const plain = new UnitConversionRegistry();
    const memo = new MemoizedConversionRegistry();
    registerCalibration(plain);
    registerCalibration(memo);
    const bad = { type: 'polynomial', coefficients: 'many', hardwareUnits: 'A', physicsUnits: 'T' };
    let message = '';
    try {
      plain.create(bad, context('broken'));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/broken/);
    expect(() => memo.create(bad, context('broken'))).toThrow(message);
    expect(() => memo.create(bad, context('broken'))).toThrow(message);
  });
});
