/** AT's loss rules: amplitude limit after every element, AperturePass, RApertures/EApertures. */
import { describe, expect, it } from 'vitest';
import { LOSS_LIMIT, compileLattice, particlesFromRows, track, type AtElement, type Lattice } from '../../src/index.js';

function ring(elements: AtElement[]): Lattice {
  return {
    elements,
    properties: { name: 'test', energy: 1e9, particle: { name: 'relativistic', rest_energy: 0, charge: -1 }, periodicity: 1 },
  };
}
const drift = (L: number, extra: Partial<AtElement> = {}): AtElement => ({ FamName: `D${L}`, PassMethod: 'DriftPass', Length: L, ...extra });
const marker: AtElement = { FamName: 'M', PassMethod: 'IdentityPass', Length: 0 };

describe('amplitude limit', () => {
  it('is 1 m / 1 rad, as AT', () => {
    expect(LOSS_LIMIT).toBe(1);
  });

  it('flags the turn and element where |x| first exceeds 1 m; others are untouched and finite', () => {
    // x grows by 0.21 m per turn: 0.21, 0.42, 0.63, 0.84; during turn 4 (0-based): 0.91 after the
    // first drift, 1.05 after the second
    const c = compileLattice(ring([marker, drift(1), drift(2), marker]));
    const p = particlesFromRows([
      [0, 0.07, 0, 0, 0, 0],
      [0, 1e-4, 0, 0, 0, 0],
    ]);
    const res = track(c, p, { turns: 6 });
    expect(Array.from(res.lostTurn)).toEqual([5, 0]);
    expect(Array.from(res.lostElement)).toEqual([2, -1]);
    expect(res.lostCoords[0]).toBeCloseTo(1.05, 12);
    for (let k = 0; k < 6; k++) expect(Number.isNaN(res.coords[k * 2])).toBe(true);
    expect(res.coords[1]).toBeCloseTo(6 * 3e-4, 15);
    for (let k = 0; k < 6; k++) expect(Number.isFinite(res.coords[k * 2 + 1])).toBe(true);
  });

  it('also applies to px, y, py and delta, and to a non-finite ct', () => {
    const c = compileLattice(ring([{ FamName: 'K', PassMethod: 'CorrectorPass', Length: 0, KickAngle: [0, 0.6] }]));
    const p = particlesFromRows([
      [0, 0, 0, 0.5, 0, 0],
      [0, 0, 0, 0.3, 0, 0],
    ]);
    const res = track(c, p, { turns: 1 });
    expect(Array.from(res.lostTurn)).toEqual([1, 0]);
    expect(Array.from(res.lostElement)).toEqual([0, -1]);
  });

  it('a particle lost on an earlier turn keeps its record and is not tracked again', () => {
    const c = compileLattice(ring([drift(1)]));
    const p = particlesFromRows([[0.95, 0.1, 0, 0, 0, 0]]);
    const first = track(c, p, { turns: 1 });
    expect(first.lostTurn[0]).toBe(1);
    const again = track(c, p, { turns: 3 });
    expect(again.lostTurn[0]).toBe(1);
    expect(again.lostElement[0]).toBe(0);
  });
});

describe('AperturePass', () => {
  it('loses particles outside [xmin, xmax] x [ymin, ymax] at that element', () => {
    const ap: AtElement = { FamName: 'AP', PassMethod: 'AperturePass', Length: 0, Limits: [-0.01, 0.02, -0.005, 0.005] };
    const c = compileLattice(ring([drift(1), ap, drift(1)]));
    const p = particlesFromRows([
      [0.015, 0, 0, 0, 0, 0],
      [-0.011, 0, 0, 0, 0, 0],
      [0, 0, 0.006, 0, 0, 0],
      [0.019, 0, -0.0049, 0, 0, 0],
    ]);
    const res = track(c, p, { turns: 1 });
    expect(Array.from(res.lostTurn)).toEqual([0, 1, 1, 0]);
    expect(Array.from(res.lostElement)).toEqual([-1, 1, 1, -1]);
  });
});

describe('RApertures / EApertures on other elements', () => {
  it('are checked at the entrance and the exit of a drift', () => {
    const c = compileLattice(ring([drift(1, { RApertures: [-0.01, 0.01, -0.01, 0.01] })]));
    const p = particlesFromRows([
      [0.02, 0, 0, 0, 0, 0], // outside at the entrance
      [0.005, 0.01, 0, 0, 0, 0], // inside at the entrance, 0.015 at the exit
      [0.0, 0.005, 0, 0, 0, 0], // inside throughout
    ]);
    const res = track(c, p, { turns: 1 });
    expect(Array.from(res.lostTurn)).toEqual([1, 1, 0]);
    expect(Array.from(res.lostElement)).toEqual([0, 0, -1]);
  });

  it('an elliptical aperture loses particles with (x/a)^2 + (y/b)^2 >= 1', () => {
    const c = compileLattice(ring([{ ...marker, EApertures: [0.02, 0.01] }]));
    const p = particlesFromRows([
      [0.015, 0, 0.006, 0, 0, 0], // 0.5625 + 0.36 < 1
      [0.015, 0, 0.007, 0, 0, 0], // 0.5625 + 0.49 > 1
    ]);
    const res = track(c, p, { turns: 1 });
    expect(Array.from(res.lostTurn)).toEqual([0, 1]);
  });
});

describe('coordinates that arrive beyond the limit', () => {
  it('are flagged at the first element, even an identity one (AT checks after every element)', () => {
    const c = compileLattice(ring([marker, drift(1)]));
    const p = particlesFromRows([[1.5, 0, 0, 0, 0, 0]]);
    const res = track(c, p, { turns: 1 });
    expect(res.lostTurn[0]).toBe(1);
    expect(res.lostElement[0]).toBe(0);
  });
});
