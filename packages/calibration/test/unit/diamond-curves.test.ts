import { describe, expect, it } from 'vitest';
import { ConfigError } from '@mlayer/core';
import {
  loadPytacPchip,
  loadPytacPoly,
  loadPytacUnitconv,
  pytacPchipReference,
  pytacPolyReference,
  withUnits,
  PYTAC_MAGNET_FIELDS,
} from '@mlayer/calibration';
import { DIAMOND_DIR, beamContext, create, grid, makeRegistry, relErr } from '../helpers.js';

const PYTAC = `${DIAMOND_DIR}/pytac`;
const ctx = beamContext(3e9);

/** Spacing of doubles at |v|. */
function ulp(v: number): number {
  const a = Math.abs(v);
  return a === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(a)) - 52);
}

describe('Diamond I04 pytac curves', () => {
  const polys = loadPytacPoly(`${PYTAC}/uc_poly_data.csv`);
  const pchips = loadPytacPchip(`${PYTAC}/uc_pchip_data.csv`);
  const rows = loadPytacUnitconv(`${PYTAC}/unitconv.csv`);

  it('loads every curve of the files (464 poly, 212 pchip, 1384 unitconv rows)', () => {
    expect(polys.size).toBe(464);
    expect(pchips.size).toBe(212);
    expect(rows.length).toBe(1384);
    const sizes = new Map<number, number>();
    for (const s of pchips.values()) sizes.set(s.hardware.length, (sizes.get(s.hardware.length) ?? 0) + 1);
    expect(Object.fromEntries(sizes)).toEqual({ 2: 100, 3: 18, 4: 72, 10: 20, 11: 1, 16: 1 });
    // pytac reads coeff as the power: energy (uc_id 1) is eV = 1e6 · MeV
    expect(polys.get(1)!.coefficients).toEqual([0, 1e6]);
    // eng sorted ascending as pytac does (file order is 180, 100, 50)
    expect(pchips.get(4)!.hardware).toEqual([50, 100, 180]);
    expect(pchips.get(4)!.physics).toEqual([-4.95, -9.85, -17.56]);
    // every curve referred to by unitconv.csv exists
    for (const r of rows) {
      if (r.ucType === 'poly') expect(polys.has(r.ucId), `poly ${r.ucId} (line ${r.line})`).toBe(true);
      if (r.ucType === 'pchip') expect(pchips.has(r.ucId), `pchip ${r.ucId} (line ${r.line})`).toBe(true);
    }
  });

  it('round trip hardware → physics → hardware within 1e-12 for EVERY poly curve (inline specs)', () => {
    const registry = makeRegistry();
    let worst = 0;
    for (const [id, spec] of polys) {
      const conv = create(registry, `poly${id}`, withUnits(spec, 'A', 'T·m'));
      for (const h of grid(-200, 200, 41, [1e-3, 0.37, 123.456])) {
        const back = conv.toHardware(conv.toPhysics(h, ctx), ctx);
        worst = Math.max(worst, relErr(back, h));
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('round trip within 1e-12 for EVERY pchip curve over its range, knots included (CSV references)', () => {
    // Metric: |h' − h| / max(|h|, 1e-3·span) where span is the table's hardware range.
    // Below |h| = 1e-3·span the relative error is not a property of the solver: the
    // physics value p = f(h) itself carries a rounding of ulp(p), so h is only
    // determined to ~ulp(p)/|f'(h)| (e.g. uc_id 116 at h = 2e-7 A, p = 0.49:
    // 8e-14 A). There we check the absolute error and that the physics residual
    // of the inverse is at most a couple of ulps.
    const registry = makeRegistry();
    let worst = 0;
    let worstResidualUlps = 0;
    let checked = 0;
    for (const [id, inline] of pchips) {
      const conv = create(registry, `pchip${id}`, withUnits(pytacPchipReference('pytac/uc_pchip_data.csv', id), 'A', 'T'));
      const x = inline.hardware;
      const lo = x[0];
      const hi = x[x.length - 1];
      const span = hi - lo;
      const pts = grid(lo, hi, 201, x);
      for (let k = 0; k + 1 < x.length; k++) pts.push(x[k] + 1e-9 * (x[k + 1] - x[k]), x[k + 1] - 1e-9 * (x[k + 1] - x[k]));
      for (const h of pts) {
        const p = conv.toPhysics(h, ctx);
        const back = conv.toHardware(p, ctx);
        worst = Math.max(worst, Math.abs(back - h) / Math.max(Math.abs(h), 1e-3 * span));
        worstResidualUlps = Math.max(worstResidualUlps, Math.abs(conv.toPhysics(back, ctx) - p) / ulp(p));
        checked++;
      }
      // the knots themselves are reproduced exactly, both ways
      inline.physics.forEach((p, k) => {
        expect(conv.toPhysics(x[k], ctx)).toBe(p);
        expect(conv.toHardware(p, ctx)).toBe(x[k]);
      });
    }
    expect(checked).toBeGreaterThan(212 * 201);
    expect(worst).toBeLessThan(1e-12);
    expect(worstResidualUlps).toBeLessThanOrEqual(2);
  });

  it('the CSV reference and the inline spec give the same conversion', () => {
    const registry = makeRegistry();
    for (const id of [4, 14, 52, 115]) {
      const a = create(registry, 'a', withUnits(pytacPchipReference('pytac/uc_pchip_data.csv', id), 'A', 'T'));
      const b = create(registry, 'b', withUnits(pchips.get(id)!, 'A', 'T'));
      const x = pchips.get(id)!.hardware;
      for (const h of grid(x[0], x[x.length - 1], 17)) expect(a.toPhysics(h, ctx)).toBe(b.toPhysics(h, ctx));
    }
    const p = create(registry, 'p', withUnits(pytacPolyReference('pytac/uc_poly_data.csv', 118), 'm', 'mm'));
    expect(p.toPhysics(2, ctx)).toBe(0.002);
  });

  it('a quadrupole as pytac converts it: table / Bρ at 3 GeV', () => {
    // pytac: phys = pchip(eng) / rigidity(3000 MeV); Bρ = sqrt(E² − m²)/c = 10.006922710777507 T·m
    const registry = makeRegistry();
    const f = PYTAC_MAGNET_FIELDS.b1;
    const conv = create(registry, 'Q1D.b1', {
      type: 'rigidity',
      order: f.order,
      field: f.field,
      strength: f.strength,
      curve: withUnits(pytacPchipReference('pytac/uc_pchip_data.csv', 4), 'A', f.fieldUnits),
    });
    expect(conv.physicsUnits).toBe('m^-2');
    expect(relErr(conv.toPhysics(100, ctx), -9.85 / 10.006922710777507)).toBeLessThan(1e-15);
    // K of the first quadrupole of the lattice (README): −0.70080023 m⁻²
    const amps = conv.toHardware(-0.70080023, ctx);
    expect(amps).toBeGreaterThan(50);
    expect(amps).toBeLessThan(100);
    expect(relErr(conv.toPhysics(amps, ctx), -0.70080023)).toBeLessThan(1e-14);
  });

  it('a missing curve id is rejected naming the conversion and the curve', () => {
    const registry = makeRegistry();
    const spec = withUnits(pytacPchipReference('pytac/uc_pchip_data.csv', 99999), 'A', 'T');
    expect(() => create(registry, 'Q9.b1', spec)).toThrow(ConfigError);
    expect(() => create(registry, 'Q9.b1', spec)).toThrow(
      /unitConversions\.Q9\.b1\.csv\.where: unit conversion 'Q9\.b1': curve table uc_id=99999 in pytac\/uc_pchip_data\.csv not found/,
    );
    const poly = withUnits(pytacPolyReference('pytac/uc_poly_data.csv', 4242), 'A', 'T');
    expect(() => create(registry, 'HSTR1', poly)).toThrow(/unit conversion 'HSTR1': curve polynomial uc_id=4242 in pytac\/uc_poly_data\.csv not found/);
    const missingFile = withUnits(pytacPolyReference('pytac/nope.csv', 1), 'A', 'T');
    expect(() => create(registry, 'X', missingFile)).toThrow(/unit conversion 'X', curve polynomial uc_id=1 in pytac\/nope\.csv: .*cannot read the file/);
  });
});
