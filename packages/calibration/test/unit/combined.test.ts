import { describe, expect, it } from 'vitest';
import { CsvCache, buildCombinedMagnet, type CombinedSpec, combinedSpecSchema } from '@mlayer/calibration';
import { FACILITY_FILE, beamContext, create, makeRegistry, relErr } from '../helpers.js';

const BRHO_3GEV = 10.006922710777507; // sqrt(E² − m²)/c for 3 GeV electrons (python)
const ctx = beamContext(3e9);

function magnet(raw: unknown, id = 'BEND1') {
  const spec: CombinedSpec = combinedSpecSchema.parse(raw);
  return buildCombinedMagnet(spec, { id, file: FACILITY_FILE, resolvePath: (p) => p, csv: new CsvCache() }, `unitConversions.${id}`);
}

/**
 * A combined-function bend: a main coil (excitation 0.005 per A), a quadrupole trim
 * coil and an auxiliary coil, giving 4 outputs: the bend (K0 = B·L/(L·Bρ)), the
 * gradient (KL), the sextupole component (KL) and a horizontal corrector (kick).
 */
const bend = {
  type: 'combined',
  inputs: [
    { name: 'main', hardwareUnits: 'A', curve: { type: 'linear', gain: 0.005, hardwareUnits: 'A', physicsUnits: '' } },
    { name: 'quadTrim', hardwareUnits: 'A' },
    { name: 'aux', hardwareUnits: 'A' },
  ],
  outputs: [
    { name: 'B0', fieldUnits: 'T·m', order: 0, strength: 'K', length: 1.5 },
    { name: 'B1', fieldUnits: 'T', order: 1, strength: 'KL' },
    { name: 'B2', fieldUnits: 'T/m', order: 2, strength: 'KL' },
    { name: 'HCM', fieldUnits: 'T·m', order: 0, strength: 'kick' },
  ],
  matrix: [
    [1.2, 0, 0.001],
    [-3.0, 0.05, 0],
    [8.0, 0, 0.02],
    [0.002, 0, 0.0005],
  ],
  inverse: 'least-squares',
};

/** Full-scale currents of the three coils (A). */
const FULL_SCALE = [200, 20, 50];

describe('combined-function magnet: 3 coils → 4 strengths', () => {
  it('forward: matrix · excitations, then each output through its rigidity step', () => {
    const m = magnet(bend);
    expect(m.outputs.map((o) => o.physicsUnits)).toEqual(['m^-1', 'm^-1', 'm^-2', 'rad']);
    const s = m.toPhysics([150, 20, -10], ctx);
    // excitations [0.75, 20, -10]; fields by hand:
    // B0 = 1.2·0.75 + 0.001·(−10) = 0.89 T·m, B1 = −3·0.75 + 0.05·20 = −1.25 T,
    // B2 = 8·0.75 + 0.02·(−10) = 5.8 T/m, HCM = 0.002·0.75 + 0.0005·(−10) = −0.0035 T·m
    const expected = [0.89 / (1.5 * BRHO_3GEV), -1.25 / BRHO_3GEV, 5.8 / BRHO_3GEV, -0.0035 / BRHO_3GEV];
    expected.forEach((v, j) => expect(relErr(s[j], v)).toBeLessThan(1e-14));
  });

  it('inverse of consistent strengths gives the currents back (least squares, residual ~0)', () => {
    const m = magnet(bend);
    for (const h of [
      [150, 20, -10],
      [3, -7.5, 0.25],
      [199.9, 0.001, 40],
    ]) {
      const { hardware, residual } = m.solve(m.toPhysics(h, ctx), ctx);
      // Error relative to max(|I|, full scale of the coil): a 1 mA trim current next to
      // 200 A in the main coil is only determined to ~eps·(main contribution).
      h.forEach((v, i) => expect(Math.abs(hardware[i] - v) / Math.max(Math.abs(v), FULL_SCALE[i])).toBeLessThan(1e-12));
      for (const r of residual) expect(Math.abs(r)).toBeLessThan(1e-15);
    }
  });

  it('inconsistent strengths: the least-squares solution in field space (normal equations hold)', () => {
    const m = magnet(bend);
    const target = [0.06, -0.12, 0.6, 1e-4];
    const { hardware, residual } = m.solve(target, ctx);
    expect(Math.max(...residual.map(Math.abs))).toBeGreaterThan(1e-6);
    // field-space residual r = f_target − M x must be orthogonal to the columns of M
    const f = [target[0] * 1.5 * BRHO_3GEV, target[1] * BRHO_3GEV, target[2] * BRHO_3GEV, target[3] * BRHO_3GEV];
    const x = [hardware[0] * 0.005, hardware[1], hardware[2]];
    const r = bend.matrix.map((row, j) => f[j] - row.reduce((s, v, i) => s + v * x[i], 0));
    for (let i = 0; i < 3; i++) {
      const dot = bend.matrix.reduce((s, row, j) => s + row[i] * r[j], 0);
      const scale = bend.matrix.reduce((s, row, j) => s + Math.abs(row[i] * f[j]), 0);
      expect(Math.abs(dot) / scale).toBeLessThan(1e-13);
    }
  });

  it("'exact' needs a square non-singular matrix", () => {
    const square = { ...bend, outputs: bend.outputs.slice(0, 3), matrix: bend.matrix.slice(0, 3), inverse: 'exact' };
    const m = magnet(square);
    const s = m.toPhysics([120, -5, 3], ctx);
    const h = m.toHardware(s, ctx);
    [120, -5, 3].forEach((v, i) => expect(relErr(h[i], v)).toBeLessThan(1e-12));
    expect(() => magnet({ ...bend, inverse: 'exact' })).toThrow(/inverse 'exact' needs as many outputs as inputs \(4 outputs, 3 inputs\)/);
    const singular = { ...square, matrix: [[1, 2, 0], [2, 4, 0], [0, 0, 1]] };
    expect(() => magnet(singular, 'BAD')).toThrow(/unitConversions\.BAD\.matrix: unit conversion 'BAD': the 3×3 matrix does not have full rank/);
  });

  it('scalar views: one output against one coil, the others held at their committed currents', () => {
    const m = magnet(bend);
    m.commit([150, 20, -10]);
    const b1 = m.view('B1', 'quadTrim');
    expect(b1.hardwareUnits).toBe('A');
    expect(b1.physicsUnits).toBe('m^-1');
    expect(relErr(b1.toPhysics(20, ctx), -1.25 / BRHO_3GEV)).toBeLessThan(1e-14);
    // B1 = −2.25 + 0.05·I_trim → KL = −1.0/Bρ needs I_trim = 25 A
    expect(relErr(b1.toHardware(-1.0 / BRHO_3GEV, ctx), 25)).toBeLessThan(1e-13);
    b1.commit(25);
    expect([...m.committed()]).toEqual([150, 25, -10]);
    // the corrector through the aux coil: HCM = 0.0015 + 0.0005·I_aux
    const hcm = m.view('HCM', 'aux');
    expect(relErr(hcm.toHardware(0.0025 / BRHO_3GEV, ctx), 2)).toBeLessThan(1e-12);
    expect(() => m.view('B1', 'aux')).toThrow(/output 'B1' does not depend on input 'aux'/);
    expect(() => m.view('B1')).toThrow(/the magnet has 3 inputs: name the input/);
  });

  it('through the registry: a scalar view named in the spec', () => {
    const conv = create(makeRegistry(), 'BEND1.b1', { ...bend, view: { output: 'B1', input: 'quadTrim' } });
    expect(relErr(conv.toPhysics(20, ctx), (0.05 * 20) / BRHO_3GEV)).toBeLessThan(1e-14); // main and aux at their initial 0 A
    expect(() => create(makeRegistry(), 'BEND1.b1', bend)).toThrow(/unitConversions\.BEND1\.b1\.view: .*needs 'view: \{ output, input \}'/);
    expect(() => create(makeRegistry(), 'BEND1.b1', { ...bend, view: { output: 'B9', input: 'main' } })).toThrow(/no output 'B9'/);
  });

  it('output field units must match the rigidity step', () => {
    const bad = { ...bend, outputs: [{ ...bend.outputs[0], fieldUnits: 'T' }, ...bend.outputs.slice(1)] };
    expect(() => magnet(bad)).toThrow(/unitConversions\.BEND1\.outputs\.0\.fieldUnits: unit conversion 'BEND1': output 'B0' gives 'T' but a rigidity step of order 0 \(integrated field\) expects 'T·m'/);
  });
});

describe('magnets in series on one supply', () => {
  // Three quadrupoles on one supply: a common saturating excitation (pchip, A → normalised)
  // and per-magnet integrated gradients per unit excitation.
  const series = {
    type: 'combined',
    inputs: [
      {
        name: 'PS',
        hardwareUnits: 'A',
        curve: { type: 'table', hardware: [0, 100, 200, 300], physics: [0, 1, 1.9, 2.6], hardwareUnits: 'A', physicsUnits: '' },
      },
    ],
    outputs: [
      { name: 'Q1', fieldUnits: 'T', order: 1, strength: 'KL' },
      { name: 'Q2', fieldUnits: 'T', order: 1, strength: 'KL' },
      { name: 'Q3', fieldUnits: 'T', order: 1, strength: 'KL', sign: -1 },
    ],
    matrix: [[2.0], [2.01], [1.99]],
    inverse: 'least-squares',
  };

  it('supply current → the three strengths; strengths → supply current', () => {
    const m = magnet(series, 'QSERIES');
    const s = m.toPhysics([100], ctx);
    expect(relErr(s[0], 2.0 / BRHO_3GEV)).toBeLessThan(1e-15);
    expect(relErr(s[1], 2.01 / BRHO_3GEV)).toBeLessThan(1e-15);
    expect(relErr(s[2], -1.99 / BRHO_3GEV)).toBeLessThan(1e-15);
    for (const i of [0.5, 37, 100, 250.25, 300]) {
      const { hardware, residual } = m.solve(m.toPhysics([i], ctx), ctx);
      expect(relErr(hardware[0], i)).toBeLessThan(1e-12);
      for (const r of residual) expect(Math.abs(r)).toBeLessThan(1e-15);
    }
  });

  it('one magnet of the series as a scalar conversion of the supply current', () => {
    const m = magnet(series, 'QSERIES');
    const q2 = m.view('Q2');
    for (const i of [1, 99, 150, 299]) expect(relErr(q2.toHardware(q2.toPhysics(i, ctx), ctx), i)).toBeLessThan(1e-12);
    // Q2 = 2.01 · excitation(I); at 200 A excitation = 1.9 (a knot)
    expect(relErr(q2.toPhysics(200, ctx), (2.01 * 1.9) / BRHO_3GEV)).toBeLessThan(1e-15);
    expect(q2.toHardware((2.01 * 1.9) / BRHO_3GEV, ctx)).toBeCloseTo(200, 11);
  });

  it('requested strengths that a series cannot give: least-squares current', () => {
    const m = magnet(series, 'QSERIES');
    // ask for KL·Bρ = 2.0, 2.2, −1.8 T: x = (2·2 + 2.01·2.2 + 1.99·1.8)/(2² + 2.01² + 1.99²) excitations
    const target = [2.0 / BRHO_3GEV, 2.2 / BRHO_3GEV, -1.8 / BRHO_3GEV];
    const { hardware } = m.solve(target, ctx);
    const x = (2 * 2 + 2.01 * 2.2 + 1.99 * 1.8) / (4 + 2.01 ** 2 + 1.99 ** 2);
    // excitation x lies between the knots 100 A (1.0) and 200 A (1.9) ... check through the curve
    const back = m.fields(hardware)[0] / 2.0;
    expect(relErr(back, x)).toBeLessThan(1e-13);
  });
});

describe('under-determined: more coils than outputs', () => {
  it('minimum-norm excitations that give the requested strengths exactly', () => {
    const m = magnet({
      type: 'combined',
      inputs: [
        { name: 'a', hardwareUnits: 'A' },
        { name: 'b', hardwareUnits: 'A' },
        { name: 'c', hardwareUnits: 'A' },
      ],
      outputs: [
        { name: 'B1', fieldUnits: 'T', order: 1, strength: 'KL' },
        { name: 'B2', fieldUnits: 'T/m', order: 2, strength: 'KL' },
      ],
      matrix: [
        [1, 1, 0],
        [0, 1, 1],
      ],
      inverse: 'least-squares',
    });
    // A x = [3, 3]·(1/Bρ)·Bρ: minimum-norm solution x = Aᵀ(AAᵀ)⁻¹f = [1, 2, 1]
    const { hardware, residual } = m.solve([3 / BRHO_3GEV, 3 / BRHO_3GEV], ctx);
    [1, 2, 1].forEach((v, i) => expect(hardware[i]).toBeCloseTo(v, 13));
    for (const r of residual) expect(Math.abs(r)).toBeLessThan(1e-15);
  });
});
