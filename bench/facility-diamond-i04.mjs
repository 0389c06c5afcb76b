// Facility benchmark (facility-tools): the Diamond I04 pytac import and the load of the
// generated facility package facilities/diamond-i04.
// Build first: npx tsc -b packages/facility-tools packages/adapters-sim ; then: node bench/facility-diamond-i04.mjs [runs=3]
// Prints, each a fresh process state except for the first-run JIT warm-up noted below:
//  - importPytac (read 7 CSVs, build, write YAML + copies) into a temporary folder;
//  - loadFacility of facilities/diamond-i04/facility.yaml (parse, validate, resolve every channel);
//  - creating every device's unit conversions through a UnitConversionRegistry filled by
//    @mlayer/calibration (as the Accelerator does: one instance per device and conversion id);
//  - load + conversions together (the "< 2 s" budget of the task).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ControlSystemRegistry, createAccelerator, loadFacility, UnitConversionRegistry } from '@mlayer/core';
import { registerTwin } from '@mlayer/adapters-sim';
import { registerCalibration } from '@mlayer/calibration';
import { importPytac } from '@mlayer/facility-tools';

const runs = Number(process.argv[2] ?? 3);
const shared = (process.env.MLAYER_SHARED ?? new URL('../../shared', import.meta.url).pathname) + '/facilities/diamond-i04';
const facilityFile = resolve(new URL('..', import.meta.url).pathname, 'facilities/diamond-i04/facility.yaml');

const ms = (t) => `${t.toFixed(0)} ms`;
for (let run = 1; run <= runs; run++) {
  const out = mkdtempSync(join(tmpdir(), 'bench-di04-'));
  let t = performance.now();
  const r = importPytac({ pytacDir: `${shared}/pytac`, latticeFile: `${shared}/I04_source.mat`, outDir: out, name: 'diamond-i04' });
  const tImport = performance.now() - t;
  rmSync(out, { recursive: true, force: true });

  t = performance.now();
  const f = loadFacility(facilityFile);
  const tLoad = performance.now() - t;
  t = performance.now();
  const registry = new UnitConversionRegistry();
  registerCalibration(registry);
  let n = 0;
  for (const fam of Object.values(f.config.families)) {
    for (const d of fam.devices) {
      const ids = new Set(['setpoint', 'readback', 'monitor'].map((k) => fam.fields[k] && (d.conversion ?? fam.fields[k].conversion)).filter(Boolean));
      for (const id of ids) {
        registry.create(f.config.unitConversions[id], { file: f.file, resolvePath: f.resolvePath, id });
        n++;
      }
    }
  }
  const tConv = performance.now() - t;
  // The whole path a user takes: load, validate, build the accelerator with its twin, first orbit reading.
  t = performance.now();
  const controlSystems = new ControlSystemRegistry();
  registerTwin(controlSystems);
  const conversions = new UnitConversionRegistry();
  registerCalibration(conversions);
  const acc = await createAccelerator({ facility: loadFacility(facilityFile), mode: 'twin', controlSystems, conversions });
  const tTwin = performance.now() - t;
  t = performance.now();
  await acc.family('BPMx').get();
  const tOrbit = performance.now() - t;
  await acc.close();
  console.log(
    `run ${run}: load + validate + twin built ${ms(tTwin)} (budget 2000 ms), first BPM reading (closed orbit) ${ms(tOrbit)}`,
  );
  console.log(
    `run ${run}${run === 1 ? ' (cold: module compile and JIT warm-up included)' : ''}: import ${ms(tImport)} (${r.families.length} families, ${r.devices} devices, ${r.pvs} PVs, ${r.conversions} conversions); ` +
      `loadFacility ${ms(tLoad)}; ${n} device conversions ${ms(tConv)}; load + conversions ${ms(tLoad + tConv)}`,
  );
}
