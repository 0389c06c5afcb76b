// LOCO on the demo facility's twin, through the control system (issue 20's demo Done-when line):
// 0.5 % rms gradient errors on all 248 quadrupoles, 1 % BPM gains, 1 % corrector gains, 1 µm BPM noise
// (twin error set, seed 20); per round: the orbit tool measures the ORM (measureOrm, bipolar steps of `kick` rad,
// `average` readings per point), LOCO fits it (all quadrupoles individually, BPM gains, corrector kicks; fixed momentum:
// the 4D twin), correctOptics writes the correction through the accelerator; the machine's beta-beat against
// design (the twin's truth) is printed after each round. Goal: below 0.5 % rms in both planes after at most two rounds.
// Build first: npx tsc -b packages/cli ; then: node bench/loco-demo.mjs [rounds=2] [iterations=6] [kick=1e-5 rad] [average=1]
import { resolve } from 'node:path';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';
import { createLatticeModel, loadLattice } from '@mlayer/engine';
import { correctOptics, locoFit, parseFit } from '@mlayer/loco';
import { measureOrm } from '@mlayer/orbit';
import { locoOrmFromMeasurement } from '../packages/cli/dist/commands/loco-orm-file.js';

const rounds = Number(process.argv[2] ?? 2);
const iterations = Number(process.argv[3] ?? 6);
const kick = Number(process.argv[4] ?? 1e-5);
const average = Number(process.argv[5] ?? 1);
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const file = resolve(new URL('..', import.meta.url).pathname, 'facilities/diamond-i04/facility.yaml');
const facility = loadFacility(file);
const controlSystems = new ControlSystemRegistry();
registerTwin(controlSystems);
const conversions = new UnitConversionRegistry();
registerCalibration(conversions);
const acc = await createAccelerator({ facility, controlSystems, conversions, allowWrites: true });
const tw = acc.controlSystem;
const names = acc.familyNames();
const quadFamilies = names.filter((n) => acc.family(n).memberOf.includes('QUAD'));
const corFamilies = names.filter((n) => ['HCM', 'VCM'].some((g) => acc.family(n).memberOf.includes(g)));
tw.applyErrors(
  {
    magnets: Object.fromEntries([...quadFamilies.map((q) => [q, { field: 0.005 }]), ...corFamilies.map((c) => [c, { field: 0.01 }])]),
    bpms: { BPMx: { gain: 0.01, noise: 1e-6 }, BPMy: { gain: 0.01, noise: 1e-6 } },
  },
  20,
);
const design = createLatticeModel(loadLattice(facility.resolvePath(facility.config.lattice.file)));
const all = Array.from({ length: design.length }, (_v, i) => i);
const d0 = design.optics(all);
const rms = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
const beat = (m) => {
  const o = m.optics(all);
  return [0, 1].map((p) => rms(o.map((e, i) => (e.beta[p] - d0[i].beta[p]) / d0[i].beta[p])));
};
const pct = ([x, y]) => `x ${(100 * x).toFixed(3)} % y ${(100 * y).toFixed(3)} %`;
console.log(`diamond-i04 twin: ${quadFamilies.length} quadrupole families (${quadFamilies.reduce((s, q) => s + acc.family(q).size, 0)} magnets), correctors ${corFamilies.join(', ')}; machine beta-beat against design before LOCO: ${pct(beat(tw.machineModel))}`);

const quadElements = quadFamilies.flatMap((q) => acc.family(q).latticeElements(design));
for (let round = 1; round <= rounds; round++) {
  let t = performance.now(), c = cpuS();
  const measured = await measureOrm(acc, { kick, units: 'physics', average });
  const orm = locoOrmFromMeasurement(measured, acc, `round ${round} ORM`);
  console.log(`round ${round}: ORM measured through the twin (${orm.bpms.length} BPMs x ${orm.correctors.x.length} + ${orm.correctors.y.length} correctors) in ${((performance.now() - t) / 1000).toFixed(1)} s wall, ${(cpuS() - c).toFixed(1)} s CPU`);
  // Every round fits from the design: the fitted ΔK are the machine's whole deviation from the design (errors
  // less the corrections made so far), and correctOptics moves the present setpoints by −ΔK. (A model made from
  // the corrected setpoints is the design minus the fitted errors: on this lattice, whose beta-beat is ~50 % for
  // 0.5 % gradient errors, that model can be unstable.)
  const start = design;
  const spec = parseFit({ method: 'levenberg-marquardt', iterations, orbitType: 'fixed-momentum', fit: { quadrupoles: quadElements.map((e) => ({ name: `Q${e}`, elements: [e] })), bpmGains: true, correctorKicks: true } }, 'bench FIT');
  t = performance.now();
  c = cpuS();
  const res = locoFit(start, orm, spec, { onIteration: (r) => console.log(`  iteration ${r.iteration}: χ²/DOF ${r.chi2PerDof.toExponential(4)}, residual rms ${r.residualRms.toExponential(3)} m`) });
  console.log(`  fit: ${((performance.now() - t) / 1000).toFixed(1)} s wall, ${(cpuS() - c).toFixed(1)} s CPU; fitted model against the machine (truth): beta-beat ${pct((() => {
    const f = res.model.optics(all), tr = tw.machineModel.optics(all);
    return [0, 1].map((p) => rms(f.map((e, i) => (e.beta[p] - tr[i].beta[p]) / tr[i].beta[p])));
  })())}`);
  const cor = await correctOptics(acc, res, { onLimit: 'scale' });
  console.log(`  correction: ${cor.changes.length} setpoints${cor.scale < 1 ? ` (scaled to ${cor.scale.toFixed(3)})` : ''}; machine beta-beat against design now ${pct(beat(tw.machineModel))}`);
}
await acc.close();
