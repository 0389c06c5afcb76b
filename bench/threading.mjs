// Beam threading (issue 22) on the demo facility's twin with the commissioning error set
// (examples/commissioning/errors.yaml: 50 um misalignments cut at 2 sigma, 100 urad rolls, 5e-4 field
// errors, 100 um BPM offsets, 20 um single-shot BPM noise, 0.5 mm / 50 urad injection errors) and the
// facility's vacuum chamber (facilities/diamond-i04/beam.yaml): for each seed, from no beam, threadBeam
// (@mlayer/orbit) until the beam is stored, then closed-orbit correction. Printed: seeds stored, the
// distribution of injections needed, the BPMs the first shot reached, the closed orbit after; beside
// the baseline of the same run: one injection with the design corrector settings (no steering).
// Build first: npx tsc -b ; then: node bench/threading.mjs [seeds=20] [maxInjections=100]
import { resolve } from 'node:path';
import { ControlSystemRegistry, createAccelerator, loadFacility, UnitConversionRegistry } from '@mlayer/core';
import { applyErrorSetFile, registerTwin } from '@mlayer/adapters-sim';
import { registerCalibration } from '@mlayer/calibration';
import { threadBeam } from '@mlayer/orbit';

const seeds = Number(process.argv[2] ?? 20);
const maxInjections = Number(process.argv[3] ?? 100);
const root = new URL('..', import.meta.url).pathname;
const facilityFile = resolve(root, 'facilities/diamond-i04/facility.yaml');
const errorsFile = resolve(root, 'examples/commissioning/errors.yaml');
const controlSystems = new ControlSystemRegistry();
registerTwin(controlSystems);
const conversions = new UnitConversionRegistry();
registerCalibration(conversions);
const facility = loadFacility(facilityFile, { conversions });
const acc = await createAccelerator({ facility, mode: 'twin', controlSystems, conversions });
const twin = acc.controlSystem;
const correctors = ['HSTR', 'VSTR'].map((f) => acc.family(f));
const design = await Promise.all(correctors.map((f) => f.get({ field: 'setpoint' })));
const um = (v) => `${(v * 1e6).toFixed(1)} um`;
const rows = [];
for (let seed = 1; seed <= seeds; seed++) {
  applyErrorSetFile(acc, facility.config, errorsFile, seed);
  for (const [i, f] of correctors.entries()) await f.set(design[i]);
  // Baseline: one shot with the design settings.
  twin.resetBeam('none');
  await acc.family('INJ').set(1);
  const baseline = { state: twin.beamState, reached: Array.from(await acc.family('BPMx').get()).findIndex((v) => !Number.isFinite(v)) };
  twin.resetBeam('none');
  for (const [i, f] of correctors.entries()) await f.set(design[i]);
  const t = performance.now();
  const r = await threadBeam(acc, { maxInjections });
  const s = (performance.now() - t) / 1000;
  rows.push({ seed, r, baseline, s, state: twin.beamState });
  console.log(`seed ${String(seed).padStart(2)}: ${r.status.padEnd(10)} ${String(r.injections).padStart(3)} injections, first shot ${r.reachedFirst}/${r.bpms} BPMs${r.orbit ? `, closed orbit rms x ${um(r.orbit.rmsFinal.x)} y ${um(r.orbit.rmsFinal.y)} (${r.orbit.status})` : ''}; twin ${r.status === 'stored' ? twin.beamState : twin.beamState}; ${s.toFixed(1)} s | baseline (no steering): ${baseline.state}, ${baseline.reached < 0 ? r.bpms : baseline.reached}/${r.bpms} BPMs`);
}
const stored = rows.filter((x) => x.r.status === 'stored');
const hist = new Map();
for (const x of stored) hist.set(x.r.injections, (hist.get(x.r.injections) ?? 0) + 1);
const inj = stored.map((x) => x.r.injections).sort((a, b) => a - b);
console.log(`\nstored: ${stored.length}/${rows.length} seeds (target >= ${Math.ceil(0.9 * rows.length)}); baseline one unsteered shot stored: ${rows.filter((x) => x.baseline.state === 'stored').length}/${rows.length}`);
console.log(`injections needed (stored seeds): ${[...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}: ${v}`).join(', ')}; median ${inj[Math.floor(inj.length / 2)] ?? '-'}, max ${inj[inj.length - 1] ?? '-'}`);
console.log(`first shot reached all ${rows[0]?.r.bpms} BPMs of turn 1 in ${rows.filter((x) => x.r.reachedFirst === x.r.bpms).length}/${rows.length} seeds; mean time ${(rows.reduce((a, x) => a + x.s, 0) / rows.length).toFixed(1)} s a seed`);
await acc.close();
