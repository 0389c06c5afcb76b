import { describe, expect, it } from 'vitest';
import { elementKind } from '../../src/index.js';

describe('elementKind: what a lattice element is, for drawing', () => {
  it('from the AT class; from the pass method only without a class', () => {
    expect(['Dipole', 'Bend', 'SBend', 'RBend'].map((c) => elementKind(c, 'BndMPoleSymplectic4Pass'))).toEqual(['dipole', 'dipole', 'dipole', 'dipole']);
    expect(elementKind('Quadrupole', 'StrMPoleSymplectic4Pass')).toBe('quadrupole');
    // A quadrupole tracked with a bend pass method stays a quadrupole (the class decides).
    expect(elementKind('Quadrupole', 'BndMPoleSymplectic4Pass')).toBe('quadrupole');
    expect(elementKind('Sextupole', 'StrMPoleSymplectic4Pass')).toBe('sextupole');
    expect(elementKind('Multipole', 'ThinMPolePass')).toBe('multipole');
    expect(elementKind('Monitor', 'IdentityPass')).toBe('bpm');
    expect(['Corrector', 'HKicker', 'VKicker'].map((c) => elementKind(c, 'CorrectorPass'))).toEqual(['corrector', 'corrector', 'corrector']);
    expect(elementKind('RFCavity', 'RFCavityPass')).toBe('rf');
    expect(elementKind('Drift', 'DriftPass')).toBeUndefined();
    expect([elementKind(undefined, 'BndMPoleSymplectic4Pass'), elementKind('', 'CorrectorPass'), elementKind(undefined, 'RFCavityPass'), elementKind(undefined, 'DriftPass')]).toEqual(['dipole', 'corrector', 'rf', undefined]);
  });
});
