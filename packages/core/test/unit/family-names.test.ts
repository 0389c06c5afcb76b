import { describe, expect, it } from 'vitest';
import { UnknownFamilyError, editDistance, suggestNames } from '../../src/index.js';
import { ringAccelerator } from '../helpers.js';

describe('family names: groups and suggestions', () => {
  it('resolves a group of exactly one family to it, and names the families of a group of several', async () => {
    const { acc } = await ringAccelerator();
    // QUAD and BPM are groups (memberOf) of one family each; HCM is both a family and a group.
    expect(acc.family('QUAD').name).toBe('QF');
    expect(acc.family('BPM').name).toBe('BPMx');
    expect(acc.family('HCM').name).toBe('HCM');
    expect(() => acc.family('Magnet')).toThrow(UnknownFamilyError);
    expect(() => acc.family('Magnet')).toThrow("'Magnet' is a group of 2 families (HCM, QF); name one of them");
  });

  it('suggests the closest family, group or device name for a misspelt one', async () => {
    const { acc } = await ringAccelerator();
    expect(() => acc.family('HMC')).toThrow(/unknown family 'HMC' \(did you mean 'HCM'\?\)/);
    expect(() => acc.family('QAUD')).toThrow(/did you mean 'QUAD'\?/);
    expect(() => acc.family('hcm')).toThrow(/did you mean 'HCM'\?/);
    expect(() => acc.family('XYZ')).toThrow("unknown family 'XYZ'; families: BPMx, HCM, QF; groups: BPM, Diagnostics, COR, HCM, Magnet, QUAD");
    expect(() => acc.family('HCM').byName('HCM5')).toThrow(/no device named 'HCM5' \(did you mean 'HCM1', 'HCM2' or 'HCM3'\?\)/);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(suggestNames('BPMX', ['BPMx', 'BPMy', 'HCM'])).toEqual(['BPMx', 'BPMy']);
  });
});
