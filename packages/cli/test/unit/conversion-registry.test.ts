/**
 * The CLI's conversion registry (src/conversion-registry.ts) validates each spec once
 * and builds a conversion without history once: the conversions it builds for the demo
 * facility convert as core's registry's do, a spec is validated once however many
 * devices use it, a history-dependent (hysteresis) conversion is still one instance per
 * device with its own state, and a bad spec fails each time with core's error. With
 * adopted shapes (the compiled-facility cache's, after a start that built everything) a
 * conversion is built only when first used, and converts as one built at once.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { UnitConversionRegistry, loadFacility, rigidity, type ConversionBuildContext, type UnitConversion } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { MemoizedConversionRegistry } from '../../src/conversion-registry.js';

const FACILITY = fileURLToPath(new URL('../../../../facilities/diamond-i04/facility.yaml', import.meta.url));

describe('MemoizedConversionRegistry', () => {
  const facility = loadFacility(FACILITY);
  const context = (id: string): ConversionBuildContext => ({ file: facility.file, resolvePath: facility.resolvePath, id });
  const beam = { energy: facility.config.energy, particle: facility.config.particle };
  const ctx = { beam, brho: rigidity(beam) };
  /** `b` converts as `a` (physics value, or the same error message) at a few hardware values. */
  const expectSameConversion = (b: UnitConversion, a: UnitConversion, id: string): void => {
    const value = (c: UnitConversion, hw: number) => {
      try {
        return c.toPhysics(hw, ctx);
      } catch (e) {
        return (e as Error).message;
      }
    };
    for (const hw of [0.5, 40, 120]) expect(value(b, hw), id).toBe(value(a, hw));
  };

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
        expectSameConversion(memo.create(spec, context(id)), plain.create(spec, context(id)), id);
        builds++;
      }
    }
    // core's registry validated on every build, the memoized one once per spec.
    expect(validate.mock.calls.length).toBe(builds + ids.length);
    validate.mockRestore();
  });

  it('a conversion without history is one instance; a hysteresis conversion is one per call, each with its own state', () => {
    const memo = new MemoizedConversionRegistry();
    registerCalibration(memo);
    const id = Object.keys(facility.config.unitConversions)[0];
    const spec = facility.config.unitConversions[id];
    const a = memo.create(spec, context(id));
    expect(a.commit).toBeUndefined();
    expect(memo.create(spec, context(id))).toBe(a);
    const table = { type: 'table', interpolation: 'linear', hardware: [0, 100, 200], hardwareUnits: 'A', physicsUnits: 'T' };
    const hyst = { type: 'hysteresis', hardwareUnits: 'A', physicsUnits: 'T', up: { ...table, physics: [0, 1.9, 3.4] }, down: { ...table, physics: [0, 2.1, 3.4] }, standardisation: { min: 0, max: 200, cycles: 1 }, threshold: 5 };
    const q1 = memo.create(hyst, context('QH'));
    const q2 = memo.create(hyst, context('QH'));
    expect(q1).not.toBe(q2);
    expect(q1.commit).toBeTypeOf('function');
    // Magnet 1 comes down from the top of the loop, magnet 2 goes up from 0: different branches at 100 A.
    q1.commit!(200);
    q1.commit!(100);
    q2.commit!(0);
    q2.commit!(100);
    expect(q1.toPhysics(100, ctx)).not.toBe(q2.toPhysics(100, ctx));
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

  it('adopted validated specs (the cache\'s) are built without validating again, converting as before; others are ignored', () => {
    const plain = new UnitConversionRegistry();
    registerCalibration(plain);
    const ids = Object.keys(facility.config.unitConversions);
    const specs: Record<string, unknown> = {};
    for (const id of ids) specs[id] = JSON.parse(JSON.stringify(plain.validate(facility.config.unitConversions[id], context(id), `unitConversions.${id}`)));
    // Ignored: an id the facility does not name, a spec of another type than the raw one.
    const [first, second] = ids;
    const otherType = { ...(specs[second] as object), type: 'linear' };
    const memo = new MemoizedConversionRegistry();
    registerCalibration(memo);
    memo.adoptValidated(facility, { ...specs, [second]: otherType, 'no-such-id': { type: 'linear' } });
    const validate = vi.spyOn(UnitConversionRegistry.prototype, 'validate');
    for (const id of ids) {
      const spec = facility.config.unitConversions[id];
      expectSameConversion(memo.create(spec, context(id)), plain.create(spec, context(id)), id);
    }
    // core's registry validated every build; the memoized one only the spec whose adopted one was ignored.
    const memoCalls = validate.mock.calls.filter((_c, i) => validate.mock.contexts[i] === memo);
    expect(memoCalls.map((c) => (c[1] as ConversionBuildContext).id)).toEqual([second]);
    expect(validate.mock.calls.length - memoCalls.length).toBe(ids.length);
    validate.mockRestore();
    expect(first).not.toBe(second);
  });

  it('adopted shapes: nothing is built until a conversion is used, then once; units, history methods and values as built at once', () => {
    const ids = Object.keys(facility.config.unitConversions);
    // A start that builds everything at once records the shapes and the tables read.
    const eager = new MemoizedConversionRegistry();
    registerCalibration(eager);
    const built = ids.map((id) => eager.create(facility.config.unitConversions[id], context(id)));
    const shapes = eager.builtShapes();
    expect(Object.keys(shapes).sort()).toEqual([...ids].sort());
    expect(eager.readFiles().sort()).toEqual(['pytac/uc_pchip_data.csv', 'pytac/uc_poly_data.csv'].map((f) => facility.resolvePath(f)));
    const hyst = { type: 'hysteresis', hardwareUnits: 'A', physicsUnits: 'T', up: { type: 'table', interpolation: 'linear', hardware: [0, 100, 200], physics: [0, 1.9, 3.4], hardwareUnits: 'A', physicsUnits: 'T' }, down: { type: 'table', interpolation: 'linear', hardware: [0, 100, 200], physics: [0, 2.1, 3.4], hardwareUnits: 'A', physicsUnits: 'T' }, standardisation: { min: 0, max: 200, cycles: 1 }, threshold: 5 };
    const withHyst = { ...facility, config: { ...facility.config, unitConversions: { ...facility.config.unitConversions, QH: hyst } } };
    const eagerHyst = eager.create(hyst, context('QH'));
    // The next start adopts them: creating every conversion builds none.
    const lazy = new MemoizedConversionRegistry();
    registerCalibration(lazy);
    lazy.adoptShapes(withHyst, { ...eager.builtShapes() });
    const create = vi.spyOn(UnitConversionRegistry.prototype, 'create');
    const conversions = ids.map((id) => lazy.create(facility.config.unitConversions[id], context(id)));
    const q1 = lazy.create(hyst, context('QH'));
    const q2 = lazy.create(hyst, context('QH'));
    expect(create).not.toHaveBeenCalled();
    conversions.forEach((c, i) => {
      expect(c.hardwareUnits, ids[i]).toBe(built[i].hardwareUnits);
      expect(c.physicsUnits, ids[i]).toBe(built[i].physicsUnits);
      expect(c.commit).toBeUndefined();
      expect(lazy.create(facility.config.unitConversions[ids[i]], context(ids[i]))).toBe(c);
    });
    expect(q1).not.toBe(q2);
    expect([q1.commit, q1.checkChange, q1.standardisationPlan].map((f) => typeof f)).toEqual([eagerHyst.commit, eagerHyst.checkChange, eagerHyst.standardisationPlan].map((f) => typeof f));
    // First use builds it, once; the values are those of the conversion built at once.
    for (const hw of [0.5, 40, 120]) expect(conversions[0].toPhysics(hw, ctx)).toBe(built[0].toPhysics(hw, ctx));
    expect(create).toHaveBeenCalledTimes(1);
    const value = (c: (typeof built)[number]) => {
      try {
        return c.toPhysics(40, ctx);
      } catch (e) {
        return (e as Error).message;
      }
    };
    conversions.forEach((c, i) => expect(value(c), ids[i]).toBe(value(built[i])));
    expect(create).toHaveBeenCalledTimes(ids.length);
    create.mockRestore();
    // Each hysteresis magnet keeps its own history, built on its first commit.
    q1.commit!(200);
    q1.commit!(100);
    q2.commit!(0);
    q2.commit!(100);
    expect(q1.toPhysics(100, ctx)).not.toBe(q2.toPhysics(100, ctx));
    // A spec of another object (or another path) is built at once as before.
    const copy = { ...(facility.config.unitConversions[ids[0]] as object) };
    const spy = vi.spyOn(UnitConversionRegistry.prototype, 'create');
    lazy.create(copy, context(ids[0]));
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});
