import { describe, expect, it } from 'vitest';
import { datasetUnit, ratioUnit, unitInfo } from '../../src/index.js';

describe('units of measurement-file datasets', () => {
  it('stores composite units with their SI factor and dimension', () => {
    expect(unitInfo('m/A')).toMatchObject({ unitSI: 1, unitDimension: [1, 0, 0, -1, 0, 0, 0] });
    expect(ratioUnit('mm', 'mrad')).toMatchObject({ unit: 'mm/mrad', unitSI: 1 });
    expect(unitInfo('m^-3')).toMatchObject({ unitSI: 1, unitDimension: [-3, 0, 0, 0, 0, 0, 0] });
    expect(ratioUnit('mm', 'Hz')).toMatchObject({ unitSI: 1e-3, unitDimension: [1, 0, 1, 0, 0, 0, 0] });
    expect(() => unitInfo('furlong/A')).toThrow(/'furlong' is not a known unit/);
  });

  it('gives a dataset the unit, its SI factor and its dimension', () => {
    expect(datasetUnit(ratioUnit('m', 'A'))).toEqual({ unit: 'm/A', unitSI: 1, unitDimension: [1, 0, 0, -1, 0, 0, 0] });
    expect(ratioUnit('', 'rad').unit).toBe('1/rad');
    expect(ratioUnit('mm', '').unit).toBe('mm');
  });
});
