// SVD of the demo facility's orbit response matrix (Diamond I04 twin: 173 BPMs x 2 planes by
// 172 + 172 steerers, the coupled 346 x 344 model ORM) by each candidate, side by side:
//   - the hand-written one-sided Jacobi SVD the orbit tool used before (kept below, as it was in
//     packages/tuning-tools/orbit/src/linalg.ts at commit d12e387),
//   - ml-matrix's SingularValueDecomposition (Golub-Kahan-Reinsch), raw,
//   - @mlayer/tuning-common's svd (ml-matrix plus the conversion to the tools' row arrays).
// Build first: npx tsc -b packages/tuning-tools/orbit packages/adapters-sim packages/calibration ; then: node bench/linalg.mjs [repeats=3]
// Prints the median time of each (after one untimed warm-up run), the largest difference of the singular values between the Jacobi SVD
// and ml-matrix (absolute and relative to the largest), and the reconstruction error max|U S Vᵀ − A| of each.
import { resolve } from 'node:path';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';
import { modelOrm } from '@mlayer/orbit';
import { svd } from '@mlayer/tuning-common';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

const repeats = Number(process.argv[2] ?? 3);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
function time(fn) {
  const t = [];
  let out = fn(); // warm-up (JIT), not timed
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    out = fn();
    t.push(performance.now() - t0);
  }
  return { ms: median(t), out };
}

/** The former hand-written SVD: one-sided Jacobi rotations (Hestenes); columns of U and V as rows of u and v. */
function jacobiSvd(a, maxSweeps = 60) {
  const m = a.length;
  const n = m > 0 ? a[0].length : 0;
  if (m < n) {
    const t = jacobiSvd(Array.from({ length: n }, (_r, j) => Float64Array.from(a, (row) => row[j])), maxSweeps);
    return { m, n, s: t.s, u: t.v, v: t.u };
  }
  const dot = (x, y) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * y[i];
    return s;
  };
  const cols = Array.from({ length: n }, (_c, j) => Float64Array.from(a, (row) => row[j]));
  const vcols = Array.from({ length: n }, (_c, j) => {
    const e = new Float64Array(n);
    e[j] = 1;
    return e;
  });
  const eps = 2.220446049250313e-16;
  let frob2 = 0;
  for (const c of cols) frob2 += dot(c, c);
  const tiny = eps * eps * frob2;
  let sweep = 0;
  for (; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const cp = cols[p];
        const cq = cols[q];
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += cp[i] * cp[i];
          beta += cq[i] * cq[i];
          gamma += cp[i] * cq[i];
        }
        if (gamma === 0 || alpha <= tiny || beta <= tiny || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = cp[i];
          const y = cq[i];
          cp[i] = c * x - s * y;
          cq[i] = s * x + c * y;
        }
        const vp = vcols[p];
        const vq = vcols[q];
        for (let i = 0; i < n; i++) {
          const x = vp[i];
          const y = vq[i];
          vp[i] = c * x - s * y;
          vq[i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  if (sweep === maxSweeps) throw new Error(`jacobi svd: no convergence after ${maxSweeps} sweeps`);
  const sv = cols.map((c) => Math.sqrt(dot(c, c)));
  const order = sv.map((_s, j) => j).sort((i, j) => sv[j] - sv[i]);
  return {
    m,
    n,
    s: Float64Array.from(order, (j) => sv[j]),
    u: order.map((j) => (sv[j] > 0 ? cols[j].map((x) => x / sv[j]) : new Float64Array(m))),
    v: order.map((j) => vcols[j]),
    sweeps: sweep,
  };
}

/** max |U S Vᵀ − A| for an SVD in the tools' layout (u[k], v[k]: k-th singular vectors). */
function reconstructionError(a, d) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) {
      let s = 0;
      for (let k = 0; k < d.s.length; k++) s += d.u[k][i] * d.s[k] * d.v[k][j];
      worst = Math.max(worst, Math.abs(s - a[i][j]));
    }
  }
  return worst;
}

const controlSystems = new ControlSystemRegistry();
registerTwin(controlSystems);
const conversions = new UnitConversionRegistry();
registerCalibration(conversions);
const acc = await createAccelerator({ facility: loadFacility(resolve('facilities/diamond-i04/facility.yaml')), controlSystems, conversions, allowWrites: true });
const orm = await modelOrm(acc, { model: acc.controlSystem.designModel });
// The coupled matrix [[Rxx, Rxy], [Ryx, Ryy]]: rows x BPMs then y BPMs, columns x then y correctors.
const a = [...orm.Rxx.map((r, i) => Float64Array.from([...r, ...orm.Rxy[i]])), ...orm.Ryx.map((r, i) => Float64Array.from([...r, ...orm.Ryy[i]]))];
const [m, n] = [a.length, a[0].length];
console.log(`Diamond I04 twin: model orbit response matrix ${m} x ${n} (coupled, both planes); node ${process.version}; median of ${repeats}`);

const jac = time(() => jacobiSvd(a));
const raw = time(() => new SingularValueDecomposition(new Matrix(a), { autoTranspose: true }));
const common = time(() => svd(a));
const sJ = jac.out.s;
const sM = common.out.s;
const sR = raw.out.diagonal;
let diff = 0;
let diffRaw = 0;
for (let k = 0; k < sJ.length; k++) {
  diff = Math.max(diff, Math.abs(sJ[k] - sM[k]));
  diffRaw = Math.max(diffRaw, Math.abs(sJ[k] - sR[k]));
}
const s0 = sJ[0];
const row = (name, ms, extra) => console.log(`  ${name.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms   ${extra}`);
console.log(`  ${'candidate'.padEnd(44)} ${'time'.padStart(12)}   max|U S Vᵀ − A| / s_max`);
row(`hand-written one-sided Jacobi (${jac.out.sweeps} sweeps)`, jac.ms, (reconstructionError(a, jac.out) / s0).toExponential(2));
row('ml-matrix SingularValueDecomposition (raw)', raw.ms, '');
row('tuning-common svd (ml-matrix + row arrays)', common.ms, (reconstructionError(a, common.out) / s0).toExponential(2));
console.log(`  speed-up of tuning-common svd over Jacobi: ${(jac.ms / common.ms).toFixed(1)}x`);
console.log(`singular values: s_max ${s0.toExponential(4)}, s_min ${sJ[sJ.length - 1].toExponential(4)} (Jacobi), ${sM[sM.length - 1].toExponential(4)} (ml-matrix)`);
console.log(`largest difference of the ${sJ.length} singular values, Jacobi vs ml-matrix: ${diff.toExponential(3)} (${(diff / s0).toExponential(3)} of s_max); raw ml-matrix ${diffRaw.toExponential(3)}`);
const rank = (s) => s.filter((x) => x > 1e-10 * s[0]).length;
console.log(`numerical rank (s > 1e-10 s_max): Jacobi ${rank(sJ)}, ml-matrix ${rank(sM)}`);
await acc.close();
