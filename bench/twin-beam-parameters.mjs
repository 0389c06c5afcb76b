// Twin beam-parameter families (issue 25 item 6) on the demo facility facilities/diamond-i04:
// the cost of reading EMITx (the 6D equilibrium: 6D closed orbit, one-turn matrix, Ohmi envelope
// of the 2190-element lattice) after a model change, beside the baseline of the same run: the
// TUNE family (4D tunes) and BPMx (4D closed orbit at 173 BPMs) after the same change; then a
// cached read (no change in between). The first run includes the JIT warm-up.
// Build first: npx tsc -b packages/adapters-sim packages/calibration ; then: node bench/twin-beam-parameters.mjs [runs=5]
import { resolve } from 'node:path';
import { ControlSystemRegistry, createAccelerator, loadFacility, UnitConversionRegistry } from '@mlayer/core';
import { registerTwin } from '@mlayer/adapters-sim';
import { registerCalibration } from '@mlayer/calibration';

const runs = Number(process.argv[2] ?? 5);
const facilityFile = resolve(new URL('..', import.meta.url).pathname, 'facilities/diamond-i04/facility.yaml');
const controlSystems = new ControlSystemRegistry();
registerTwin(controlSystems);
const conversions = new UnitConversionRegistry();
registerCalibration(conversions);
const acc = await createAccelerator({ facility: loadFacility(facilityFile, { conversions }), mode: 'twin', controlSystems, conversions });
const squad = acc.family('SQUAD');
const one = squad.devices([squad.deviceList[0]]);
const ms = (t) => `${t.toFixed(1)} ms`;
async function timed(f) {
  const t = performance.now();
  const v = await f();
  return [performance.now() - t, v];
}
for (let run = 1; run <= runs; run++) {
  const row = [];
  for (const [name, fam] of [['EMITx', 'EMITx'], ['TUNE', 'TUNE'], ['BPMx', 'BPMx']]) {
    await one.set(run % 2 ? 1 : 2, { wait: true }); // the model changes: nothing cached
    const [t] = await timed(() => acc.family(fam).get());
    row.push(`${name} ${ms(t)}`);
  }
  await acc.family('EMITx').get(); // the equilibrium of the last change
  const [tc, ex] = await timed(() => acc.family('EMITx').get({ units: 'physics' }));
  const [ey] = await acc.family('EMITy').get({ units: 'physics' });
  console.log(`run ${run}: after a skew-quad write: ${row.join(', ')}; EMITx cached ${ms(tc)} (εx ${(ex[0] * 1e9).toFixed(4)} nm, εy ${(ey * 1e12).toFixed(2)} pm)`);
}
await acc.close();
