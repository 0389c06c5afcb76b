import { describe, expect, it } from 'vitest';
import { UnitSyntaxError, parseUnits, sameUnits } from '../../src/units.js';

describe('parseUnits keeps what it read (a facility checks the same few unit strings thousands of times)', () => {
  it('each call gives the caller its own map: changing one does not change the next answer', () => {
    const first = parseUnits('T·m^-1') as Map<string, number>;
    first.set('T', 7);
    first.delete('m');
    expect([...parseUnits('T·m^-1')]).toEqual([
      ['T', 1],
      ['m', -1],
    ]);
    expect(sameUnits('T/m', 'T·m^-1')).toBe(true);
  });

  it('a string that does not parse throws every time, with the same message', () => {
    const message = (): string => {
      try {
        parseUnits('T/');
      } catch (e) {
        expect(e).toBeInstanceOf(UnitSyntaxError);
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message()).toBe(`cannot read units "T/": nothing after '/'`);
    expect(message()).toBe(`cannot read units "T/": nothing after '/'`);
    expect(() => sameUnits('T/', 'T')).toThrow(UnitSyntaxError);
  });
});
