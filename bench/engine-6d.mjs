#!/usr/bin/env node
/**
 * 6D ring computations of the engine beside pyAT's timings (the `timings` block of
 * ../shared/lattices/<lat>/<lat>_6d_ref.json: median of 3 after a warm-up, single-threaded,
 * keep_lattice = False; process CPU time is the fair figure on a shared machine).
 *
 *   find_orbit6           ours: compile6d (enable_6d + compile) + findOrbit6
 *   ohmi_envelope         ours: compile6d + findOrbit6 + findM66 + cumulative diffusion + Lyapunov (R at element 0)
 *   envelope_parameters   ours: ringParameters6 (all of the above + eigen-analysis, mode emittances, 4D tunes)
 *   radiation_parameters_4d  ours: radiationIntegrals (4D optics + integrals + chromaticity)
 *
 *   dynamic aperture      ours: dynamicAperture on the reference grid and turns (1 thread), one run;
 *                         and dynamicApertureParallel with 2 worker threads (wall time, beside pyAT's CPU)
 *                         (hmba always; australian_synchrotron with --da-all: about a minute each)
 *
 * Ratio < 1: faster than pyAT (for the 2T rows: our wall time over pyAT's single-thread CPU time).
 * Build first: npx tsc -b packages/engine
 * Run:         node bench/engine-6d.mjs [repeats=3] [--da-all]
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compile6d,
  findOrbit6,
  findM66,
  cumulativeDiffusion,
  solveLyapunov6,
  ringParameters6,
  radiationIntegrals,
  dynamicAperture,
  compileLattice,
} from '@mlayer/engine';
import { dynamicApertureParallel } from '@mlayer/engine/gpu';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '../shared');
const repeats = Number(process.argv.find((a, i) => i > 1 && /^\d+$/.test(a)) ?? 3);
const daAll = process.argv.includes('--da-all');
const LATS = [
  ['hmba', join(shared, 'lattices/hmba')],
  ['dba', join(shared, 'lattices/dba')],
  ['thomx', join(shared, 'lattices/thomx')],
  ['australian_synchrotron', join(shared, 'lattices/australian_synchrotron')],
  ['diamond_i04', join(shared, 'facilities/diamond-i04')],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn) {
  fn(); // warm-up
  const wall = [], cpu = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

console.log(`engine 6D vs pyAT, median of ${repeats} after a warm-up; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('lattice                  quantity                  ours cpu [ms]  ours wall [ms]  pyAT cpu [ms]  pyAT wall [ms]  ratio cpu');
for (const [name, dir] of LATS) {
  const latFile = join(dir, `${name}_4d.atjson.json`);
  const refFile = join(dir, `${name}_6d_ref.json`);
  if (!existsSync(latFile) || !existsSync(refFile)) continue;
  const raw = JSON.parse(readFileSync(latFile, 'utf8'));
  const lattice = { elements: raw.elements, properties: raw.properties };
  const tim = JSON.parse(readFileSync(refFile, 'utf8')).timings;
  const rows = [];
  if (tim.find_orbit6) {
    rows.push(['find_orbit6', time(() => findOrbit6(compile6d(lattice))), tim.find_orbit6]);
    rows.push(['ohmi_envelope', time(() => {
      const c = compile6d(lattice);
      const o = findOrbit6(c);
      solveLyapunov6(findM66(c, o), cumulativeDiffusion(c, o));
    }), tim.ohmi_envelope]);
    rows.push(['envelope_parameters', time(() => ringParameters6(lattice)), tim.envelope_parameters]);
  }
  rows.push(['radiation_parameters_4d', time(() => radiationIntegrals(lattice)), tim.radiation_parameters_4d]);
  const refAll = JSON.parse(readFileSync(refFile, 'utf8'));
  if (refAll.acceptance && (name === 'hmba' || daAll)) {
    const s = refAll.acceptance.settings.da;
    for (const mode of ['4d', '6d']) {
      const ref = refAll.acceptance[mode].dynamic_aperture_xy;
      const compiled = mode === '6d' ? compile6d(lattice) : compileLattice(lattice);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      dynamicAperture(compiled, { amplitudes: s.amplitudes, npoints: s.npoints, nturns: s.nturns, sixD: mode === '6d' });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      const c = process.cpuUsage(c0);
      rows.push([`dynamic aperture ${mode} 1T`, { cpu: (c.user + c.system) / 1e3, wall }, { median_cpu_s: ref.time_cpu_s, median_wall_s: ref.time_wall_s }]);
      // 2 worker threads: wall time is the figure (the workers' CPU is not in this process's main-thread count alone)
      const t1 = process.hrtime.bigint();
      await dynamicApertureParallel(lattice, { amplitudes: s.amplitudes, npoints: s.npoints, nturns: s.nturns, sixD: mode === '6d' }, { workers: 2 });
      const wall2 = Number(process.hrtime.bigint() - t1) / 1e6;
      rows.push([`dynamic aperture ${mode} 2T wall`, { cpu: NaN, wall: wall2 }, { median_cpu_s: ref.time_cpu_s, median_wall_s: ref.time_wall_s }]);
    }
  }
  for (const [q, ours, py] of rows) {
    const pyCpu = py.median_cpu_s * 1e3, pyWall = py.median_wall_s * 1e3;
    const ratio = Number.isNaN(ours.cpu) ? ours.wall / pyCpu : ours.cpu / pyCpu;
    console.log(
      `${name.padEnd(24)} ${q.padEnd(25)} ${ours.cpu.toFixed(1).padStart(13)}  ${ours.wall.toFixed(1).padStart(14)}  ${pyCpu.toFixed(1).padStart(13)}  ${pyWall.toFixed(1).padStart(14)}  ${ratio.toFixed(2).padStart(9)}`,
    );
  }
}
