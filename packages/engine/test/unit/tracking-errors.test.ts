/** Compile-time errors name the element (index, FamName), the field and the value. */
import { describe, expect, it } from 'vitest';
import { ElementFieldError, TrackingArgumentError, UnknownPassMethodError, compileLattice, createParticles, track, trackRange, type AtElement, type Lattice } from '../../src/index.js';

function ring(elements: AtElement[]): Lattice {
  return {
    elements,
    properties: { name: 'test', energy: 1e9, particle: { name: 'relativistic', rest_energy: 0, charge: -1 }, periodicity: 1 },
  };
}
const drift: AtElement = { FamName: 'D1', PassMethod: 'DriftPass', Length: 1 };
const quad = (extra: Partial<AtElement>): AtElement => ({
  FamName: 'QF', PassMethod: 'StrMPoleSymplectic4Pass', Length: 0.3, PolynomA: [0, 0], PolynomB: [0, 1], MaxOrder: 1, NumIntSteps: 10, ...extra,
});
const bend = (extra: Partial<AtElement>): AtElement => ({
  FamName: 'B1', PassMethod: 'BndMPoleSymplectic4Pass', Length: 1, BendingAngle: 0.1, EntranceAngle: 0, ExitAngle: 0,
  PolynomA: [0, 0], PolynomB: [0, 0], MaxOrder: 1, NumIntSteps: 10, ...extra,
});

function compileError(elements: AtElement[]): Error {
  try {
    compileLattice(ring(elements));
  } catch (e) {
    return e as Error;
  }
  throw new Error('compileLattice did not throw');
}

describe('compileLattice errors', () => {
  it('unknown PassMethod names the element index and FamName', () => {
    const e = compileError([drift, { FamName: 'WEIRD', PassMethod: 'NoSuchPass', Length: 0 }]);
    expect(e).toBeInstanceOf(UnknownPassMethodError);
    expect(e.message).toBe("element #1 'WEIRD': unknown PassMethod 'NoSuchPass'");
  });

  it('a zero-length bend', () => {
    const e = compileError([drift, bend({ Length: 0 })]);
    expect(e).toBeInstanceOf(ElementFieldError);
    expect(e.message).toMatch(/^element #1 'B1' \(BndMPoleSymplectic4Pass\): field 'Length' is 0; expected a length > 0/);
    expect(compileError([bend({ PassMethod: 'BndMPoleSymplectic4E2Pass', Length: 0 })]).message).toMatch(/element #0 'B1'.*'Length' is 0/);
  });

  it('NaN or non-numeric fields', () => {
    expect(compileError([{ ...drift, Length: NaN }]).message).toBe("element #0 'D1' (DriftPass): field 'Length' is \"NaN\"; expected a finite number");
    expect(compileError([quad({ PolynomB: [0, NaN] })]).message).toMatch(/element #0 'QF' \(StrMPoleSymplectic4Pass\): field 'PolynomB' is \[0,"NaN"\]/);
    expect(compileError([drift, bend({ BendingAngle: 'x' })]).message).toMatch(/element #1 'B1'.*'BendingAngle' is "x"; expected a finite number/);
  });

  it('missing required fields and bad shapes', () => {
    expect(compileError([quad({ PolynomB: undefined })]).message).toMatch(/'QF'.*field 'PolynomB' is missing/);
    expect(compileError([{ FamName: 'K', PassMethod: 'CorrectorPass', Length: 0, KickAngle: [1e-3] }]).message).toMatch(
      /'K' \(CorrectorPass\): field 'KickAngle' is \[0.001\]; expected a vector of 2 finite numbers/,
    );
    expect(compileError([{ ...drift, T1: [0, 0, 0] }]).message).toMatch(/'D1'.*field 'T1'.*6 finite numbers/);
    expect(compileError([{ ...drift, R1: [[1, 0], [0, 1]] }]).message).toMatch(/'D1'.*field 'R1'.*6x6 matrix/);
    expect(compileError([{ FamName: 'M', PassMethod: 'Matrix66Pass', Length: 0 }]).message).toMatch(/'M'.*field 'M66' is missing/);
  });

  it('out-of-range integer options', () => {
    expect(compileError([quad({ NumIntSteps: 0 })]).message).toMatch(/'QF'.*'NumIntSteps' is 0; expected an integer >= 1/);
    expect(compileError([quad({ MaxOrder: 1.5 })]).message).toMatch(/'MaxOrder' is 1.5/);
    expect(compileError([bend({ FringeBendEntrance: 7 })]).message).toMatch(/'B1'.*'FringeBendEntrance' is 7; expected 0, 1, 2 or 3/);
    expect(compileError([quad({ FringeQuadExit: 3 })]).message).toMatch(/'QF'.*'FringeQuadExit' is 3; expected 0, 1 or 2/);
  });

  it('KickAngle on a zero-length thick multipole (AT would divide by zero)', () => {
    expect(compileError([quad({ Length: 0, KickAngle: [0, 0] })]).message).toMatch(/'QF'.*'KickAngle'.*zero-length/);
  });

  it('unsupported FieldScaling', () => {
    expect(compileError([quad({ FieldScaling: 1.01 })]).message).toMatch(/'QF'.*'FieldScaling' is 1.01/);
  });
});

describe('tracking argument errors', () => {
  const c = compileLattice(ring([drift, drift]));
  it('element ranges and refpts are checked', () => {
    const p = createParticles(2);
    expect(() => trackRange(c, p.coords, 2, 1, 3)).toThrow(TrackingArgumentError);
    expect(() => trackRange(c, p.coords, 3, 0, 1)).toThrow(/coordinate array has 12 values; expected 6\*n = 18/);
    expect(() => track(c, p, { refpts: [5] })).toThrow(/refpt 5 is not an element index in \[0, 2\]/);
    expect(() => track(c, p, { turns: -1 })).toThrow(/turns -1/);
  });
});
