/**
 * SolenoidLinearPass (AT's hard-edge solenoid) against the closed-form map,
 * and the Solenoid element through the MAD-X and elegant readers and writers.
 */
import { describe, expect, it } from 'vitest';
import {
  compileLattice,
  coordsToRows,
  findM66,
  findOrbit4,
  formatAtJson,
  formatElegant,
  formatMLattice,
  formatMadx,
  parseAtJson,
  parseElegant,
  parseMadxLattice,
  parseMLattice,
  particlesFromRows,
  track,
  type AtElement,
  type Lattice,
} from '../../src/index.js';
import { linopt6 } from '../../src/physics/linear.js';
import { ConversionLossLog } from '../../src/io/conversion-report.js';

function line(elements: AtElement[]): Lattice {
  return {
    elements,
    properties: { name: 'test', energy: 3e9, particle: { name: 'relativistic', rest_energy: 0, charge: -1 }, periodicity: 1 },
  };
}

const sol = (L: number, K: number, extra: Partial<AtElement> = {}): AtElement => ({
  FamName: 'SOL', Class: 'Solenoid', PassMethod: 'SolenoidLinearPass', Length: L, K, ...extra,
});

/** Analytic 6x6 map at delta = 0: ROT(HL) * F on (x, px, y, py), identity on (delta, ct). */
function analytic(L: number, K: number): number[][] {
  const H = K / 2;
  const C = Math.cos(H * L), S = Math.sin(H * L);
  const F = [
    [C, S / H, 0, 0],
    [-H * S, C, 0, 0],
    [0, 0, C, S / H],
    [0, 0, -H * S, C],
  ];
  const R = [
    [C, 0, S, 0],
    [0, C, 0, S],
    [-S, 0, C, 0],
    [0, -S, 0, C],
  ];
  const m = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i === j ? 1 : 0)));
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) m[i][j] = R[i].reduce((acc, r, k) => acc + r * F[k][j], 0);
  return m;
}

function rows66(m: Float64Array): number[][] {
  return Array.from({ length: 6 }, (_, i) => Array.from(m.subarray(6 * i, 6 * i + 6)));
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let d = 0;
  a.forEach((r, i) => r.forEach((v, j) => (d = Math.max(d, Math.abs(v - b[i][j])))));
  return d;
}

function runRows(elements: AtElement[], rows: number[][]): number[][] {
  const p = particlesFromRows(rows);
  track(compileLattice(line(elements)), p, { turns: 1 });
  return coordsToRows(p.coords, p.n);
}

describe('SolenoidLinearPass', () => {
  it('one-element matrix equals rotation x focusing (analytic) to 1e-12 and is symplectic', () => {
    const L = 0.7, K = 1.3;
    const m = rows66(findM66(compileLattice(line([sol(L, K)])), new Float64Array(6)));
    const a = analytic(L, K);
    expect(maxAbsDiff(m, a)).toBeLessThan(1e-12);
    // x-y coupling is really there: M[0][2] = C S.
    expect(m[0][2]).toBeCloseTo(Math.cos(K * L / 2) * Math.sin(K * L / 2), 12);
    // M^T J M = J (6D, pairs (x,px), (y,py), (delta,ct) with AT's sign convention irrelevant: J block-diagonal).
    const J = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => (j === i + 1 && i % 2 === 0 ? 1 : j === i - 1 && i % 2 === 1 ? -1 : 0)));
    const MtJM = m.map((_, i) => m.map((__, j) => m.reduce((acc, _r, k) => acc + m[k][i] * J[k].reduce((s, jk, l) => s + jk * m[l][j], 0), 0)));
    expect(maxAbsDiff(MtJM, J)).toBeLessThan(1e-12);
  });

  it('off momentum: H = K/(2(1+delta)), px and py scale with 1+delta; ct gains the helix path', () => {
    const L = 0.5, K = 2, d = 0.02;
    const x = 1e-3, px = 2e-4, y = -5e-4, py = 1e-4;
    const [r] = runRows([sol(L, K)], [[x, px, y, py, d, 0]]);
    const H = K / (2 * (1 + d));
    const C = Math.cos(H * L), S = Math.sin(H * L);
    const xp = px / (1 + d), yp = py / (1 + d);
    expect(r[0]).toBeCloseTo(C * C * x + (C * S / H) * xp + C * S * y + (S * S / H) * yp, 16);
    expect(r[1]).toBeCloseTo((1 + d) * (-H * C * S * x + C * C * xp - H * S * S * y + C * S * yp), 16);
    expect(r[2]).toBeCloseTo(-C * S * x - (S * S / H) * xp + C * C * y + (C * S / H) * yp, 16);
    expect(r[3]).toBeCloseTo((1 + d) * (H * S * S * x - C * S * xp - H * C * S * y + C * C * yp), 16);
    expect(r[5]).toBeCloseTo((L * (H * H * (x * x + y * y) + 2 * H * (xp * y - yp * x) + xp * xp + yp * yp)) / 2, 18);
    expect(r[4]).toBe(d);
  });

  it('K = 0 is exactly a drift', () => {
    const rows = [
      [1e-3, 2e-4, -3e-4, 5e-5, 0.01, 1e-3],
      [-2e-3, -1e-4, 4e-4, -2e-4, -0.02, 0],
    ];
    const a = runRows([sol(1.2, 0)], rows);
    const b = runRows([{ FamName: 'D', PassMethod: 'DriftPass', Length: 1.2 }], rows);
    expect(a).toEqual(b);
  });

  it('T1/T2: a solenoid displaced by dx leaves a particle on its axis on its axis', () => {
    const dx = 1e-3;
    const [r] = runRows([sol(0.5, 3, { T1: [-dx, 0, 0, 0, 0, 0], T2: [dx, 0, 0, 0, 0, 0] })], [[dx, 0, 0, 0, 0, 0]]);
    expect(r[0]).toBeCloseTo(dx, 18);
    expect(r[1]).toBeCloseTo(0, 18);
    expect(r[2]).toBeCloseTo(0, 18);
  });

  it('a missing K names the element and the field', () => {
    const bad: AtElement = { FamName: 'SOLX', PassMethod: 'SolenoidLinearPass', Length: 1 };
    expect(() => compileLattice(line([bad]))).toThrow(/SOLX.*K|K.*SOLX/);
  });
});

/** A FODO ring of 8 cells (2 bends each) with one solenoid in a straight. */
const RING = `
  beam, particle = electron, energy = 3;
  qf: quadrupole, l = 0.4, k1 = 0.6;
  qd: quadrupole, l = 0.4, k1 = -0.6;
  b: sbend, l = 1.0, angle = pi/8;
  d: drift, l = 0.5;
  so: solenoid, l = 1.0, ks = 0.3;
  cell: line = (qf, d, b, d, qd, d, b, d);
  ring: line = (so, 8*cell);
  use, period = ring;`;

function opticsOf(lat: Lattice): { tune: readonly number[]; M: number[][] } {
  const c = compileLattice(lat);
  const o = linopt6(c);
  return { tune: o.ringdata.tune, M: rows66(findM66(c, findOrbit4(c).orbit0)) };
}

describe('Solenoid through MAD-X and elegant', () => {
  const { lattice: ring, losses } = parseMadxLattice(RING, 'ring.madx');
  const so = ring.elements[0];

  it('MAD-X solenoid, l, ks reads as an AT Solenoid with K = ks; the ring has optics and a closed orbit', () => {
    expect([so.Class, so.PassMethod, so.Length, so.K]).toEqual(['Solenoid', 'SolenoidLinearPass', 1, 0.3]);
    expect(losses.filter((l) => l.element === 'so')).toEqual([]);
    const { tune, M } = opticsOf(ring);
    expect(findOrbit4(compileLattice(ring)).orbit0.every((v) => Math.abs(v) < 1e-15)).toBe(true);
    // The solenoid couples the planes and moves the tunes from the ring without it.
    expect(Math.abs(M[0][2]) + Math.abs(M[0][3])).toBeGreaterThan(1e-3);
    const bare = opticsOf({ ...ring, elements: [{ ...so, K: 0 }, ...ring.elements.slice(1)] });
    expect(Math.abs(tune[0] - bare.tune[0]) + Math.abs(tune[1] - bare.tune[1])).toBeGreaterThan(1e-4);
    for (const t of tune) expect(t > 0 && t < 1).toBe(true);
  });

  it('a thin solenoid (l = 0, ksi) is a Marker and ks, ksi are reported', () => {
    const { lattice, losses: l } = parseMadxLattice('t: solenoid, l = 0, ks = 1, ksi = 0.2; d: drift, l = 1; r: line = (d, t);', 't.madx');
    expect(lattice.elements[1].Class).toBe('Marker');
    expect(l.filter((x) => x.element === 't').map((x) => x.attribute).sort()).toEqual(['ks', 'ksi']);
  });

  it('AT .m (atsolenoid) and pyAT JSON keep the Solenoid', () => {
    const m = formatMLattice(ring);
    expect(m).toMatch(/atsolenoid\('so', 1, 0\.3\)/);
    expect(parseMLattice(m, 'ring.m').elements[0]).toEqual(so);
    expect(parseAtJson(formatAtJson(ring), 'ring.json').elements[0]).toEqual(so);
  });

  it('elegant SOLE: KS is K; B alone (needs B rho) and a zero-length SOLE are reported', () => {
    const lte = 's1: SOLE, L=0.5, KS=0.2\ns2: SOLE, L=0.5, B=1.5\ns3: SOLE, L=0, KS=1\nr: LINE=(s1, s2, s3)\nUSE, r\n';
    const losses = new ConversionLossLog();
    const lat = parseElegant(lte, 's.lte', { losses });
    expect(lat.elements.map((e) => [e.Class, e.K])).toEqual([['Solenoid', 0.2], ['Solenoid', 0], ['Marker', undefined]]);
    expect(losses.losses.map((l) => `${l.element}.${l.attribute}`).sort()).toEqual(['s2.B', 's3.KS']);
  });

  it('AT -> MAD-X -> AT keeps the solenoid (K, Length) and the tunes to 1e-10', () => {
    const { text, losses: wl } = formatMadx(ring);
    expect(text).toMatch(/SOLENOID\s*,\s*L=1\.0,\s*KS=0\.3;/);
    expect(wl.filter((l) => l.element === 'so')).toEqual([]);
    const back = parseMadxLattice(text, 'rt.seq').lattice;
    expect(back.elements.length).toBe(ring.elements.length);
    const b = back.elements.find((e) => e.Class === 'Solenoid')!;
    expect([b.Length, b.K, b.PassMethod]).toEqual([1, 0.3, 'SolenoidLinearPass']);
    const t0 = opticsOf(ring).tune, t1 = opticsOf(back).tune;
    expect(Math.abs(t1[0] - t0[0])).toBeLessThan(1e-10);
    expect(Math.abs(t1[1] - t0[1])).toBeLessThan(1e-10);
  });

  it('AT -> elegant -> AT keeps the solenoid (SOLE, L, KS) and the tunes to 1e-10', () => {
    const text = formatElegant(ring);
    expect(text).toMatch(/SOLE\s*,\s*L=1,\s*KS=0\.3\n/);
    const back = parseElegant(text, 'rt.lte');
    expect(back.elements.length).toBe(ring.elements.length);
    const b = back.elements.find((e) => e.Class === 'Solenoid')!;
    expect([b.Length, b.K, b.PassMethod]).toEqual([1, 0.3, 'SolenoidLinearPass']);
    const t0 = opticsOf(ring).tune;
    const t1 = opticsOf({ ...back, properties: ring.properties }).tune;
    expect(Math.abs(t1[0] - t0[0])).toBeLessThan(1e-10);
    expect(Math.abs(t1[1] - t0[1])).toBeLessThan(1e-10);
  });
});
