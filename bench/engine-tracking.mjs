#!/usr/bin/env node
/**
 * Tracking speed of the engine against pyAT's C pass methods.
 * For every shared lattice: 1000 particles (the reference initial coordinates) tracked
 * for 100 turns with @mlayer/engine (built dist), against pyAT's
 * lattice_pass time from <name>_timings_*.json (scaled to 100 turns where pyAT ran 1000).
 * Wall and process-CPU seconds are both printed: on a shared machine CPU time is the
 * fairer figure (pyAT's file gives both). Ratio < 1 means faster than pyAT.
 *
 * Build first: npx tsc -b packages/engine
 * Run:         node bench/engine-tracking.mjs [turns=100] [repeats=3]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileLattice, particlesFromRows, track } from '@mlayer/engine';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '../shared');
const turns = Number(process.argv[2] ?? 100);
const repeats = Number(process.argv[3] ?? 3);

function folders() {
  const dirs = readdirSync(join(shared, 'lattices'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(shared, 'lattices', d.name));
  dirs.push(join(shared, 'facilities', 'diamond-i04'));
  return dirs;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`engine tracking: 1000 particles x ${turns} turns, median of ${repeats}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('lattice                  elements  ours wall [s]  ours cpu [s]  pyAT wall [s]  pyAT cpu [s]  ratio wall  ratio cpu');
for (const dir of folders()) {
  const files = readdirSync(dir);
  const latFile = files.find((f) => f.endsWith('_4d.atjson.json'));
  const trkFile = files.find((f) => /_tracking_\d+t\.json$/.test(f));
  const timFile = files.find((f) => /_timings_\d+t\.json$/.test(f));
  if (!latFile || !trkFile || !timFile) continue;
  const name = latFile.replace('_4d.atjson.json', '');
  const lat = JSON.parse(readFileSync(join(dir, latFile), 'utf8'));
  const ref = JSON.parse(readFileSync(join(dir, trkFile), 'utf8'));
  const tim = JSON.parse(readFileSync(join(dir, timFile), 'utf8'));
  const key = Object.keys(tim).find((k) => k.startsWith('lattice_pass_1000p_'));
  const pyTurns = Number(/_(\d+)t$/.exec(key)[1]);
  const scale = turns / pyTurns;
  const pyWall = tim[key].median_wall_s * scale;
  const pyCpu = tim[key].median_cpu_s * scale;
  const compiled = compileLattice({ elements: lat.elements, properties: lat.properties });
  const rows = ref.r_initial[0].map((_, i) => ref.r_initial.map((c) => c[i]));
  track(compiled, particlesFromRows(rows), { turns: 2 }); // warm-up (JIT)
  const walls = [];
  const cpus = [];
  for (let r = 0; r < repeats; r++) {
    const p = particlesFromRows(rows);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    track(compiled, p, { turns });
    const t1 = performance.now();
    const cu = process.cpuUsage(c0);
    walls.push((t1 - t0) / 1000);
    cpus.push((cu.user + cu.system) / 1e6);
  }
  const wall = median(walls);
  const cpu = median(cpus);
  console.log(
    `${name.padEnd(24)} ${String(compiled.elements.length).padStart(8)}  ${wall.toFixed(3).padStart(13)}  ${cpu.toFixed(3).padStart(12)}  ${pyWall.toFixed(3).padStart(13)}  ${pyCpu.toFixed(3).padStart(12)}  ${(wall / pyWall).toFixed(3).padStart(10)}  ${(cpu / pyCpu).toFixed(3).padStart(9)}`,
  );
}
