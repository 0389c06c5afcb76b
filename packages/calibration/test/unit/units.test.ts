import { describe, expect, it } from 'vitest';
import { UnitConversionRegistry } from '@mlayer/core';
import { formatUnits, multipoleFieldUnits, parseUnits, registerCalibration, sameUnits } from '@mlayer/calibration';

describe('unit algebra', () => {
  it('parses products, quotients, exponents and superscripts', () => {
    expect(Object.fromEntries(parseUnits('T·m^-1'))).toEqual({ T: 1, m: -1 });
    expect(Object.fromEntries(parseUnits('T/m'))).toEqual({ T: 1, m: -1 });
    expect(Object.fromEntries(parseUnits('1/m^2'))).toEqual({ m: -2 });
    expect(Object.fromEntries(parseUnits('m⁻²'))).toEqual({ m: -2 });
    expect(Object.fromEntries(parseUnits('T*m*m/m'))).toEqual({ T: 1, m: 1 });
    expect(parseUnits('').size).toBe(0);
    expect(parseUnits('rad').size).toBe(0);
    expect(() => parseUnits('T·m^')).toThrow(/cannot read units/);
  });

  it('compares dimensions, not spellings; prefixes are different units', () => {
    expect(sameUnits('T m', 'm·T')).toBe(true);
    expect(sameUnits('T/m', 'T·m^-1')).toBe(true);
    expect(sameUnits('rad', '')).toBe(true);
    expect(sameUnits('mm', 'm')).toBe(false);
    expect(sameUnits('T', 'T·m')).toBe(false);
  });

  it('multipole field units T·m^(1-n) (integrated) and T·m^-n (local)', () => {
    expect(multipoleFieldUnits(0, true)).toBe('T·m');
    expect(multipoleFieldUnits(1, true)).toBe('T');
    expect(multipoleFieldUnits(2, true)).toBe('T·m^-1');
    expect(multipoleFieldUnits(1, false)).toBe('T·m^-1');
    expect(formatUnits(new Map([['m', -3]]))).toBe('m^-3');
  });
});

describe('registerCalibration', () => {
  it('registers every conversion type in core’s registry', () => {
    const registry = new UnitConversionRegistry();
    registerCalibration(registry);
    for (const t of ['identity', 'linear', 'polynomial', 'table', 'rigidity', 'hysteresis', 'combined']) expect(registry.has(t)).toBe(true);
    expect(registry.types().find((t) => t.type === 'table')!.description).toMatch(/PCHIP/);
  });
});
