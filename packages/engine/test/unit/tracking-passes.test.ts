/** Pass methods on hand-made elements, against closed-form results. */
import { describe, expect, it } from 'vitest';
import { compileLattice, coordsToRows, particlesFromRows, track, trackRange, type AtElement, type Lattice } from '../../src/index.js';

function ring(elements: AtElement[]): Lattice {
  return {
    elements,
    properties: { name: 'test', energy: 3e9, particle: { name: 'relativistic', rest_energy: 0, charge: -1 }, periodicity: 1 },
  };
}

function run(elements: AtElement[], rows: number[][], sixD = false): number[][] {
  const c = compileLattice(ring(elements), { sixD });
  const p = particlesFromRows(rows);
  track(c, p, { turns: 1 });
  return coordsToRows(p.coords, p.n);
}

const drift = (L: number, extra: Partial<AtElement> = {}): AtElement => ({ FamName: 'D', PassMethod: 'DriftPass', Length: L, ...extra });

describe('DriftPass', () => {
  it('moves x, y by L p/(1+delta) and ct by L (px^2+py^2)/(2(1+delta)^2)', () => {
    const [r] = run([drift(2)], [[1e-3, 2e-3, -1e-3, 3e-3, 0.01, 0]]);
    const d1 = 1.01;
    expect(r[0]).toBeCloseTo(1e-3 + (2 * 2e-3) / d1, 15);
    expect(r[2]).toBeCloseTo(-1e-3 + (2 * 3e-3) / d1, 15);
    expect(r[5]).toBeCloseTo((2 * (4e-6 + 9e-6)) / (2 * d1 * d1), 17);
    expect([r[1], r[3], r[4]]).toEqual([2e-3, 3e-3, 0.01]);
  });
});

describe('CorrectorPass', () => {
  it('thin: adds the kick angles', () => {
    const [r] = run([{ FamName: 'C', PassMethod: 'CorrectorPass', Length: 0, KickAngle: [1e-4, -2e-4] }], [[0, 1e-5, 0, 0, 0, 0]]);
    expect(r[1]).toBeCloseTo(1.1e-4, 18);
    expect(r[3]).toBeCloseTo(-2e-4, 18);
    expect(r[0]).toBe(0);
  });
  it('thick: a uniform kick along the length (x gains L (px + kick/2))', () => {
    const [r] = run([{ FamName: 'C', PassMethod: 'CorrectorPass', Length: 0.5, KickAngle: [1e-4, 0] }], [[0, 2e-5, 0, 0, 0, 0]]);
    expect(r[0]).toBeCloseTo(0.5 * (2e-5 + 0.5e-4), 18);
    expect(r[1]).toBeCloseTo(1.2e-4, 18);
  });
});

describe('ThinMPolePass', () => {
  const quad = (extra: Partial<AtElement>): AtElement => ({
    FamName: 'Q', PassMethod: 'ThinMPolePass', Length: 0, PolynomA: [0, 0], PolynomB: [0, 0.5], MaxOrder: 1, ...extra,
  });
  it('thin quadrupole: px -= KL x, py += KL y', () => {
    const [r] = run([quad({})], [[1e-3, 0, 2e-3, 0, 0, 0]]);
    expect(r[1]).toBeCloseTo(-0.5e-3, 18);
    expect(r[3]).toBeCloseTo(1e-3, 18);
  });
  it('KickAngle on a thin multipole: B[0] -= kx, A[0] += ky', () => {
    const [r] = run([quad({ PolynomB: [0, 0], KickAngle: [3e-5, 4e-5] })], [[0, 0, 0, 0, 0, 0]]);
    expect(r[1]).toBeCloseTo(3e-5, 18);
    expect(r[3]).toBeCloseTo(4e-5, 18);
  });
  it('T1/T2 translation: a quadrupole displaced by dx kicks by KL dx', () => {
    const dx = 2e-4;
    const [r] = run([quad({ T1: [-dx, 0, 0, 0, 0, 0], T2: [dx, 0, 0, 0, 0, 0] })], [[1e-3, 0, 0, 0, 0, 0]]);
    expect(r[0]).toBeCloseTo(1e-3, 18);
    expect(r[1]).toBeCloseTo(-0.5 * (1e-3 - dx), 18);
  });
  it('R1/R2 rotation by 45 degrees turns a normal quadrupole into a skew one (A1 = -K)', () => {
    const s = Math.SQRT1_2;
    const R1 = [
      [s, 0, s, 0, 0, 0],
      [0, s, 0, s, 0, 0],
      [-s, 0, s, 0, 0, 0],
      [0, -s, 0, s, 0, 0],
      [0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 1],
    ];
    const R2 = R1[0].map((_, j) => R1.map((row) => row[j]));
    const [r] = run([quad({ R1, R2 })], [[1e-3, 0, 2e-3, 0, 0, 0]]);
    expect(r[1]).toBeCloseTo(-0.5 * 2e-3, 15);
    expect(r[3]).toBeCloseTo(-0.5 * 1e-3, 15);
  });
});

describe('StrMPoleSymplectic4Pass', () => {
  it('KickAngle in every slice: a pure steerer of length L gives px = sin(theta), x = L sin(theta)/2', () => {
    const th = 1e-4;
    const [r] = run(
      [{ FamName: 'S', PassMethod: 'StrMPoleSymplectic4Pass', Length: 0.4, PolynomA: [0, 0, 0], PolynomB: [0, 0, 0], MaxOrder: 2, NumIntSteps: 10, KickAngle: [th, -th] }],
      [[0, 0, 0, 0, 0, 0]],
    );
    expect(r[1]).toBeCloseTo(Math.sin(th), 17);
    expect(r[3]).toBeCloseTo(-Math.sin(th), 17);
    expect(r[0]).toBeCloseTo((0.4 * Math.sin(th)) / 2, 17);
  });
  it('thick quadrupole converges to the exact linear map cos/sin(sqrt(K) L)', () => {
    const K = 1.2, L = 0.5;
    const [r] = run(
      [{ FamName: 'Q', PassMethod: 'StrMPoleSymplectic4Pass', Length: L, PolynomA: [0, 0], PolynomB: [0, K], MaxOrder: 1, NumIntSteps: 50 }],
      [[1e-4, 0, 1e-4, 0, 0, 0]],
    );
    const k = Math.sqrt(K);
    expect(r[0]).toBeCloseTo(1e-4 * Math.cos(k * L), 12);
    expect(r[1]).toBeCloseTo(-1e-4 * k * Math.sin(k * L), 12);
    expect(r[2]).toBeCloseTo(1e-4 * Math.cosh(k * L), 12);
  });
});

describe('BndMPoleSymplectic4Pass', () => {
  it('a sector bend of angle theta maps the off-momentum particle to D = rho(1 - cos theta) delta', () => {
    const theta = 0.1, L = 1, rho = L / theta, delta = 1e-6;
    const [r] = run(
      [{ FamName: 'B', PassMethod: 'BndMPoleSymplectic4Pass', Length: L, BendingAngle: theta, EntranceAngle: 0, ExitAngle: 0, PolynomA: [0, 0], PolynomB: [0, 0], MaxOrder: 1, NumIntSteps: 40 }],
      [[0, 0, 0, 0, delta, 0]],
    );
    expect(r[0] / delta).toBeCloseTo(rho * (1 - Math.cos(theta)), 6);
    expect(r[1] / delta).toBeCloseTo(Math.sin(theta), 6);
  });
  it('rectangular-bend edges focus vertically by tan(edge)/rho', () => {
    const theta = 0.1;
    const [r] = run(
      [{ FamName: 'B', PassMethod: 'BndMPoleSymplectic4Pass', Length: 1, BendingAngle: theta, EntranceAngle: theta / 2, ExitAngle: theta / 2, PolynomA: [0, 0], PolynomB: [0, 0], MaxOrder: 1, NumIntSteps: 1, FringeBendEntrance: 0, FringeBendExit: 0 }],
      [[0, 0, 1e-3, 0, 0, 0]],
    );
    // with a 1 m body the vertical motion is a drift between two thin lenses of strength tan(theta/2)*theta
    const f = Math.tan(theta / 2) * theta;
    const py1 = -1e-3 * f;
    const y2 = 1e-3 + py1;
    expect(r[2]).toBeCloseTo(y2, 15);
    expect(r[3]).toBeCloseTo(py1 - y2 * f, 15);
  });
});

describe('Matrix66Pass', () => {
  it('Matrix66Pass multiplies by M66 (rows)', () => {
    const M = [
      [1, 2, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
      [0, 0, 1, 0, 0, 0],
      [0, 0, 3, 1, 0, 0],
      [0, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0.5, 1],
    ];
    const [r] = run([{ FamName: 'M', PassMethod: 'Matrix66Pass', Length: 0, M66: M }], [[0.1, 0.01, 0.02, 0.03, 0.001, 0]]);
    const want = [0.12, 0.01, 0.02, 0.09, 0.001, 0.0005];
    want.forEach((w, k) => expect(r[k]).toBeCloseTo(w, 16));
  });
});

describe('RF cavities', () => {
  const cav: AtElement = { FamName: 'RF', PassMethod: 'RFCavityPass', Length: 0, Voltage: 3e6, Energy: 3e9, Frequency: 5e8, TimeLag: 0 };
  it('are identity in 4D (default, as disable_6d)', () => {
    const [r] = run([cav, drift(1)], [[0, 0, 0, 0, 0, 0.01]]);
    expect(r[4]).toBe(0);
  });
  it('kick delta by -V/E sin(2 pi f ct / c) in 6D', () => {
    const ct = 0.01;
    const [r] = run([{ ...cav, PassMethod: 'CavityPass' }], [[0, 0, 0, 0, 0, ct]], true);
    expect(r[4]).toBeCloseTo(-1e-3 * Math.sin((2 * Math.PI * 5e8 * ct) / 299792458), 12);
  });
});

describe('trackRange', () => {
  it('tracks only the elements [from, to)', () => {
    const c = compileLattice(ring([drift(1), drift(2), drift(3)]));
    const p = particlesFromRows([[0, 1e-3, 0, 0, 0, 0]]);
    trackRange(c, p.coords, 1, 1, 3);
    expect(p.coords[0]).toBeCloseTo(5e-3, 18);
  });
  it('records coordinates at the entrance of the refpts, N being the end', () => {
    const c = compileLattice(ring([drift(1), drift(2)]));
    const p = particlesFromRows([[0, 1e-3, 0, 0, 0, 0]]);
    const res = track(c, p, { turns: 2, refpts: [2, 0, 1, 1] });
    expect(res.refpts).toEqual([0, 1, 2]);
    expect(res.record!.map((turn) => turn.map((r) => Number(r[0].toFixed(12))))).toEqual([
      [0, 1e-3, 3e-3],
      [3e-3, 4e-3, 6e-3],
    ]);
  });
});

describe('GWigSymplecticPass', () => {
  // planar wiggler, By = B0 cos(kw z): 20 periods of 5 cm, 1 T, 3 GeV
  const B0 = 1, Lw = 0.05, L = 1;
  const wiggler: AtElement = {
    FamName: 'W', PassMethod: 'GWigSymplecticPass', Length: L, Lw, Bmax: B0, Nstep: 20, Nmeth: 4, NHharm: 1, NVharm: 0,
    By: [[1], [1], [0], [1], [1], [0]], Bx: [[], [], [], [], [], []],
  };
  const brho = 3e9 / 299792458;
  const kw = (2 * Math.PI) / Lw;
  const a = B0 / brho / kw; // peak angle

  it('returns an on-axis particle to the axis with the path lengthening L a^2/4', () => {
    const [r] = run([wiggler], [[0, 0, 0, 0, 0, 0]]);
    expect(Math.abs(r[0])).toBeLessThan(1e-9);
    expect(Math.abs(r[1])).toBeLessThan(1e-9);
    expect(r[5]).toBeCloseTo((L * a * a) / 4, 9);
  });

  it('focuses vertically: about k = 1/(2 rho^2), exactly as an independent integration of the same Hamiltonian', () => {
    const y0 = 1e-3;
    const [r] = run([wiggler], [[0, 0, y0, 0, 0, 0]]);
    const k = (B0 / brho) ** 2 / 2;
    expect(r[3] / (-k * L * y0)).toBeCloseTo(1, 1);
    // RK4 (200000 steps) of H = (px - Ax)^2/2 + py^2/2, Ax = a cosh(kw y) sin(kw z): py = -5.041485675063155e-06
    expect(r[3]).toBeCloseTo(-5.041485675063155e-6, 11);
    expect(r[2]).toBeCloseTo(0.0009974781749262, 11);
  });

  it('with Bmax = 0 is a drift', () => {
    const [r] = run([{ ...wiggler, Bmax: 0 }], [[1e-3, 2e-4, -1e-3, 1e-4, 0, 0]]);
    expect(r[0]).toBeCloseTo(1e-3 + 2e-4 * L, 15);
    expect(r[2]).toBeCloseTo(-1e-3 + 1e-4 * L, 15);
    expect(r[5]).toBeCloseTo((L * (4e-8 + 1e-8)) / 2, 18);
  });
});
