#!/usr/bin/env node
/**
 * Tracking throughput (particle-turns per second) on the Australian Synchrotron lattice
 * (1333 elements): the CPU engine on 1 thread and on 2 worker threads, WebGPU in float32
 * and in float-float, and pyAT's figure from the shared timings (1000 particles x 100
 * turns, single-threaded C).
 *
 * Build first:  npx tsc -b packages/engine
 * Run:          node bench/gpu-tracking.mjs [--budget SECONDS] [--sizes 1e3,1e4,1e5,1e6]
 *
 * WebGPU uses a hardware adapter when Dawn finds one, else Mesa's llvmpipe through Dawn's
 * OpenGL ES backend (EGL_PLATFORM=surfaceless); the adapter is printed. To keep the run
 * within minutes, each measurement tracks as much of the ring as fits in about --budget
 * seconds (default 10, estimated from the previous size): whole turns where they fit,
 * else one pass through the first k elements. A partial ring counts as the fraction of a
 * turn given by the kernel's work estimate of those elements (LatticeTables.loopCost plus
 * a fixed cost per element); every line says what ran. A partial ring is at least
 * MIN_FRACTION of a turn (shorter runs would time the upload, not the tracking); a
 * measurement estimated beyond 8x the budget is skipped and says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const distEngine = join(root, 'packages/engine/dist/index.js');
const distGpu = join(root, 'packages/engine/dist/gpu/index.js');
if (!existsSync(distGpu)) {
  console.error(`missing ${distGpu}: build first with  npx tsc -b packages/engine`);
  process.exit(1);
}
const { compileLattice, createParticles, track } = await import(distEngine);
const { openWebGpu, WebGpuTracker, ParallelCpuTracker, buildTables, describeAdapter, POSITION_LOOPS } = await import(distGpu);

const args = process.argv.slice(2);
let budget = 10;
let sizes = [1e3, 1e4, 1e5, 1e6];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--budget') budget = Number(args[++i]);
  else if (args[i] === '--sizes') sizes = args[++i].split(',').map(Number);
}

const shared = process.env.MLAYER_SHARED ?? resolve(root, '../shared');
const dir = join(shared, 'lattices/australian_synchrotron');
const json = JSON.parse(readFileSync(join(dir, 'australian_synchrotron_4d.atjson.json'), 'utf8'));
const lattice = { elements: json.elements, properties: json.properties };
const timings = JSON.parse(readFileSync(join(dir, 'australian_synchrotron_timings_100t.json'), 'utf8'));
const pyat = timings.lattice_pass_1000p_100t;
const pyatRate = (1000 * 100) / pyat.median_wall_s;

const full = compileLattice(lattice);
const N = full.elements.length;
const tables = buildTables([full]);
const cumulative = new Float64Array(N + 1);
for (let e = 0; e < N; e++) cumulative[e + 1] = cumulative[e] + POSITION_LOOPS + tables.loopCost[e];
const turnWork = cumulative[N];

/** The largest element prefix whose work fits `turns` (< 1) of a turn. */
function prefixFor(fraction) {
  let k = 1;
  while (k < N && cumulative[k + 1] <= fraction * turnWork) k++;
  return k;
}

function particles(n) {
  const p = createParticles(n);
  for (let i = 0; i < n; i++) {
    p.coords[i] = 1e-4 * Math.sin(0.37 * i);
    p.coords[n + i] = 1e-5 * Math.cos(0.11 * i);
    p.coords[2 * n + i] = 1e-5 * Math.sin(0.23 * i);
    p.coords[4 * n + i] = 1e-3 * Math.sin(0.05 * i);
  }
  return p;
}

const MIN_FRACTION = 0.02;

/** What to run for n particles at an estimated rate: whole turns, or a prefix of the ring. */
function plan(n, rate) {
  const turnsFit = (budget * rate) / n;
  if (turnsFit >= 1) return { turns: Math.min(100, Math.floor(turnsFit)), k: N, equivalent: Math.min(100, Math.floor(turnsFit)) };
  const k = prefixFor(Math.max(turnsFit, MIN_FRACTION));
  return { turns: 1, k, equivalent: cumulative[k] / turnWork };
}

function describePlan(p) {
  return p.k === N ? `${p.turns} turn${p.turns > 1 ? 's' : ''}` : `elements [0, ${p.k}) = ${p.equivalent.toFixed(3)} turn`;
}

async function measure(name, runner, startRate) {
  let rate = startRate;
  const rows = [];
  for (const n of sizes) {
    const p = plan(n, rate);
    const estimate = (n * p.equivalent) / rate;
    if (p.k < 1 || estimate > 8 * budget) {
      rows.push({ n, text: `skipped (about ${estimate.toFixed(0)} s at ${rate.toFixed(0)} particle-turns/s)` });
      console.log(`  ${name.padEnd(26)} n=${n.toExponential(0)}  skipped (estimated ${estimate.toFixed(0)} s)`);
      continue;
    }
    const seconds = await runner(n, p);
    rate = (n * p.equivalent) / seconds;
    console.log(`  ${name.padEnd(26)} n=${n.toExponential(0)}  ${describePlan(p).padEnd(34)} ${seconds.toFixed(2).padStart(8)} s  ${rate.toFixed(0).padStart(10)} particle-turns/s`);
    rows.push({ n, rate });
  }
  return rows;
}

const compiledPrefix = new Map();
function prefixLattice(k) {
  return { elements: lattice.elements.slice(0, k), properties: lattice.properties };
}
function compiledFor(k) {
  if (!compiledPrefix.has(k)) compiledPrefix.set(k, compileLattice(prefixLattice(k)));
  return compiledPrefix.get(k);
}

console.log(`Australian Synchrotron (${N} elements), ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0].toFixed(2)}`);
console.log(`pyAT: ${pyatRate.toFixed(0)} particle-turns/s (lattice_pass 1000 particles x 100 turns in ${pyat.median_wall_s.toFixed(1)} s, single-threaded)`);
const results = {};

console.log('CPU engine, 1 thread:');
results.cpu1 = await measure('cpu 1 thread', async (n, p) => {
  const c = compiledFor(p.k);
  const parts = particles(n);
  const t0 = performance.now();
  track(c, parts, { turns: p.turns });
  return (performance.now() - t0) / 1000;
}, 2000);

console.log('CPU engine, 2 worker threads:');
results.cpu2 = await measure('cpu 2 workers', async (n, p) => {
  const par = new ParallelCpuTracker(prefixLattice(p.k), { workers: 2 });
  try {
    await par.track(particles(64), { turns: 1 });
    const parts = particles(n);
    const t0 = performance.now();
    await par.track(parts, { turns: p.turns });
    return (performance.now() - t0) / 1000;
  } finally {
    await par.close();
  }
}, 3000);

let ctx;
try {
  ctx = await openWebGpu({ require: 'any' });
} catch (e) {
  console.log(`WebGPU: not available (${e.message})`);
}
if (ctx) {
  console.log(`WebGPU adapter: ${describeAdapter(ctx.adapter)}`);
  for (const [precision, start] of [['f32', 300], ['ff', 40]]) {
    console.log(`WebGPU ${precision}:`);
    results[`gpu_${precision}`] = await measure(`webgpu ${precision}`, async (n, p) => {
      const tr = await WebGpuTracker.create(ctx, compiledFor(p.k), { precision });
      try {
        await tr.track(particles(64), { turns: 1 });
        const parts = particles(n);
        const t0 = performance.now();
        await tr.track(parts, { turns: p.turns });
        return (performance.now() - t0) / 1000;
      } finally {
        tr.destroy();
      }
    }, start);
  }
  ctx.destroy();
}

console.log('\nparticle-turns per second (Australian Synchrotron):');
const cols = Object.keys(results);
console.log(`${'n'.padStart(8)}  ${cols.map((c) => c.padStart(12)).join('')}${'pyAT'.padStart(12)}`);
for (const n of sizes) {
  const cells = cols.map((c) => {
    const r = results[c].find((x) => x.n === n);
    return (r && r.rate !== undefined ? r.rate.toFixed(0) : 'skipped').padStart(12);
  });
  console.log(`${n.toExponential(0).padStart(8)}  ${cells.join('')}${pyatRate.toFixed(0).padStart(12)}`);
}
