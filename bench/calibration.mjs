// Unit-conversion benchmark (calibration): creation and conversion speed for the
// Diamond I04 pytac curves (212 PCHIP tables, 464 polynomials).
// Build first: npx tsc -b packages/calibration ; then: node bench/calibration.mjs [pointsPerCurve=1000]
// Prints: time to create one conversion per unitconv.csv row (as the facility loader would, one per device),
// and ns per toPhysics / toHardware call for PCHIP tables and polynomials, plus the worst round-trip error seen.
import { dirname, resolve } from 'node:path';
import { UnitConversionRegistry, rigidity } from '@mlayer/core';
import { registerCalibration, loadPytacPchip, loadPytacPoly, loadPytacUnitconv, pytacPchipReference, pytacPolyReference, withUnits } from '@mlayer/calibration';

const N = Number(process.argv[2] ?? 1000);
const dir = (process.env.MLAYER_SHARED ?? new URL('../../shared', import.meta.url).pathname) + '/facilities/diamond-i04';
const file = `${dir}/facility.yaml`;
const beam = { energy: 3e9, particle: 'electron' };
const ctx = { beam, brho: rigidity(beam) };

const registry = new UnitConversionRegistry();
registerCalibration(registry);
const make = (id, spec) => registry.create(spec, { file, id, resolvePath: (p) => resolve(dirname(file), p) });

const rows = loadPytacUnitconv(`${dir}/pytac/unitconv.csv`).filter((r) => r.ucType !== 'null');
let t0 = performance.now();
for (const r of rows) {
  const ref = r.ucType === 'pchip' ? pytacPchipReference('pytac/uc_pchip_data.csv', r.ucId) : pytacPolyReference('pytac/uc_poly_data.csv', r.ucId);
  make(`${r.elId}.${r.field}`, withUnits(ref, 'A', 'T'));
}
const createMs = performance.now() - t0;
console.log(`create ${rows.length} conversions (CSV references, shared cache): ${createMs.toFixed(1)} ms (${((createMs * 1000) / rows.length).toFixed(1)} µs each)`);

function timeCurves(kind, specs) {
  const convs = [...specs].map(([id, s]) => [make(`${kind}${id}`, withUnits(s, 'A', 'T')), s]);
  const inputs = convs.map(([, s]) => {
    const lo = s.hardware ? s.hardware[0] : -100;
    const hi = s.hardware ? s.hardware[s.hardware.length - 1] : 100;
    return Float64Array.from({ length: N }, (_, k) => lo + ((hi - lo) * (k + 0.5)) / N);
  });
  const phys = inputs.map((x) => new Float64Array(x.length));
  let worst = 0;
  let calls = 0;
  t0 = performance.now();
  convs.forEach(([c], i) => {
    const x = inputs[i];
    for (let k = 0; k < x.length; k++) phys[i][k] = c.toPhysics(x[k], ctx);
    calls += x.length;
  });
  const fwd = performance.now() - t0;
  t0 = performance.now();
  convs.forEach(([c], i) => {
    const p = phys[i];
    const x = inputs[i];
    for (let k = 0; k < p.length; k++) {
      const h = c.toHardware(p[k], ctx);
      worst = Math.max(worst, Math.abs(h - x[k]) / Math.abs(x[k]));
    }
  });
  const inv = performance.now() - t0;
  console.log(
    `${kind}: ${convs.length} curves × ${N} points: toPhysics ${((fwd * 1e6) / calls).toFixed(0)} ns/call, ` +
      `toHardware ${((inv * 1e6) / calls).toFixed(0)} ns/call, worst relative round trip ${worst.toExponential(2)}`,
  );
}

timeCurves('pchip', loadPytacPchip(`${dir}/pytac/uc_pchip_data.csv`));
timeCurves('poly', loadPytacPoly(`${dir}/pytac/uc_poly_data.csv`));
