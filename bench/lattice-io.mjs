#!/usr/bin/env node
/**
 * Lattice import benchmark: time to load every supplied lattice file (AT .m
 * through the MATLAB-subset interpreter, MATLAB v5 .mat, pyAT JSON) with the
 * default format registry of @mlayer/engine.
 *
 * Build first:  npx tsc -b packages/engine
 * Run:          node bench/lattice-io.mjs [--runs N]
 *
 * Single-threaded. Each figure: first (cold) load, then the median and the
 * fastest of N further loads (default 10), in milliseconds.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const dist = join(root, 'packages/engine/dist/index.js');
if (!existsSync(dist)) {
  console.error(`missing ${dist}: build first with  npx tsc -b packages/engine`);
  process.exit(1);
}
const { loadLattice } = await import(dist);
const shared = process.env.MLAYER_SHARED ?? resolve(root, '../shared');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 10;

const dirs = [
  ...['australian_synchrotron', 'dba', 'hmba', 'thomx'].map((n) => join(shared, 'lattices', n)),
  join(shared, 'facilities', 'diamond-i04'),
];
const pattern = /(_source\.m|_source\.mat|_orig\.m|_orig\.mat|_orig\.atjson\.json)$|^I04_source\.mat$/;
console.log(`lattice import, ${runs} runs after a cold load (ms)`);
console.log('file'.padEnd(40), 'elements'.padStart(8), 'cold'.padStart(8), 'median'.padStart(8), 'min'.padStart(8));
for (const dir of dirs) {
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((x) => pattern.test(x)).sort()) {
    const path = join(dir, f);
    let t = performance.now();
    const lat = loadLattice(path);
    const cold = performance.now() - t;
    const times = [];
    for (let i = 0; i < runs; i++) {
      t = performance.now();
      loadLattice(path);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const med = times[Math.floor(times.length / 2)];
    console.log(f.padEnd(40), String(lat.elements.length).padStart(8), cold.toFixed(1).padStart(8), med.toFixed(1).padStart(8), times[0].toFixed(1).padStart(8));
  }
}
