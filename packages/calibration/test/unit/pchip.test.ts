import { describe, expect, it } from 'vitest';
import { PiecewiseCubic, TableCurve, pchipDerivatives } from '@mlayer/calibration';
import { readFileSync } from 'node:fs';
import { DIAMOND_DIR, relErr } from '../helpers.js';

/*
 * Reference numbers computed independently with scipy 1.17.1 / numpy 2.4.6
 * (pyenv python 3.11.7):
 *   from scipy.interpolate import PchipInterpolator as P
 *   x, y = pairs of uc_pchip_data.csv for the uc_id, sorted by eng (as pytac does)
 *   p = P(x, y); repr(float(p(a))); p.derivative()(x)
 * Inverses with pytac's own method: P(x, [v - phys for v in y]).roots(), keeping
 * the root inside the table.
 */
const CSV = `${DIAMOND_DIR}/pytac/uc_pchip_data.csv`;

function table(ucId: number): { x: number[]; y: number[] } {
  const rows = readFileSync(CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number))
    .filter((r) => r[0] === ucId)
    .map((r) => [r[1], r[2]] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  return { x: rows.map((r) => r[0]), y: rows.map((r) => r[1]) };
}

function curve(ucId: number, extra: Partial<ConstructorParameters<typeof TableCurve>[0]> = {}): TableCurve {
  const { x, y } = table(ucId);
  return new TableCurve({ conversion: `uc${ucId}`, label: `uc_id=${ucId}`, hardwareUnits: 'A', physicsUnits: 'T', hardware: x, physics: y, ...extra });
}

const SCIPY_VALUES: Record<number, [number, number][]> = {
  // 3 points (file order is descending in eng)
  4: [
    [50.0, -4.95],
    [57.3, -5.6694162991040535],
    [100.0, -9.85],
    [123.456, -12.125606798086174],
    [179.9, -17.55046235855099],
    [180.0, -17.56],
  ],
  // 10 points, saturating
  14: [
    [0.0, -0.08300626],
    [12.5, -7.277398102431142],
    [75.0, -42.64951682747796],
    [160.0, -68.40773521189418],
    [187.25, -70.90513584446751],
    [199.99, -71.59654397827308],
  ],
  // 16 points
  52: [
    [1.0, -6.887084688936406],
    [30.0, -103.61290322580645],
    [100.0, -326.5784213126832],
    [130.7, -366.46083136559076],
    [200.0, -409.50555536907115],
  ],
  // 11 points, increasing
  115: [
    [135.198, 0.13661658],
    [200.0, 0.20200615528465424],
    [1000.0, 1.019594187859028],
    [1400.0, 1.3874668743644754],
    [1470.2, 1.43888247],
  ],
  // 4 points
  32: [
    [25.0, 83.0],
    [43.75, 145.41023029986764],
    [62.5, 207.0427824368153],
    [81.25, 267.55759887505525],
    [100.0, 321.29],
  ],
};

const SCIPY_KNOT_DERIVATIVES: Record<number, number[]> = {
  4: [-0.09862499999999998, -0.09724324324324324, -0.09537499999999999],
  14: [
    -0.5798609452, -0.5439509348293793, -0.33827339443290666, -0.16084570923898728, -0.10238840248131487, -0.0762551210530203,
    -0.06325480867763826, -0.05743575990873816, -0.05157845327455686, -0.04346173625000027,
  ],
  32: [3.359965384615384, 3.2613451762427776, 2.90656876398906, 2.646750000000005],
};

describe('PCHIP against scipy PchipInterpolator (Diamond I04 curves)', () => {
  for (const [id, pairs] of Object.entries(SCIPY_VALUES)) {
    it(`uc_id ${id}: values`, () => {
      const c = curve(Number(id));
      for (const [x, expected] of pairs) expect(relErr(c.toPhysics(x), expected)).toBeLessThan(1e-14);
    });
  }

  for (const [id, d] of Object.entries(SCIPY_KNOT_DERIVATIVES)) {
    it(`uc_id ${id}: knot derivatives (Fritsch–Carlson, scipy end-point rule)`, () => {
      const { x, y } = table(Number(id));
      const got = pchipDerivatives(x, y);
      d.forEach((v, k) => expect(relErr(got[k], v)).toBeLessThan(1e-13));
    });
  }

  it('inverse agrees with pytac’s root finding', () => {
    const cases: [number, number, number][] = [
      [14, -30.0, 53.2664859797163],
      [14, -70.0, 174.90829474528854],
      [14, -71.5, 197.88199608845338],
      [52, -100.0, 28.933333333333337],
      [52, -399.0, 175.88335427431696],
      [4, -12.0, 122.15829086579869],
    ];
    for (const [id, phys, hw] of cases) expect(relErr(curve(id).toHardware(phys), hw)).toBeLessThan(1e-13);
  });

  it("extrapolation 'extend' continues the end pieces like scipy (extrapolate=True)", () => {
    const c = curve(4, { extrapolation: 'extend', domain: [0, 200] });
    const ref: [number, number][] = [
      [0.0, -0.0006756756756801686],
      [20.0, -1.9837945945945963],
      [190.0, -18.512314717060807],
      [200.0, -19.46167652027027],
    ];
    for (const [x, v] of ref) expect(Math.abs(c.toPhysics(x) - v)).toBeLessThan(1e-13 * Math.max(1, Math.abs(v)));
    for (const [x] of ref) expect(relErr(c.toHardware(c.toPhysics(x)), x)).toBeLessThan(1e-12 + (x === 0 ? 1e-9 : 0));
  });
});

describe('PCHIP end-point and interior rules (synthetic data, scipy numbers)', () => {
  it('end derivative limited to 3·m0 where the slope changes sign, interior 0 at extrema', () => {
    // P([0,1,2,3],[0,1,-9,-8]).derivative()([0,1,2,3]) = [3, 0, 0, 3]; values at 0.25, 1.5, 2.75
    const x = [0, 1, 2, 3];
    const y = [0, 1, -9, -8];
    const d = pchipDerivatives(x, y);
    expect([...d]).toEqual([3, 0, 0, 3]);
    const pc = new PiecewiseCubic(x, y, d);
    expect(relErr(pc.value(0.25), 0.578125)).toBeLessThan(1e-15);
    expect(relErr(pc.value(1.5), -4.0)).toBeLessThan(1e-15);
    expect(relErr(pc.value(2.75), -8.578125)).toBeLessThan(1e-15);
  });

  it('end derivative set to 0 when the three-point estimate has the wrong sign', () => {
    // P([0,1,2,3],[0,0.1,5,6]): derivatives [0, 0.196, 1.6610169491525424, 0]
    const x = [0, 1, 2, 3];
    const y = [0, 0.1, 5, 6];
    const d = pchipDerivatives(x, y);
    expect(d[0]).toBe(0);
    expect(d[3]).toBe(0);
    expect(relErr(d[1], 0.196)).toBeLessThan(1e-15);
    expect(relErr(d[2], 1.6610169491525424)).toBeLessThan(1e-15);
    const pc = new PiecewiseCubic(x, y, d);
    expect(relErr(pc.value(0.25), 0.0064375000000000005)).toBeLessThan(1e-14);
    expect(relErr(pc.value(1.5), 2.3668728813559325)).toBeLessThan(1e-15);
    expect(relErr(pc.value(2.75), 5.921610169491526)).toBeLessThan(1e-15);
  });

  it('two points: a straight line', () => {
    const c = new TableCurve({ conversion: 't', label: 't', hardwareUnits: 'A', physicsUnits: 'T', hardware: [10, 0], physics: [3, 1] });
    expect(c.toPhysics(5)).toBe(2);
    expect(c.toHardware(2.5)).toBeCloseTo(7.5, 14);
  });
});
