import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mlayer/core';
import { ConversionRangeError, PolynomialCurve, TableCurve } from '@mlayer/calibration';
import { beamContext, create, grid, makeRegistry, relErr, roundTripError } from '../helpers.js';

const ctx = beamContext(3e9);

describe('linear', () => {
  it('physics = gain · hardware + offset, both ways', () => {
    const conv = create(makeRegistry(), 'BPM1.x', { type: 'linear', gain: 1e-3, offset: 2e-5, hardwareUnits: 'mm', physicsUnits: 'm' });
    expect(conv.hardwareUnits).toBe('mm');
    expect(conv.physicsUnits).toBe('m');
    expect(conv.toPhysics(3, ctx)).toBeCloseTo(3.02e-3, 18);
    for (const h of grid(-10, 10, 101)) expect(relErr(conv.toHardware(conv.toPhysics(h, ctx), ctx), h)).toBeLessThan(1e-12);
  });

  it('a declared range is enforced', () => {
    const conv = create(makeRegistry(), 'c', { type: 'linear', gain: 2, hardwareUnits: 'A', physicsUnits: 'T', range: [0, 10] });
    expect(() => conv.toPhysics(11, ctx)).toThrow(ConversionRangeError);
    expect(() => conv.toHardware(21, ctx)).toThrow(/unit conversion 'c'.*physics value 21 T is outside/);
  });

  it('a zero gain is rejected', () => {
    expect(() => create(makeRegistry(), 'z', { type: 'linear', gain: 0, hardwareUnits: 'A', physicsUnits: 'T' })).toThrow(
      /unitConversions\.z\.gain: unit conversion 'z': a gain of 0 cannot be inverted/,
    );
  });
});

describe('polynomial', () => {
  // A saturating excitation curve (T·m vs A), monotonic on [0, 300]:
  // p(I) = 0.01 + 0.05 I − 2e-5 I² − 2e-8 I³, p'(I) = 0.05 − 4e-5 I − 6e-8 I² > 0 up to I ≈ 615
  const spec = {
    type: 'polynomial',
    coefficients: [0.01, 0.05, -2e-5, -2e-8],
    range: [0, 300],
    hardwareUnits: 'A',
    physicsUnits: 'T·m',
  };

  it('evaluates Σ c_k h^k', () => {
    const conv = create(makeRegistry(), 'p3', spec);
    // 0.01 + 0.05·100 − 2e-5·1e4 − 2e-8·1e6 = 0.01 + 5 − 0.2 − 0.02
    expect(conv.toPhysics(100, ctx)).toBeCloseTo(4.79, 14);
  });

  it('inverse by monotonic solve, round trip within 1e-12 over the range', () => {
    const conv = create(makeRegistry(), 'p3', spec);
    let worst = 0;
    for (const h of grid(0, 300, 3001, [1e-6, 299.999999])) worst = Math.max(worst, roundTripError(conv.toHardware(conv.toPhysics(h, ctx), ctx), h, 0.3));
    expect(worst).toBeLessThan(1e-12);
  });

  it('an order-5 decreasing polynomial', () => {
    // p(h) = 3 − h − 0.1 h³ − 0.01 h⁵: p' < 0 everywhere
    const c = new PolynomialCurve({ conversion: 'p5', label: 'p5', hardwareUnits: 'V', physicsUnits: 'm', coefficients: [3, -1, 0, -0.1, 0, -0.01], range: [-4, 4] });
    expect(c.direction).toBe(-1);
    for (const h of grid(-4, 4, 801)) expect(relErr(c.toHardware(c.toPhysics(h)), h)).toBeLessThan(1e-12);
  });

  it('order ≥ 2 needs a range, and must be monotonic on it', () => {
    const registry = makeRegistry();
    expect(() => create(registry, 'q', { type: 'polynomial', coefficients: [0, 1, 1], hardwareUnits: 'A', physicsUnits: 'T' })).toThrow(
      /unitConversions\.q\.range: unit conversion 'q', curve polynomial at unitConversions\.q: a polynomial of order 2 needs a hardware 'range'/,
    );
    // h + h² has its minimum at −0.5
    expect(() =>
      create(registry, 'q', { type: 'polynomial', coefficients: [0, 1, 1], range: [-2, 2], hardwareUnits: 'A', physicsUnits: 'T' }),
    ).toThrow(/unit conversion 'q', curve polynomial at unitConversions\.q: the polynomial is not monotonic on \[-2, 2\] \(its slope changes sign at hardware -0\.5\)/);
  });

  it('outside the physics range of the declared range is an error', () => {
    const conv = create(makeRegistry(), 'p3', spec);
    expect(() => conv.toHardware(100, ctx)).toThrow(ConversionRangeError);
    expect(() => conv.toPhysics(-1, ctx)).toThrow(/hardware value -1 A is outside the curve's range \[0, 300\]/);
  });

  it('coefficients either inline or from a CSV, not both', () => {
    expect(() =>
      create(makeRegistry(), 'b', {
        type: 'polynomial',
        coefficients: [0, 1],
        csv: { path: 'pytac/uc_poly_data.csv', powerColumn: 'coeff', coefficientColumn: 'val', where: { uc_id: 1 } },
        hardwareUnits: 'A',
        physicsUnits: 'T',
      }),
    ).toThrow(/exactly one of 'coefficients' or 'csv'/);
  });
});

describe('table', () => {
  const base = { hardwareUnits: 'A', physicsUnits: 'T·m', hardware: [0, 50, 100, 150, 200], physics: [0.002, 1.0, 1.95, 2.7, 3.1] };

  it('linear interpolation: values and exact inverse', () => {
    const conv = create(makeRegistry(), 't', { type: 'table', interpolation: 'linear', ...base });
    expect(conv.toPhysics(25, ctx)).toBeCloseTo(0.501, 15);
    expect(conv.toPhysics(175, ctx)).toBeCloseTo(2.9, 15);
    let worst = 0;
    for (const h of grid(0, 200, 2001)) worst = Math.max(worst, Math.abs(conv.toHardware(conv.toPhysics(h, ctx), ctx) - h) / Math.max(Math.abs(h), 0.2));
    expect(worst).toBeLessThan(1e-12);
  });

  it('pchip is the default interpolation', () => {
    const a = create(makeRegistry(), 't', { type: 'table', ...base });
    const b = create(makeRegistry(), 't', { type: 'table', interpolation: 'pchip', ...base });
    expect(a.toPhysics(123, ctx)).toBe(b.toPhysics(123, ctx));
    expect(a.toPhysics(123, ctx)).not.toBe(create(makeRegistry(), 't', { type: 'table', interpolation: 'linear', ...base }).toPhysics(123, ctx));
  });

  it('rows in any order are sorted by hardware', () => {
    const a = create(makeRegistry(), 't', { type: 'table', ...base });
    const b = create(makeRegistry(), 't', { ...base, type: 'table', hardware: [...base.hardware].reverse(), physics: [...base.physics].reverse() });
    for (const h of grid(0, 200, 9)) expect(b.toPhysics(h, ctx)).toBe(a.toPhysics(h, ctx));
  });

  it('outside the range is an error by default, naming the conversion and the curve', () => {
    const conv = create(makeRegistry(), 'QF.b1', { type: 'table', ...base });
    expect(() => conv.toPhysics(201, ctx)).toThrow(ConversionRangeError);
    expect(() => conv.toPhysics(201, ctx)).toThrow(
      "unit conversion 'QF.b1', curve table at unitConversions.QF.b1: hardware value 201 A is outside the curve's range [0, 200] and the curve declares no extrapolation",
    );
    expect(() => conv.toHardware(3.2, ctx)).toThrow(/physics value 3\.2 T·m is outside the curve's range \[0\.002, 3\.1\]/);
  });

  it("extrapolation 'clamp' and 'linear'", () => {
    const clamp = create(makeRegistry(), 't', { type: 'table', interpolation: 'linear', extrapolation: 'clamp', ...base });
    expect(clamp.toPhysics(250, ctx)).toBe(3.1);
    expect(clamp.toHardware(5, ctx)).toBe(200);
    expect(clamp.toHardware(-1, ctx)).toBe(0);
    const lin = create(makeRegistry(), 't', { type: 'table', interpolation: 'linear', extrapolation: 'linear', ...base });
    // last segment slope (3.1 − 2.7)/50 = 0.008
    expect(lin.toPhysics(250, ctx)).toBeCloseTo(3.5, 14);
    expect(lin.toHardware(3.5, ctx)).toBeCloseTo(250, 12);
    expect(lin.toHardware(lin.toPhysics(-20, ctx), ctx)).toBeCloseTo(-20, 12);
    const bounded = create(makeRegistry(), 't', { type: 'table', extrapolation: 'linear', domain: [-10, 220], ...base });
    expect(() => bounded.toPhysics(221, ctx)).toThrow(/outside the curve's range \[-10, 220\]/);
    for (const h of [-10, -3, 205, 220]) expect(relErr(bounded.toHardware(bounded.toPhysics(h, ctx), ctx), h)).toBeLessThan(1e-12);
  });

  it("extrapolation 'extend' needs a domain and a monotonic extension", () => {
    expect(() => create(makeRegistry(), 'e', { type: 'table', extrapolation: 'extend', ...base })).toThrow(/unitConversions\.e\.domain: .*needs a 'domain'/);
    // the end cubic of this table turns over beyond 200 A
    expect(() => create(makeRegistry(), 'e', { type: 'table', extrapolation: 'extend', domain: [0, 1000], ...base })).toThrow(
      /unit conversion 'e', curve table at unitConversions\.e: the extended end piece is not monotonic/,
    );
  });

  it('a non-monotonic table is rejected naming the conversion and the curve', () => {
    const bad = { type: 'table', hardwareUnits: 'A', physicsUnits: 'T', hardware: [0, 10, 20, 30], physics: [0, 1, 0.9, 2] };
    expect(() => create(makeRegistry(), 'SX1.b2', bad)).toThrow(ConfigError);
    expect(() => create(makeRegistry(), 'SX1.b2', bad)).toThrow(
      /unitConversions\.SX1\.b2\.physics: unit conversion 'SX1\.b2', curve table at unitConversions\.SX1\.b2: non-monotonic table: physics goes 1 → 0\.9 between hardware 10 and 20/,
    );
    // flat segment and duplicated hardware value
    expect(() => create(makeRegistry(), 'f', { ...bad, physics: [0, 1, 1, 2] })).toThrow(/non-monotonic table/);
    expect(() => create(makeRegistry(), 'd', { ...bad, hardware: [0, 10, 10, 30] })).toThrow(/hardware value 10 appears twice/);
    // a non-monotonic CSV curve names the file and the id
    expect(() =>
      new TableCurve({ conversion: 'x', label: 'uc_id=7 in f.csv', hardwareUnits: 'A', physicsUnits: 'T', hardware: [0, 1, 2], physics: [0, 2, 1] }),
    ).toThrow("unit conversion 'x', curve uc_id=7 in f.csv: non-monotonic table");
  });

  it('the schema is strict: unknown keys and missing units are rejected', () => {
    expect(() => create(makeRegistry(), 's', { type: 'table', hardware: [0, 1], physics: [0, 1], hardwareUnits: 'A', physicsUnits: 'T', interp: 'pchip' })).toThrow(
      /unitConversions\.s: unit conversion 's': Unrecognized key/,
    );
    expect(() => create(makeRegistry(), 's', { type: 'table', hardware: [0, 1], physics: [0, 1], hardwareUnits: 'A' })).toThrow(/unitConversions\.s\.physicsUnits/);
  });

  it('a CSV with column selection by name and index', () => {
    // uc_pchip_data.csv columns: uc_id, eng, phy
    const conv = create(makeRegistry(), 'c', {
      type: 'table',
      csv: { path: 'pytac/uc_pchip_data.csv', hardwareColumn: 1, physicsColumn: 'phy', where: { uc_id: '14' } },
      hardwareUnits: 'A',
      physicsUnits: 'T',
    });
    expect(conv.toPhysics(50, ctx)).toBe(-28.19263554);
    expect(() =>
      create(makeRegistry(), 'c', { type: 'table', csv: { path: 'pytac/uc_pchip_data.csv', hardwareColumn: 'amps', physicsColumn: 'phy' }, hardwareUnits: 'A', physicsUnits: 'T' }),
    ).toThrow(/no column 'amps' \(columns: uc_id, eng, phy\)/);
  });
});
