/** Unit strings of a field and its conversion compare after normalising spaces, '·', '*' and '^' (build-family-data.ts). */
import { describe, expect, it } from 'vitest';
import { sameUnits } from '../../src/accelerator/build-family-data.js';

describe('sameUnits', () => {
  it('equal after removing spaces and normalising products and powers, repeatedly the same answer', () => {
    for (let round = 0; round < 2; round++) {
      expect(sameUnits('T·m^-1', 'T.m-1')).toBe(true);
      expect(sameUnits('T * m^-1', 'T·m^-1')).toBe(true);
      expect(sameUnits('m^-2', 'm-2')).toBe(true);
      expect(sameUnits('A', 'A')).toBe(true);
      expect(sameUnits('', '')).toBe(true);
      expect(sameUnits('m^-2', 'm^-1')).toBe(false);
      expect(sameUnits('mm', 'm')).toBe(false);
      expect(sameUnits('A', '')).toBe(false);
    }
  });
});
