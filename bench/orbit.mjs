// Orbit-tool benchmark on the Diamond I04 twin (173 BPMs, 172 + 172 steerers).
// Build first: npx tsc -b packages/tuning-tools/orbit packages/adapters-sim packages/calibration ; then: node bench/orbit.mjs [repeats=5]
// Prints: median time of the SVD of the 173×172 horizontal model ORM, of modelOrm (both planes, RF column),
// of measureOrm per corrector (twin, one reading per point), and of one full correction (quadrupole
// misalignments 20 µm, BPM noise 1 µm, 4 readings averaged) with the number of steps it took.
import { resolve } from 'node:path';
import { ControlSystemRegistry, UnitConversionRegistry, createAccelerator, loadFacility } from '@mlayer/core';
import { registerCalibration } from '@mlayer/calibration';
import { registerTwin } from '@mlayer/adapters-sim';
import { correctOrbit, measureOrm, modelOrm, svd } from '@mlayer/orbit';

const repeats = Number(process.argv[2] ?? 5);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
async function time(fn) {
  const t = [];
  let out;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    out = await fn();
    t.push(performance.now() - t0);
  }
  return { ms: median(t), out };
}

const controlSystems = new ControlSystemRegistry();
registerTwin(controlSystems);
const conversions = new UnitConversionRegistry();
registerCalibration(conversions);
const t0 = performance.now();
const acc = await createAccelerator({ facility: loadFacility(resolve('facilities/diamond-i04/facility.yaml')), controlSystems, conversions, allowWrites: true });
console.log(`twin accelerator created in ${(performance.now() - t0).toFixed(0)} ms`);
const tw = acc.controlSystem;

const mo = await time(() => modelOrm(acc, { model: tw.designModel, rf: true }));
console.log(`modelOrm (173 BPMs x 172 H + 172 V correctors, RF): ${mo.ms.toFixed(1)} ms (median of ${repeats})`);
const s = await time(() => svd(mo.out.Rxx));
console.log(`svd 173x172 (ml-matrix): ${s.ms.toFixed(1)} ms; condition number ${(s.out.s[0] / s.out.s[s.out.s.length - 1]).toExponential(3)}`);

const hstr = acc.family('HSTR');
const some = hstr.devices(hstr.deviceList.slice(0, 10));
const m = await time(() => measureOrm(acc, { correctors: { x: some }, planes: 'x', kick: 0.01 }));
console.log(`measureOrm: ${(m.ms / 10).toFixed(1)} ms per corrector (3 sets, 2 x 2 BPM-family reads per corrector)`);

const quads = acc.familyNames().filter((n) => acc.family(n).memberOf.includes('QUAD'));
const runs = [];
for (let seed = 1; seed <= repeats; seed++) {
  tw.applyErrors({ magnets: Object.fromEntries(quads.map((q) => [q, { dx: 20e-6, dy: 20e-6 }])), bpms: { BPMx: { noise: 1e-6 }, BPMy: { noise: 1e-6 } } }, seed);
  const c0 = performance.now();
  const r = await correctOrbit(acc, { orm: mo.out, average: 4, iterations: 8 });
  runs.push({ ms: performance.now() - c0, steps: r.steps.length, x0: r.rmsInitial.x, x1: r.rmsFinal.x });
  await acc.family('HSTR').set(0);
  await acc.family('VSTR').set(0);
}
console.log(`correctOrbit: median ${median(runs.map((r) => r.ms)).toFixed(0)} ms per correction (${repeats} seeds)`);
for (const r of runs) console.log(`  ${r.steps} steps, rms x ${(r.x0 * 1e6).toFixed(1)} -> ${(r.x1 * 1e6).toFixed(2)} um, ${r.ms.toFixed(0)} ms`);
await acc.close();
