#!/usr/bin/env node
/**
 * 6D ring computations of the engine beside pyAT's timings (the `timings` block of
 * ../shared/lattices/<lat>/<lat>_6d_ref.json: median of 3 after a warm-up, single-threaded,
 * keep_lattice = False; process CPU time is the fair figure on a shared machine).
 *
 *   find_orbit6           ours: compile of the 6D lattice (pyAT reads ring6 with keep_lattice = False; both
 *                         start from the lattice already switched by enable_6d) + findOrbit6
 *   ohmi_envelope         ours: the same compile + findOrbit6 + findM66 + cumulative diffusion + Lyapunov (R at element 0)
 *   envelope_parameters   ours: ringParameters6 (all of the above + eigen-analysis, mode emittances, 4D tunes)
 *   radiation_parameters_4d  ours: radiationIntegrals (4D optics + integrals + chromaticity)
 *
 *   dynamic aperture      ours: dynamicAperture on the reference grid and turns (1 thread), one run;
 *                         and dynamicApertureParallel with 2 worker threads (wall time, beside pyAT's CPU)
 *                         (hmba always; australian_synchrotron with --da-all: about a minute each)
 *                         and dynamicApertureGpu (wall, float-float) when a hardware WebGPU adapter exists
 *                         (the software renderer is not timed: it is a correctness check, minutes per run)
 *
 * Ratio < 1: faster than pyAT (for the 2T rows: our wall time over pyAT's single-thread CPU time).
 * Build first: npx tsc -b packages/engine
 * Run:         node bench/engine-6d.mjs [repeats=3] [--da-all | --no-da]
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  enable6d,
  findOrbit6,
  findM66,
  cumulativeDiffusion,
  solveLyapunov6,
  ringParameters6,
  radiationIntegrals,
  dynamicAperture,
  compileLattice,
} from '@mlayer/engine';
import { dynamicApertureGpu, dynamicApertureParallel, openWebGpu, describeAdapter } from '@mlayer/engine/gpu';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '../shared');
const repeats = Number(process.argv.find((a, i) => i > 1 && /^\d+$/.test(a)) ?? 3);
const daAll = process.argv.includes('--da-all');
const noDa = process.argv.includes('--no-da');
const LATS = [
  ['hmba', join(shared, 'lattices/hmba')],
  ['dba', join(shared, 'lattices/dba')],
  ['thomx', join(shared, 'lattices/thomx')],
  ['australian_synchrotron', join(shared, 'lattices/australian_synchrotron')],
  ['diamond_i04', join(shared, 'facilities/diamond-i04')],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * CPU and wall time of fn: the first call alone (on this lattice; on the first lattice it also compiles the
 * code path as it runs), then
 * the median of `repeats` after WARMUP further calls (V8's optimising compiler needs a few calls;
 * pyAT's C code needs none: its figures are the median of 3 after one call).
 */
const WARMUP = 10;
function time(fn) {
  const c0 = process.cpuUsage();
  fn();
  const c1 = process.cpuUsage(c0);
  const first = (c1.user + c1.system) / 1e3;
  for (let i = 0; i < WARMUP; i++) fn();
  const wall = [], cpu = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  return { wall: median(wall), cpu: median(cpu), first };
}

console.log(`engine 6D vs pyAT: ours the median of ${repeats} after the first call and ${WARMUP} more (first call: its own column), pyAT the median of 3 after one; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const notes = [];
let gpu;
try {
  gpu = await openWebGpu({ require: 'hardware' });
  console.log(`GPU: ${describeAdapter(gpu.adapter)}`);
} catch (e) {
  console.log(`GPU: none timed (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
}
console.log('lattice                  quantity                  ours cpu [ms]  ours wall [ms]  first call cpu  pyAT cpu [ms]  pyAT wall [ms]  ratio cpu');
for (const [name, dir] of LATS) {
  const latFile = join(dir, `${name}_4d.atjson.json`);
  const refFile = join(dir, `${name}_6d_ref.json`);
  if (!existsSync(latFile) || !existsSync(refFile)) continue;
  const raw = JSON.parse(readFileSync(latFile, 'utf8'));
  const lattice = { elements: raw.elements, properties: raw.properties };
  const tim = JSON.parse(readFileSync(refFile, 'utf8')).timings;
  const rows = [];
  if (tim.find_orbit6) {
    const ring6 = enable6d(lattice);
    const compile6 = () => compileLattice(ring6, { sixD: true });
    rows.push(['find_orbit6', time(() => findOrbit6(compile6())), tim.find_orbit6]);
    rows.push(['ohmi_envelope', time(() => {
      const c = compile6();
      const o = findOrbit6(c);
      solveLyapunov6(findM66(c, o), cumulativeDiffusion(c, o));
    }), tim.ohmi_envelope]);
    rows.push(['envelope_parameters', time(() => ringParameters6(lattice)), tim.envelope_parameters]);
  }
  rows.push(['radiation_parameters_4d', time(() => radiationIntegrals(lattice)), tim.radiation_parameters_4d]);
  const refAll = JSON.parse(readFileSync(refFile, 'utf8'));
  if (!noDa && refAll.acceptance && (name === 'hmba' || daAll)) {
    const s = refAll.acceptance.settings.da;
    for (const mode of ['4d', '6d']) {
      const ref = refAll.acceptance[mode].dynamic_aperture_xy;
      const compiled = mode === '6d' ? compileLattice(enable6d(lattice), { sixD: true }) : compileLattice(lattice);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      dynamicAperture(compiled, { amplitudes: s.amplitudes, npoints: s.npoints, nturns: s.nturns, sixD: mode === '6d' });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      const c = process.cpuUsage(c0);
      rows.push([`dynamic aperture ${mode} 1T`, { cpu: (c.user + c.system) / 1e3, wall }, { median_cpu_s: ref.time_cpu_s, median_wall_s: ref.time_wall_s }]);
      // 2 worker threads: wall time is the figure (the workers' CPU is not in this process's main-thread count alone)
      const t1 = process.hrtime.bigint();
      const cw = process.cpuUsage();
      await dynamicApertureParallel(lattice, { amplitudes: s.amplitudes, npoints: s.npoints, nturns: s.nturns, sixD: mode === '6d' }, { workers: 2 });
      const wall2 = Number(process.hrtime.bigint() - t1) / 1e6;
      const cpu2 = process.cpuUsage(cw);
      // worker threads are threads of this process: its CPU time counts them all
      notes.push(`${name} DA ${mode}: 2 workers used ${((cpu2.user + cpu2.system) / 1e3).toFixed(0)} ms CPU over all threads (1 thread: ${((c.user + c.system) / 1e3).toFixed(0)} ms), ${wall2.toFixed(0)} ms wall (1 thread: ${wall.toFixed(0)} ms); wall gains need 2 idle cores`);
      rows.push([`dynamic aperture ${mode} 2T wall`, { cpu: NaN, wall: wall2 }, { median_cpu_s: ref.time_cpu_s, median_wall_s: ref.time_wall_s }]);
      if (gpu) {
        const o = { amplitudes: s.amplitudes, npoints: s.npoints, nturns: s.nturns, sixD: mode === '6d' };
        await dynamicApertureGpu(lattice, { ...o, nturns: 1 }, { context: gpu }); // kernel compilation
        const t2 = process.hrtime.bigint();
        await dynamicApertureGpu(lattice, o, { context: gpu });
        rows.push([`dynamic aperture ${mode} GPU wall`, { cpu: NaN, wall: Number(process.hrtime.bigint() - t2) / 1e6 }, { median_cpu_s: ref.time_cpu_s, median_wall_s: ref.time_wall_s }]);
      }
    }
  }
  for (const [q, ours, py] of rows) {
    const pyCpu = py.median_cpu_s * 1e3, pyWall = py.median_wall_s * 1e3;
    const ratio = Number.isNaN(ours.cpu) ? ours.wall / pyCpu : ours.cpu / pyCpu;
    console.log(
      `${name.padEnd(24)} ${q.padEnd(25)} ${ours.cpu.toFixed(1).padStart(13)}  ${ours.wall.toFixed(1).padStart(14)}  ${(ours.first ?? NaN).toFixed(1).padStart(14)}  ${pyCpu.toFixed(1).padStart(13)}  ${pyWall.toFixed(1).padStart(14)}  ${ratio.toFixed(2).padStart(9)}`,
    );
  }
}
for (const n of notes) console.log(n);
console.log(`load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
gpu?.destroy();
