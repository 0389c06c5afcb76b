// LOCO benchmark on the demo facility (facilities/diamond-i04): all BPMs (BPMx devices), all HCM and VCM
// correctors, all quadrupoles (QUAD families) individually, all BPM gains and corrector kicks.
// Build first: npx tsc -b packages/engine packages/tuning-tools/loco ; then: node bench/loco.mjs [iterations=3] [fdColumns=2]
// The "measured" matrix is the model's with 0.5 % rms gradient errors on every quadrupole, 1 % BPM and
// corrector gains and 1 µm BPM noise (the demo-facility case, made in the model, not through the
// control system). Prints, in the same run: one analytic Jacobian (LatticeModel.orbitResponseJacobian, as the
// fit asks for it), beside a finite-difference Jacobian of the same size extrapolated from `fdColumns` measured
// central-difference columns; one LM iteration (Jacobian + structured normal equations + eigen-decomposition +
// trial steps) and the full fit; CPU and wall times (the 2-core machine is shared: CPU time is the stable figure);
// and the fit's quality (χ²/DOF, beta-beat of the fitted model against the truth); and the eigen-decomposition behind the
// singular-value selection (decompose: the tool's own solver on typed arrays) beside ml-matrix's EigenvalueDecomposition on the
// same P x P symmetric matrix, P the fit's parameter count.
// Goal (issue 20): one full iteration under 30 s on the 2-core machine.
import { resolve } from 'node:path';
import { loadFacility } from '@mlayer/core';
import { createLatticeModel, loadLattice } from '@mlayer/engine';
import { decompose, locoFit, parseFit, parseOrm } from '@mlayer/loco';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

const iterations = Number(process.argv[2] ?? 3);
const fdColumns = Number(process.argv[3] ?? 2);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const timed = (fn) => {
  const s = performance.now(), c = cpuMs();
  const out = fn();
  return { out, ms: performance.now() - s, cpu: cpuMs() - c };
};
const f = (x) => (x / 1000).toFixed(2).padStart(8);

const facility = loadFacility(resolve(new URL('..', import.meta.url).pathname, 'facilities/diamond-i04/facility.yaml'));
const families = facility.config.families;
const elementsOf = (pred) =>
  Object.entries(families)
    .filter(([, fam]) => pred(fam))
    .flatMap(([, fam]) => fam.devices.map((d) => d.element))
    .filter((e) => e !== undefined);
const bpms = [...new Set(elementsOf((fam) => fam.elementClass === 'BPM'))].sort((a, b) => a - b);
const hcm = elementsOf((fam) => (fam.memberOf ?? []).includes('HCM'));
const vcm = elementsOf((fam) => (fam.memberOf ?? []).includes('VCM'));
const quads = elementsOf((fam) => (fam.memberOf ?? []).includes('QUAD')).sort((a, b) => a - b);
const design = createLatticeModel(loadLattice(facility.resolvePath(facility.config.lattice.file)));

// Seeded normal numbers (mulberry32 + Box–Muller).
let seed = 2026;
const uniform = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

const truth = design.clone();
for (const q of quads) {
  const ref = { element: q, field: 'PolynomB', index: 1 };
  truth.setParameter(ref, design.getParameter(ref) * (1 + 0.005 * normal()));
}
const kick = 1e-5, noise = 1e-6;
const gains = (n) => Array.from({ length: n }, () => 1 + 0.01 * normal());
const gb = { x: gains(bpms.length), y: gains(bpms.length) };
const gc = { x: gains(hcm.length), y: gains(vcm.length) };
const correctorElements = [...new Set([...hcm, ...vcm])].sort((a, b) => a - b);
const r = truth.orbitResponse(bpms, correctorElements, { orbitType: 'fixed-path-length' });
const col = new Map(r.correctors.map((e, j) => [e, j]));
const block = (m, a, cors, b) => bpms.map((_e, i) => cors.map((e, j) => gb[a][i] * m[i][col.get(e)] * kick * gc[b][j] + noise * normal()));
const raw = {
  bpms: bpms.map((e, i) => ({ name: `BPM${i}`, element: e })),
  correctors: { x: hcm.map((e, j) => ({ name: `HCM${j}`, element: e, kick })), y: vcm.map((e, j) => ({ name: `VCM${j}`, element: e, kick })) },
  orm: { xx: block(r.Rxx, 'x', hcm, 'x'), yy: block(r.Ryy, 'y', vcm, 'y') },
  noise: { x: bpms.map(() => noise), y: bpms.map(() => noise) },
};
const orm = parseOrm(raw, 'bench ORM');
const spec = (n) =>
  parseFit({ method: 'levenberg-marquardt', iterations: n, fit: { quadrupoles: quads.map((q) => ({ name: `Q${q}`, elements: [q] })), bpmGains: true, correctorKicks: true } }, 'bench FIT');
console.log(
  `diamond-i04: ${design.length} elements; ${bpms.length} BPMs, ${hcm.length} HCM + ${vcm.length} VCM, ${quads.length} quadrupoles individually; ` +
    `fitted ORM blocks xx, yy: ${2 * bpms.length} x ${hcm.length + vcm.length} half-filled (${bpms.length * (hcm.length + vcm.length)} entries); ` +
    `parameters ${quads.length} + ${2 * bpms.length} BPM gains + ${hcm.length + vcm.length} kicks`,
);

// The Jacobian as the fit asks for it, beside finite differences of the model's ORM.
const groups = quads.map((e) => [{ element: e, field: 'PolynomB', index: 1 }]);
const m = design.clone();
m.orbitResponse(bpms, correctorElements, { orbitType: 'fixed-path-length' });
const jac = timed(() => m.orbitResponseJacobian(bpms, correctorElements, groups, { orbitType: 'fixed-path-length' }));
const h = 1e-4;
let fdMs = 0, fdCpu = 0;
for (let k = 0; k < fdColumns; k++) {
  const ref = groups[Math.floor(((k + 0.5) * quads.length) / fdColumns)][0];
  const k0 = m.getParameter(ref);
  const t = timed(() => {
    m.setParameter(ref, k0 + h);
    m.orbitResponse(bpms, correctorElements, { orbitType: 'fixed-path-length' });
    m.setParameter(ref, k0 - h);
    m.orbitResponse(bpms, correctorElements, { orbitType: 'fixed-path-length' });
    m.setParameter(ref, k0);
  });
  fdMs += t.ms;
  fdCpu += t.cpu;
}

const one = timed(() => locoFit(design, orm, spec(1)));
const full = timed(() => locoFit(design, orm, spec(iterations), { onIteration: (rec) => console.log(`  iteration ${rec.iteration}: χ²/DOF ${rec.chi2PerDof.toExponential(4)}, residual rms ${rec.residualRms.toExponential(3)} m, λ ${rec.lambda}, singular values ${rec.singularValuesKept}/${rec.singularValues}`) }));
const res = full.out;
const all = Array.from({ length: design.length }, (_v, i) => i);
const fo = res.model.optics(all), to = truth.optics(all), d0 = design.optics(all);
const rms = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
const beat = (a, b, p) => rms(a.map((e, i) => (e.beta[p] - b[i].beta[p]) / b[i].beta[p]));

console.log('');
console.log('seconds, CPU / wall:');
console.log(`  one Jacobian (analytic, ${quads.length} groups):             ${f(jac.cpu)} / ${f(jac.ms)}`);
console.log(`  finite-difference Jacobian, extrapolated:           ${f((fdCpu / fdColumns) * quads.length)} / ${f((fdMs / fdColumns) * quads.length)}   (${(fdCpu / fdColumns).toFixed(0)} ms CPU per central-difference column, ${fdColumns} measured)`);
console.log(`  one LM iteration (start model + 1 step):            ${f(one.cpu)} / ${f(one.ms)}   goal < 30 s`);
console.log(`  full fit (${iterations} iterations, ${res.iterations.length - 1} done):                  ${f(full.cpu)} / ${f(full.ms)}`);
console.log(`fit: χ²/DOF ${res.chi2PerDof.toFixed(3)}; beta-beat of the truth against design x ${(100 * beat(to, d0, 0)).toFixed(3)} % y ${(100 * beat(to, d0, 1)).toFixed(3)} %; ` + `of the fitted model against the truth x ${(100 * beat(fo, to, 0)).toFixed(3)} % y ${(100 * beat(fo, to, 1)).toFixed(3)} %`);
for (const n of res.notes) console.log(`note: ${n}`);

// The fit's own eigen-solver (through decompose) beside ml-matrix on one symmetric positive P x P matrix (BᵀB, B seeded normal).
const P = quads.length + 2 * bpms.length + hcm.length + vcm.length;
const A = Array.from({ length: P }, () => new Float64Array(P));
for (let r = 0; r < P + 50; r++) {
  const row = Float64Array.from({ length: P }, normal);
  for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) A[i][j] += row[i] * row[j];
}
const asMl = new Matrix(A.map((row) => Array.from(row)));
const own = timed(() => decompose(A, new Float64Array(P), 0, false));
const ml = timed(() => new EigenvalueDecomposition(asMl, { assumeSymmetric: true }));
const lOwn = Array.from(own.out.singularValues, (s) => s * s).sort((a, b) => a - b);
const lMl = [...ml.out.realEigenvalues].sort((a, b) => a - b);
const eigDiff = Math.max(...lOwn.map((v, i) => Math.abs(v - lMl[i]))) / lMl[P - 1];
console.log(`eigen-decomposition, P = ${P}: decompose (own solver) ${f(own.cpu)} / ${f(own.ms)}; ml-matrix EigenvalueDecomposition ${f(ml.cpu)} / ${f(ml.ms)} (CPU / wall s; ${(ml.cpu / own.cpu).toFixed(2)}x CPU); eigenvalues agree to ${eigDiff.toExponential(1)} of the largest`);
